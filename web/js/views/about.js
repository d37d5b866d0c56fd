// /about: what this server runs, for evaluators and maintainers: every installed module,
// on or off, its version, what it requires and registers, and what it still needs to be set
// up. The home page keeps to what a player can do.

import { h } from "../dom.js";
import { View } from "../view.js";

export class AboutView extends View {
  title() {
    return this.t("about.title");
  }

  async render() {
    this.listen(this.shell, "modules", () => this.shell.router.refresh());
    const modules = await this.api.get("/api/modules");
    const links = new Map();
    for (const item of this.shell.visibleNav()) {
      if (!links.has(item.owner)) links.set(item.owner, item);
    }
    return h(
      "section",
      { class: "about-page" },
      this.header(
        this.t("about.title"),
        this.t("about.lead"),
        h("a", { class: "btn btn-outline-light btn-sm", href: "/docs", "data-external": "", text: this.t("about.api_docs") }),
      ),
      modules.length
        ? h(
            "div",
            { class: "row g-3", id: "about-modules" },
            modules.map((info) => h("div", { class: "col-12 col-lg-6" }, this.card(info, links.get(info.name)))),
          )
        : h("p", { class: "text-body-secondary", text: this.t("home.no_modules") }),
    );
  }

  /** Module names and realtime types: identifiers, the same in every language. */
  identifiers(names) {
    return names.flatMap((name, i) => [i ? ", " : null, h("code", { text: name })]).filter(Boolean);
  }

  card(info, link) {
    const provides = info.provides || {};
    const routes = provides.routes || [];
    const realtime = provides.realtime || [];
    const facts = [
      [this.t("about.version"), info.version],
      [this.t("about.requires"), info.requires?.length ? this.identifiers(info.requires) : this.t("about.requires_nothing")],
      [this.t("about.routes"), this.t("home.module_routes", { count: routes.length })],
      [this.t("about.realtime"), realtime.length ? this.identifiers(realtime) : this.t("home.module_realtime", { count: 0 })],
    ];
    return h(
      "article",
      { class: "card module-card h-100", dataset: { module: info.name, enabled: String(Boolean(info.enabled)) } },
      h(
        "div",
        { class: "card-body d-flex flex-column" },
        h(
          "div",
          { class: "d-flex justify-content-between align-items-start gap-2 mb-2" },
          h("h2", { class: "h5 mb-0", text: this.shell.moduleTitle(info) }),
          h("span", {
            class: `badge ${info.enabled ? "text-bg-success" : "text-bg-secondary"}`,
            text: this.t(info.enabled ? "about.enabled" : "about.disabled"),
          }),
        ),
        h("p", { class: "small text-body-secondary", text: this.shell.moduleDescription(info) || this.t("home.module_no_description") }),
        h(
          "dl",
          { class: "row small mb-2" },
          facts.map(([term, value]) => [
            h("dt", { class: "col-5 col-sm-4 fw-normal text-body-secondary", text: term }),
            h("dd", { class: "col-7 col-sm-8 mb-1 text-break" }, value),
          ]),
        ),
        info.configured === false
          ? h(
              "p",
              { class: "small text-warning mb-2 module-unconfigured", dataset: { testid: "module-unconfigured" } },
              h("strong", { text: this.t("home.module_unconfigured") }),
              // The server's hint for maintainers (settings to set, a file to read), as it says it.
              info.status_message ? [" ", h("code", { text: info.status_message })] : null,
            )
          : null,
        info.enabled && link ? h("a", { class: "btn btn-sm btn-primary align-self-start mt-auto", href: link.href, text: this.t("home.module_open") }) : null,
      ),
    );
  }
}
