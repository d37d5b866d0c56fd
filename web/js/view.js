// The base class of every view (the core's and the modules').
//
//   class MyView extends View {
//     title() { return this.t("home.title"); }
//     async render() { return h("section", {}, h("h1", {text: this.t("home.title")})); }
//   }
//
// render() returns one element; the router puts it in <main>. Anything subscribed with
// this.listen() or this.every() is undone by destroy() when the visitor leaves the view.

import { h } from "./dom.js";

export class View {
  constructor({ shell, params = {}, query = new URLSearchParams(), path = "/", context = {} }) {
    this.shell = shell;
    this.context = context; // what the route was added with: shell.addRoute(path, View, {context})
    this.params = params;
    this.query = query;
    this.path = path;
    this.cleanups = [];
  }

  get api() {
    return this.shell.api;
  }

  get user() {
    return this.shell.session.user;
  }

  t(key, params) {
    return this.shell.i18n.t(key, params);
  }

  title() {
    return "";
  }

  async render() {
    return h("section", {});
  }

  /** addEventListener that is removed when the view goes away. */
  listen(target, type, handler) {
    target.addEventListener(type, handler);
    this.cleanups.push(() => target.removeEventListener(type, handler));
  }

  /** A realtime subscription (shell.realtime.on) removed when the view goes away. */
  onRealtime(type, handler) {
    this.cleanups.push(this.shell.realtime.on(type, handler));
  }

  destroy() {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** The standard page header: a title and optional text and actions. */
  header(title, lead, ...actions) {
    return h(
      "div",
      { class: "page-header d-flex flex-wrap align-items-end justify-content-between gap-3 mb-4" },
      h("div", {}, h("h1", { class: "h2 mb-1", text: title }), lead ? h("p", { class: "text-body-secondary mb-0", text: lead }) : null),
      actions.length ? h("div", { class: "d-flex gap-2" }, ...actions) : null,
    );
  }
}
