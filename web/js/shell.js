// The shell: owns the api client, the session, the realtime socket, translations, the router,
// the registries modules extend (routes, links, profile and settings sections, login
// providers, notification toasts, stylesheets), and starts everything (see docs/frontend.md).
// The rest is in one file per job: module-loader.js (which modules are on, their code),
// registrar.js (what a module's register() receives: shell.forModule(name)), navigation.js
// (the navigation bar), notification-center.js (the badge and toasts of notifications).
//
// Every add* method returns a function that undoes it: a module's registrar keeps them, so a
// module switched off leaves nothing behind.

import { Api, ApiError } from "./api.js";
import { Appearance } from "./appearance.js";
import { alertBox, h } from "./dom.js";
import { I18n, usePageI18n } from "./i18n.js";
import { ModuleLoader } from "./module-loader.js";
import { NavigationBar } from "./navigation.js";
import { NotificationCenter } from "./notification-center.js";
import { Realtime } from "./realtime.js";
import { ModuleRegistrar } from "./registrar.js";
import { Router, safeNext } from "./router.js";
import { Session } from "./session.js";
import { Toasts } from "./toasts.js";

export class Shell extends EventTarget {
  constructor({ assetBase, outlet }) {
    super();
    this.assetBase = assetBase;
    this.api = new Api();
    this.session = new Session(this.api);
    this.appearance = new Appearance(this.session, this.api); // theme and text size
    this.appearance.show(Appearance.remembered());
    this.i18n = new I18n(new URL("i18n/", assetBase));
    usePageI18n(this.i18n);
    this.realtime = new Realtime(this.api);
    this.router = new Router(this, outlet);
    this.toasts = new Toasts(document.getElementById("toasts"), {
      closeLabel: () => this.t("common.close"),
    });
    this.navItems = [];
    this.profileSections = [];
    this.settingsSections = [];
    this.loginProviders = [];
    this.notificationToasts = new Map(); // kind → fn(notification) → toast options
    this.loader = new ModuleLoader(this);
    this.nav = new NavigationBar(this);
    this.notifications = new NotificationCenter(this);
  }

  /** What module `name`'s register() receives: registrations tagged with the module. */
  forModule(name) {
    return new ModuleRegistrar(this, name);
  }

  /** name → {info, loaded, error}: the modules switched on. */
  get modules() {
    return this.loader.modules;
  }

  enabledModules() {
    return this.loader.enabled();
  }

  // --- the registries modules extend (through their registrar) ---------------------------

  /** A view at `path` (":name" segments become this.params.name); auth defaults to true;
   *  `context` reaches the view as this.context (a module's shared state, e.g. chat's store). */
  addRoute(path, ViewClass, { auth = true, context = {} } = {}) {
    return this.router.add(path, ViewClass, { auth, context });
  }

  /**
   * A link in the navigation bar: {href, label (translation key or text), order, auth}.
   * It shows once a route answers `href` (a link to nowhere is never shown). `owner`: the
   * module it belongs to (the home page and /about group links by module).
   */
  addNav({ href, path, label, order = 50, auth = true, id }, owner = "core") {
    href = href || path;
    if (typeof href !== "string" || !href.startsWith("/")) {
      console.warn(`addNav: ${owner} gave no href starting with "/"`, href);
      return () => {};
    }
    id = id || href;
    const item = { href, label: label || href, order, auth, id, owner };
    this.navItems = this.navItems.filter((other) => other.id !== id);
    this.navItems.push(item);
    this.navItems.sort((a, b) => a.order - b.order);
    this.renderNav();
    return () => {
      this.navItems = this.navItems.filter((other) => other !== item);
      this.renderNav();
    };
  }

  /** Navigation items a visitor can use now: logged in if needed, with a view behind them. */
  visibleNav() {
    return this.navItems.filter(
      (item) => (!item.auth || this.user) && this.router.match(new URL(item.href, location.origin).pathname),
    );
  }

  /** A stylesheet (a same-site URL; a module's registrar resolves it in its static folder). */
  addStylesheet(href) {
    const url = new URL(href, location.origin).href;
    if ([...document.querySelectorAll("link[rel=stylesheet]")].some((link) => link.href === url)) return () => {};
    const link = h("link", { rel: "stylesheet", href: url });
    document.head.append(link);
    return () => link.remove();
  }

  /**
   * A section of profile pages: fn(profile, view) returns an element (or null).
   * `extras`: the keys of `profile.extras` the section shows itself, which the profile's
   * generic rendering then leaves out (unless the section fails).
   */
  addProfileSection(fn, { extras = [] } = {}) {
    fn.extras = [...extras];
    this.profileSections.push(fn);
    return () => {
      this.profileSections = this.profileSections.filter((other) => other !== fn);
    };
  }

