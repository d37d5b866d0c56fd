// The shell: owns the api client, the session, the realtime socket, translations, the router
// and the navigation bar, and is the one object modules talk to (see docs/frontend.md):
//
//   export function register(shell, module) {
//     await shell.loadStrings();                       // its static/i18n/<lang>.json
//     shell.addRoute("/chat", ChatView);              // needs a login unless {auth: false}
//     shell.addNav({href: "/chat", label: "chat.nav", order: 20});
//   }

import { Api, ApiError } from "./api.js";
import { alertBox, h, replace } from "./dom.js";
import { errorText, fieldName } from "./errors.js";
import { I18n, LANGUAGES } from "./i18n.js";
import { Realtime } from "./realtime.js";
import { Router, safeNext } from "./router.js";
import { Session } from "./session.js";
import { Toasts } from "./toasts.js";
import { View } from "./view.js";
import { actorOf, describeNotification, notificationHref } from "./notifications.js";

const MODULE_RECHECK_MS = 30_000;

export class Shell extends EventTarget {
  constructor({ assetBase, outlet }) {
    super();
    this.assetBase = assetBase;
    this.api = new Api();
    this.session = new Session(this.api);
    this.i18n = new I18n(new URL("i18n/", assetBase));
    this.realtime = new Realtime(this.api);
    this.router = new Router(this, outlet);
    this.toasts = new Toasts(document.getElementById("toasts"), {
      closeLabel: () => this.t("common.close"),
    });
    this.navItems = [];
    this.profileSections = [];
    this.settingsSections = [];
    this.loginProviders = [];
    this.playerNames = [];
    this.notificationToasts = new Map(); // kind → fn(notification) → toast options
    this.modules = new Map(); // name → {info, loaded: bool, error}
    this.owner = "core";
    this.modulesCheckedAt = 0;
    this.unread = 0;

    // What modules use to build their views without importing the core's files.
    this.View = View;
    this.h = h;
    this.ApiError = ApiError;
    this.safeNext = safeNext; // a same-site path or the fallback (never another site)
  }

  // --- the module API -------------------------------------------------------------------

  t(key, params) {
    return this.i18n.t(key, params);
  }

  /** A view at `path` (":name" segments become this.params.name); auth defaults to true. */
  addRoute(path, ViewClass, { auth = true } = {}) {
    this.router.add(path, ViewClass, { auth, owner: this.owner });
  }

  /**
   * A link in the navigation bar: {href, label (translation key or text), order, auth}.
   * It shows once a route answers `href` (a link to nowhere is never shown).
   */
  addNav({ href, path, label, order = 50, auth = true, id }) {
    href = href || path;
    if (typeof href !== "string" || !href.startsWith("/")) {
      console.warn(`addNav: ${this.owner} gave no href starting with "/"`, href);
      return;
    }
    id = id || href;
    this.navItems = this.navItems.filter((item) => item.id !== id);
    this.navItems.push({ href, label: label || href, order, auth, id, owner: this.owner });
    this.navItems.sort((a, b) => a.order - b.order);
    this.renderNav();
  }

  /** Navigation items a visitor can use now: logged in if needed, with a view behind them. */
  visibleNav() {
    return this.navItems.filter(
      (item) => (!item.auth || this.user) && this.router.match(new URL(item.href, location.origin).pathname),
    );
  }

  /** A stylesheet of the module (relative to its static folder) or any same-site URL. */
  addStylesheet(href) {
    const base = this.owner !== "core" && this.modules.get(this.owner) ? this.modules.get(this.owner).info.provides.static : "/";
    const url = new URL(href, new URL(base, location.origin)).href;
    if ([...document.querySelectorAll("link[rel=stylesheet]")].some((link) => link.href === url)) return;
    document.head.append(h("link", { rel: "stylesheet", href: url, dataset: { owner: this.owner } }));
  }

