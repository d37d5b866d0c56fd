// What a module's register(shell, module) receives as `shell`: shell.forModule(name), the
// browser's counterpart of the server's HandlerRegistry.for_module. Everything the module
// registers through it is remembered, and dispose() (the module switched off, or its
// register() failed) takes it all away in one place: routes, links, profile and settings
// sections, login providers, notification toasts, stylesheets, strings, and the session,
// realtime and other listeners it subscribed here. The rest is the shell's own API.
//
//   import { View, h } from "@transcendence/shell";
//   export async function register(shell) {
//     await shell.loadStrings();                       // static/i18n/<lang>.json
//     shell.addRoute("/sample", SampleView, { auth: false });
//     shell.onSession(({ user }) => ...);              // removed when switched off
//   }

export class ModuleRegistrar {
  constructor(shell, name) {
    this.shell = shell;
    this.name = name;
    const info = shell.modules.get(name)?.info;
    // The module's static folder: what its stylesheets and strings are relative to.
    this.staticBase = new URL(info?.provides?.static || `/modules/${name}/static/`, location.origin);
    this.disposers = [];
    this.disposed = false;
  }

  /** Remember how to undo a registration; returns that undo function too. A registration
   *  that arrives after dispose() (a module's late async step) is undone at once. */
  keep(undo) {
    if (this.disposed) undo();
    else this.disposers.push(undo);
    return undo;
  }

  /** Undo everything registered here, newest first. */
  dispose() {
    this.disposed = true;
    for (const undo of this.disposers.splice(0).reverse()) {
      try {
        undo();
      } catch (error) {
        console.warn(`module ${this.name}: undoing a registration failed`, error);
      }
    }
  }

  // --- registrations (see Shell for what each does) --------------------------------------

  addRoute(path, ViewClass, options) {
    return this.keep(this.shell.addRoute(path, ViewClass, options));
  }

  addNav(item) {
    return this.keep(this.shell.addNav(item, this.name));
  }

  addProfileSection(fn, options) {
    return this.keep(this.shell.addProfileSection(fn, options));
  }

  addSettingsSection(fn) {
    return this.keep(this.shell.addSettingsSection(fn));
  }

  addLoginProvider(provider) {
    return this.keep(this.shell.addLoginProvider(provider));
  }

  addNotificationToast(kind, fn) {
    return this.keep(this.shell.addNotificationToast(kind, fn));
  }

  /** A stylesheet of the module's static folder (or any same-site URL). */
  addStylesheet(href) {
    return this.keep(this.shell.addStylesheet(new URL(href, this.staticBase).href));
  }

  /** The module's strings: `folder` (of its static files) holds en.json, fr.json and ru.json;
   *  loaded for the language in use (the others when the visitor switches). */
  async loadStrings(folder = "i18n/") {
    this.keep(() => this.shell.i18n.removeCatalog(this.name));
    await this.shell.i18n.addCatalog(this.name, new URL(folder, this.staticBase));
  }

  /** listener({before, user, reason}) whenever someone logs in or out. */
  onSession(listener) {
    return this.listen(this.shell.session, "change", (event) => listener(event.detail));
  }

  /** A realtime subscription (shell.realtime.on). */
  onRealtime(type, handler) {
    return this.keep(this.shell.realtime.on(type, handler));
  }

  /** addEventListener on any target (the shell's "navigated", "modules", the window...). */
  listen(target, type, handler) {
    target.addEventListener(type, handler);
    return this.keep(() => target.removeEventListener(type, handler));
  }

  // --- the shell's API, as the core's views use it ----------------------------------------

  get api() {
    return this.shell.api;
  }

  get realtime() {
    return this.shell.realtime;
  }

  get session() {
    return this.shell.session;
  }

  get user() {
    return this.shell.user;
  }

  get i18n() {
    return this.shell.i18n;
  }

  get router() {
    return this.shell.router;
  }

  get assetBase() {
    return this.shell.assetBase;
  }

  get modules() {
    return this.shell.modules;
  }

  enabledModules() {
    return this.shell.enabledModules();
  }

  addEventListener(type, handler, options) {
    this.shell.addEventListener(type, handler, options);
  }

  removeEventListener(type, handler, options) {
    this.shell.removeEventListener(type, handler, options);
  }

  t(key, params) {
    return this.shell.t(key, params);
  }

  navigate(to, options) {
    return this.shell.navigate(to, options);
  }

  toast(options) {
    return this.shell.toast(options);
  }

  errorMessage(error) {
    return this.shell.errorMessage(error);
  }

  profileAction(profile, options) {
    return this.shell.profileAction(profile, options);
  }
}