  /** A section of the settings page: fn(view) returns an element (or null); `view` is the
   *  settings view (its card(), reauthFields(), reauthValues(), query). */
  addSettingsSection(fn) {
    this.settingsSections.push(fn);
    return () => {
      this.settingsSections = this.settingsSections.filter((other) => other !== fn);
    };
  }

  /**
   * Another way to log in, shown under the login form: {label, href} where `href` is a
   * server URL that starts the flow (a full page load, e.g. "/api/oauth42/authorize").
   */
  addLoginProvider({ id, label, href }) {
    id = id || href;
    const provider = { id, label, href };
    this.loginProviders = this.loginProviders.filter((p) => p.id !== id);
    this.loginProviders.push(provider);
    return () => {
      this.loginProviders = this.loginProviders.filter((p) => p !== provider);
    };
  }

  /**
   * How a notification of `kind` pops up: fn(notification) returns the toast's options
   * ({title, body, href, kind, delay}), replacing the generic one (one toast, not two).
   */
  addNotificationToast(kind, fn) {
    this.notificationToasts.set(kind, fn);
    return () => {
      if (this.notificationToasts.get(kind) === fn) this.notificationToasts.delete(kind);
    };
  }

  // --- what the core's views and the modules use ------------------------------------------

  t(key, params) {
    return this.i18n.t(key, params);
  }

  /** A translation key's text, or the text itself (labels of links may be either). */
  label(text) {
    return this.i18n.has(text) ? this.t(text) : text;
  }

  /**
   * A button on someone else's profile (none on mine, none when either of us blocked the
   * other) that runs `run(profile)`, disabled meanwhile; a failure shows under it, read by
   * `errorMessage(error)` (default: the shell's). For an addProfileSection function.
   */
  profileAction(profile, { id, className = "", label, ariaLabel, style = "primary", run, errorMessage }) {
    const me = this.user;
    if (!me || !profile || profile.id === me.id) return null;
    const rel = profile.relationship || {};
    if (rel.blocked || rel.blocked_by) return null;
    const error = h("p", { class: "small text-danger mb-0 mt-2", role: "alert", hidden: true });
    const button = h("button", {
      class: `btn btn-${style}`,
      type: "button",
      id,
      text: label,
      "aria-label": ariaLabel,
      onclick: async () => {
        button.disabled = true;
        error.hidden = true;
        try {
          await run(profile);
        } catch (e) {
          error.textContent = (errorMessage || ((x) => this.errorMessage(x)))(e);
          error.hidden = false;
        } finally {
          button.disabled = false;
        }
      },
    });
    return h("div", { class: className }, button, error);
  }

  navigate(to, options) {
    return this.router.navigate(to, options);
  }

  toast(options) {
    return this.toasts.show(options);
  }

  get user() {
    return this.session.user;
  }

  /** A readable message for an error from the api (translated when we know its code). */
  errorMessage(error) {
    if (error && error.name === "RealtimeError") {
      return error.code === "offline" ? this.t("errors.offline") : error.message;
    }
    if (error instanceof ApiError) {
      if (error.code === "conflict" && error.field) {
        return this.t("errors.taken", { field: this.fieldName(error.field) });
      }
      if (error.code === "too_many_attempts" && error.details && error.details.retry_after) {
        return this.t("errors.too_many_attempts", { seconds: error.details.retry_after });
      }
      if (error.code === "weak_password") {
        // Why, from the reason the server gives (and its numbers), in the reader's language.
        const reason = error.details && typeof error.details === "object" ? error.details.reason : null;
        const why = `errors.weak_password_${reason}`;
        return this.t(reason && this.i18n.has(why) ? why : "errors.weak_password", error.details || {});
      }
      const key = `errors.${error.code}`;
      if (this.i18n.has(key)) return this.t(key);
      if (error.code === "validation_error" && Array.isArray(error.details)) {
        return error.details
          .map((d) => `${this.fieldName((d.loc || []).slice(-1)[0])}: ${d.msg}`)
          .join(" · ");
      }
      return error.message;
    }
    return this.t("errors.unexpected");
  }

  fieldName(field) {
    if (!field) return "";
    const key = `fields.${field}`;
    return this.i18n.has(key) ? this.t(key) : String(field);
  }