  /**
   * A section of profile pages: fn(profile, view) returns an element (or null).
   * `extras`: the keys of `profile.extras` the section shows itself, which the profile's
   * generic rendering then leaves out (unless the section fails).
   */
  addProfileSection(fn, { extras = [] } = {}) {
    fn.owner = this.owner;
    fn.extras = [...extras];
    this.profileSections.push(fn);
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

  /** A section of the settings page: fn(view) returns an element (or null); `view` is the
   *  settings view (its card(), reauthFields(), reauthValues(), query). */
  addSettingsSection(fn) {
    fn.owner = this.owner;
    this.settingsSections.push(fn);
  }

  /**
   * Another way to log in, shown under the login form: {label, href} where `href` is a
   * server URL that starts the flow (a full page load, e.g. "/api/oauth42/authorize").
   */
  addLoginProvider({ id, label, href }) {
    id = id || href;
    this.loginProviders = this.loginProviders.filter((p) => p.id !== id);
    this.loginProviders.push({ id, label, href, owner: this.owner });
  }

  /**
   * How a notification of `kind` pops up: fn(notification) returns the toast's options
   * ({title, body, href, kind, delay}), replacing the generic one (one toast, not two).
   */
  addNotificationToast(kind, fn) {
    fn.owner = this.owner;
    this.notificationToasts.set(kind, fn);
  }

  /**
   * How a player a module stores by name reads in the reader's language: fn(ref) returns the
   * text for `ref` ({user_id, name, kind...}) or null. Pong words its AI and the unnamed
   * second player of a local game; `playerName(ref)` asks every such function.
   */
  addPlayerName(fn) {
    fn.owner = this.owner;
    this.playerNames.push(fn);
  }

  playerName(ref) {
    if (!ref) return "";
    for (const fn of this.playerNames) {
      const text = fn(ref);
      if (text) return text;
    }
    return ref.name ?? ref.display_name ?? "";
  }

  /** The module's strings: `folder` (relative to its static folder) holds en.json, fr.json
   *  and ru.json; loaded for the language in use, dropped when the module is switched off. */
  async loadStrings(folder = "i18n/") {
    const base = new URL(this.modules.get(this.owner).info.provides.static, location.origin);
    await this.i18n.addCatalog(this.owner, new URL(folder, base));
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
    if (error instanceof ApiError || error?.name === "RealtimeError") return errorText(this.i18n, error);
    return this.t("errors.unexpected");
  }

  fieldName(field) {
    return fieldName(this.i18n, field);
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
    await this.loadModules();

    this.i18n.addEventListener("change", () => {
      this.renderNav();
      this.router.refresh();
    });
    this.session.addEventListener("change", (event) => this.sessionChanged(event.detail));
    this.realtime.addEventListener("state", () => this.renderConnection());
    this.realtime.on("notify", (data) => this.notified(data));
    this.realtime.on("notify.read", () => this.loadUnread());
    this.realtime.on("resync", () => this.loadUnread());
    this.realtime.addEventListener("connected", () => this.loadUnread());
    this.addEventListener("navigated", (event) => this.navigated(event.detail));
    // A module switched off while this tab was open: forget its views and links at once.
    this.api.addEventListener("module-disabled", () => this.recheckModules(true));
    this.addEventListener("modules", () => this.renderNav());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.recheckModules();
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
      this.unread = 0;
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

  // --- modules --------------------------------------------------------------------------

  /** Ask which modules are on; import the browser entry of each newly enabled one. */
  async loadModules() {
    let listed;
    try {
      listed = await this.api.get("/api/modules", { auth: false });
    } catch (error) {
      console.warn("the module list is unavailable", error);
      return;
    }
    this.modulesCheckedAt = Date.now();
    const before = [...this.modules.keys()].sort().join();
    const enabled = new Set();
    for (const info of listed) {
      if (!info.enabled) continue;
      enabled.add(info.name);
      const known = this.modules.get(info.name);
      if (known && (known.loaded || known.error)) {
        known.info = info;
        continue;
      }
      const entry = { info, loaded: false, error: null };
      this.modules.set(info.name, entry);
      if (info.provides?.static) await this.importModule(entry);
    }
    for (const [name, entry] of this.modules) {
      if (enabled.has(name)) continue;
      // Switched off: its routes and links go (its code stays loaded but unreachable).
      this.router.removeOwnedBy(name);
      this.navItems = this.navItems.filter((item) => item.owner !== name);
      this.profileSections = this.profileSections.filter((fn) => fn.owner !== name);
      this.settingsSections = this.settingsSections.filter((fn) => fn.owner !== name);
      this.loginProviders = this.loginProviders.filter((p) => p.owner !== name);
      for (const [kind, fn] of this.notificationToasts) if (fn.owner === name) this.notificationToasts.delete(kind);
      for (const link of document.querySelectorAll("link[data-owner]")) if (link.dataset.owner === name) link.remove();
      this.i18n.removeCatalog(name);
      this.modules.delete(name);
      if (entry.loaded && entry.exports && typeof entry.exports.unregister === "function") {
        try {
          entry.exports.unregister(this);
        } catch (error) {
          console.warn(`module ${name} failed to unregister`, error);
        }
      }
    }
    if ([...this.modules.keys()].sort().join() !== before) {
      this.dispatchEvent(new CustomEvent("modules", { detail: this.enabledModules() }));
    }
  }

  async importModule(entry) {
    const { info } = entry;
    const file = info.provides.entry || "index.js";
    this.owner = info.name;
    for (const css of info.provides.styles || []) this.addStylesheet(css);
    this.owner = "core";
    const url = new URL(file, new URL(info.provides.static, location.origin)).href;
    try {
      const exports = await import(url);
      this.owner = info.name;
      try {
        if (typeof exports.register !== "function") throw new Error("its entry exports no register(shell)");
        await exports.register(this, info);
      } finally {
        this.owner = "core";
      }
      entry.loaded = true;
      entry.exports = exports;
    } catch (error) {
      entry.error = error;
      console.warn(`module ${info.name}: its browser code failed to load`, error);
      this.toast({
        title: this.t("modules.failed_title"),
        body: this.t("modules.failed", { name: this.moduleTitle(info) }),
        kind: "danger",
      });
    }
  }

  enabledModules() {
    return [...this.modules.values()].map((entry) => entry.info);
  }

  async navigated({ path }) {
    this.toasts.dropLeadingTo(path);
    this.markActiveNav(path);
    this.closeMenu();
    await this.recheckModules();
  }

  /** Re-read which modules are on (at most every 30 s unless `now`); redraw when it changed. */
  async recheckModules(now = false) {
    if (!now && Date.now() - this.modulesCheckedAt < MODULE_RECHECK_MS) return;
    this.modulesCheckedAt = Date.now();
    await this.loadModules();
  }

  /** On phones, close the folded menu once a view is chosen (even mid-animation). */
  closeMenu() {
    const collapse = document.getElementById("main-nav");
    if (!collapse || !window.bootstrap) return;
    const hide = () => window.bootstrap.Collapse.getOrCreateInstance(collapse, { toggle: false }).hide();
    const opening = document.querySelector('[data-bs-target="#main-nav"]')?.getAttribute("aria-expanded") === "true";
    if (collapse.classList.contains("collapsing") && opening) {
      collapse.addEventListener("shown.bs.collapse", hide, { once: true });
    } else if (collapse.classList.contains("show")) {
      hide();
    }
  }

  // --- notifications --------------------------------------------------------------------

  async notified(notification) {
    this.unread += 1;
    this.renderBadge();
    // The view on screen may show this news itself, live: then a toast would only cover it.
    let shown = false;
    try {
      shown = Boolean(this.router.current?.showsNotification?.(notification));
    } catch (error) {
      console.warn("a view's showsNotification failed", error);
    }
    const own = this.notificationToasts.get(String(notification.kind || ""));
    if (shown) {
      // Counted in the badge and listed under Notifications; no toast.
    } else if (own) {
      this.toast(own(notification));
    } else {
      const name = await this.nameOf(actorOf(notification));
      const { title, body } = describeNotification(this, notification, name);
      this.toast({ title, body, href: notificationHref(notification) || "/notifications" });
    }
    this.dispatchEvent(new CustomEvent("notification", { detail: notification }));
  }

  /** The display name of the user a notification is about (fetched once, then cached). */
  async nameOf(actor) {
    if (!actor?.id) return null;
    if (actor.name) return actor.name;
    this.names = this.names || new Map();
    if (!this.names.has(actor.id)) {
      this.names.set(
        actor.id,
        this.api.get(`/api/users/${actor.id}`).then(
          (user) => user.display_name,
          () => null,
        ),
      );
    }
    return this.names.get(actor.id);
  }

  async loadUnread() {
    if (!this.user) return;
    try {
      const page = await this.api.get("/api/notifications/", { query: { unread: "true", limit: 1 } });
      this.unread = typeof page.unread === "number" ? page.unread : (page.items || []).length;
    } catch {
      return;
    }
    this.renderBadge();
  }

  // --- the navigation bar ---------------------------------------------------------------

  label(text) {
    return this.i18n.has(text) ? this.t(text) : text;
  }

  /** A module's title and description (`/api/modules` entry) in the reader's language:
   *  its `translations[lang]`, else the English `title` / `description`. */
  moduleTitle(info) {
    return info?.translations?.[this.i18n.lang]?.title || info?.title || info?.name || "";
  }

  moduleDescription(info) {
    return info?.translations?.[this.i18n.lang]?.description || info?.description || "";
  }

  renderNav() {
    const links = document.getElementById("nav-links");
    const account = document.getElementById("nav-account");
    if (!links || !account) return;
    const user = this.user;
    const core = [{ href: "/", label: "nav.home", order: 0, auth: false }];
    if (user) {
      core.push({ href: "/friends", label: "nav.friends", order: 80, auth: true });
      core.push({ href: "/notifications", label: "nav.notifications", order: 90, auth: true, badge: true, icon: BELL });
    }
    const items = [...core, ...this.visibleNav()].sort((a, b) => a.order - b.order);
    replace(
      links,
      items.map((item) =>
        h(
          "li",
          { class: "nav-item" },
          h(
            "a",
            { class: item.icon ? "nav-link nav-link-icon" : "nav-link", href: item.href, dataset: { nav: item.href } },
            // On a wide bar an icon stands for the word (still the link's name for a screen
            // reader); in the folded menu the word shows.
            item.icon ? iconOf(item.icon) : null,
            item.icon ? h("span", { class: "nav-text", text: this.label(item.label) }) : this.label(item.label),
            item.badge ? h("span", { class: "badge rounded-pill text-bg-danger ms-1 d-none", id: "unread-badge", "aria-hidden": "true" }) : null,
            item.badge ? h("span", { class: "visually-hidden", id: "unread-text" }) : null,
          ),
        ),
      ),
    );

    const language = h(
      "select",
      {
        class: "form-select form-select-sm language-select",
        "aria-label": this.t("nav.language"),
        id: "language-select",
        onchange: (event) => this.setLanguage(event.target.value),
      },
      LANGUAGES.map((l) => h("option", { value: l.code, selected: l.code === this.i18n.lang, text: l.name })),
    );

    if (!user) {
      replace(
        account,
        language,
        h("a", { class: "btn btn-sm btn-outline-light", href: "/login", text: this.t("nav.login") }),
        h("a", { class: "btn btn-sm btn-primary", href: "/signup", text: this.t("nav.signup") }),
      );
    } else {
      const menuId = "account-menu";
      replace(
        account,
        language,
        h(
          "div",
          { class: "dropdown" },
          h(
            "button",
            {
              class: "btn btn-sm btn-outline-light dropdown-toggle d-flex align-items-center gap-2 account-button",
              type: "button",
              id: menuId,
              "data-bs-toggle": "dropdown",
              "aria-expanded": "false",
            },
            h("img", { class: "avatar avatar-xs", src: user.avatar_url, alt: "" }),
            h("span", { class: "account-name", text: user.display_name }),
          ),
          h(
            "ul",
            { class: "dropdown-menu dropdown-menu-end", "aria-labelledby": menuId },
            h("li", {}, h("a", { class: "dropdown-item", href: `/users/${user.id}`, text: this.t("nav.profile") })),
            h("li", {}, h("a", { class: "dropdown-item", href: "/settings", text: this.t("nav.settings") })),
            h("li", {}, h("hr", { class: "dropdown-divider" })),
            h(
              "li",
              {},
              h("button", {
                class: "dropdown-item",
                type: "button",
                id: "logout-button",
                text: this.t("nav.logout"),
                onclick: () => this.logout(),
              }),
            ),
          ),
        ),
      );
    }
    this.renderBadge();
    this.renderConnection();
    this.markActiveNav(location.pathname);
    this.i18n.translateStatic(document.getElementById("shell-header"));
  }

  renderBadge() {
    const badge = document.getElementById("unread-badge");
    if (!badge) return;
    badge.textContent = this.unread > 99 ? "99+" : String(this.unread);
    badge.classList.toggle("d-none", this.unread === 0);
    const text = document.getElementById("unread-text");
    if (text) text.textContent = this.unread ? `(${this.t("notifications.unread", { count: this.unread })})` : "";
  }

  markActiveNav(path) {
    for (const link of document.querySelectorAll("#nav-links a[data-nav]")) {
      const href = link.dataset.nav;
      const active = href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);
      link.classList.toggle("active", active);
      if (active) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  renderConnection() {
    const el = document.getElementById("connection");
    if (!el) return;
    const state = this.realtime.state;
    el.hidden = state === "off";
    el.dataset.state = state;
    el.querySelector(".connection-label").textContent = this.t(`connection.${state}`);
    el.title = this.t(`connection.${state}_hint`);
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

// The bell of the notifications link: a path, drawn with the text's colour.
const BELL =
  "M8 16a2 2 0 0 0 2-2H6a2 2 0 0 0 2 2zm.995-14.901a1 1 0 1 0-1.99 0A5.002 5.002 0 0 0 3 6c0 1.098-.5 6-2 7h14c-1.5-1-2-5.902-2-7 0-2.42-1.72-4.44-4.005-4.901z";

function iconOf(path) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "18");
  svg.setAttribute("height", "18");
  svg.setAttribute("fill", "currentColor");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "nav-icon");
  const shape = document.createElementNS("http://www.w3.org/2000/svg", "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return svg;
}