  /** What a view shows when its render() failed. A view may say it in its own words:
   * `errorText(error)` → {title, text} (or null for the general sentence). */
  errorView(error, view = null) {
    if (!(error instanceof ApiError)) console.warn("a view failed to render", error);
    const notFound = error instanceof ApiError && error.status === 404;
    let own = null;
    try {
      own = view?.errorText?.(error) || null;
    } catch (problem) {
      console.warn("a view's errorText failed", problem);
    }
    // Trying again helps only when the server or the network failed, or asked to wait:
    // a refusal or a missing thing stays as it is.
    const transient = !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500;
    const box = alertBox();
    box.show(own?.text || this.errorMessage(error), notFound || own ? "warning" : "danger");
    const title =
      own?.title ||
      this.t(error?.code === "module_disabled" ? "errors.switched_off_title" : notFound ? "errors.not_found_title" : transient ? "errors.title" : "errors.refused_title");
    return h(
      "section",
      { class: "narrow-page", dataset: { title } },
      h("h1", { class: "h3 mb-3", text: title }),
      box.el,
      h(
        "div",
        { class: "d-flex gap-2" },
        h("a", { class: "btn btn-outline-light", href: "/", text: this.t("notfound.home") }),
        transient ? h("button", { class: "btn btn-primary", type: "button", text: this.t("common.retry"), onclick: () => this.router.refresh() }) : null,
      ),
    );
  }

  // --- start ----------------------------------------------------------------------------

  async start() {
    await this.i18n.use(I18n.initial());
    const { registerCoreViews } = await import("./views/index.js");
    registerCoreViews(this);

    let user = null;
    try {
      user = await this.session.resume();
    } catch (error) {
      // The server is unreachable: show the shell anyway, with what works offline.
      this.toast({ title: this.t("errors.title"), body: this.errorMessage(error), kind: "danger" });
    }
    if (user?.language && I18n.supports(user.language)) await this.i18n.use(user.language);
    await this.loader.load();

    this.i18n.addEventListener("change", () => {
      this.renderNav();
      this.router.refresh();
    });
    this.session.addEventListener("change", (event) => this.sessionChanged(event.detail));
    this.realtime.addEventListener("state", () => this.nav.renderConnection());
    this.realtime.on("notify", (data) => this.notifications.notified(data));
    this.realtime.on("notify.read", () => this.loadUnread());
    this.realtime.on("resync", () => this.loadUnread());
    this.realtime.addEventListener("connected", () => this.loadUnread());
    this.addEventListener("navigated", (event) => this.navigated(event.detail));
    // A module switched off while this tab was open: forget its views and links at once.
    this.api.addEventListener("module-disabled", () => this.loader.recheck(true));
    this.addEventListener("modules", () => this.renderNav());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.loader.recheck();
    });

    this.renderNav();
    document.getElementById("boot")?.remove();
    if (user) this.realtime.start();
    await this.router.start();
  }

  async sessionChanged({ before, user, reason }) {
    this.renderNav();
    if (user && !before) {
      this.realtime.start();
      if (user.language && I18n.supports(user.language) && user.language !== this.i18n.lang) {
        await this.i18n.use(user.language);
      }
    } else if (!user && before) {
      this.realtime.stop();
      this.notifications.unread = 0;
      // Logged out from here: the caller decides where to go. Lost by itself (expired,
      // revoked elsewhere): a protected page sends the visitor to log in and come back.
      const found = this.router.match(location.pathname);
      if (reason === "lost" && found && found.route.auth) {
        this.toast({ title: this.t("auth.session_ended"), body: this.t("errors.invalid_refresh"), kind: "danger" });
        this.navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      }
    }
  }

  /** After login/signup: back to where the visitor was going. */
  continueTo(next) {
    return this.navigate(safeNext(next), { replace: true });
  }

  async setLanguage(code) {
    // Saved first, then shown: once the page speaks the new language, a reload (whose
    // profile decides the language) keeps it.
    if (this.user && this.user.language !== code) {
      try {
        const me = await this.api.patch("/api/me/", { language: code });
        this.session.user = me;
      } catch (error) {
        this.toast({ title: this.t("errors.title"), body: this.errorMessage(error), kind: "danger" });
      }
    }
    await this.i18n.use(code);
  }

  // --- navigation, the bar and notifications ----------------------------------------------

  async navigated({ path }) {
    this.toasts.dropLeadingTo(path);
    this.nav.markActiveNav(path);
    this.nav.closeMenu();
    await this.loader.recheck();
  }

  renderNav() {
    this.nav.renderNav();
  }

  /** The display name of the user a notification is about (fetched once, then cached). */
  nameOf(actor) {
    return this.notifications.nameOf(actor);
  }

  loadUnread() {
    return this.notifications.loadUnread();
  }

  async logout() {
    try {
      await this.session.logout();
    } catch {
      /* the session is forgotten here whatever the server said */
    }
    this.toast({ title: this.t("auth.logged_out"), kind: "success", delay: 3000 });
    this.navigate("/", { replace: false });
  }
}
