// Home: what you can do now, from the modules this server has switched on.

import { h } from "../dom.js";
import { View } from "../view.js";

export class HomeView extends View {
  title() {
    return this.t("home.title");
  }

  async render() {
    this.listen(this.shell, "modules", () => this.shell.router.refresh());
    const root = h("section", { class: "home" });
    root.append(this.user ? this.welcome() : this.hero());
    root.append(this.moduleSection());
    return root;
  }

  hero() {
    return h(
      "div",
      { class: "hero card border-0 mb-4" },
      h(
        "div",
        { class: "card-body p-4 p-md-5" },
        h("div", { class: "hero-court", "aria-hidden": "true" }, h("span", { class: "hero-ball" })),
        h("h1", { class: "display-5 fw-bold mb-3", text: this.t("home.hero_title") }),
        h("p", { class: "lead text-body-secondary mb-4", text: this.t("home.hero_lead") }),
        h(
          "div",
          { class: "d-flex flex-wrap gap-2" },
          h("a", { class: "btn btn-primary btn-lg", href: "/signup", text: this.t("home.cta_signup") }),
          h("a", { class: "btn btn-outline-light btn-lg", href: "/login", text: this.t("home.cta_login") }),
        ),
      ),
    );
  }

  welcome() {
    const user = this.user;
    const actions = [
      { href: `/users/${user.id}`, title: "home.card_profile", text: "home.card_profile_text", icon: "◉" },
      { href: "/friends", title: "home.card_friends", text: "home.card_friends_text", icon: "◎" },
      { href: "/notifications", title: "home.card_notifications", text: "home.card_notifications_text", icon: "✦" },
      { href: "/settings", title: "home.card_settings", text: "home.card_settings_text", icon: "⚙" },
    ];
    for (const item of this.shell.visibleNav()) {
      const owner = this.shell.modules.get(item.owner);
      const name = owner ? this.shell.moduleTitle(owner.info) : this.shell.label(item.label);
      actions.push({ href: item.href, title: item.label, text: this.t("home.card_module_text", { name }), icon: "▶", module: true });
    }
    return h(
      "div",
      {},
      h(
        "div",
        { class: "d-flex align-items-center gap-3 mb-4" },
        h("img", { class: "avatar avatar-lg", src: user.avatar_url, alt: "" }),
        h(
          "div",
          {},
          h("h1", { class: "h2 mb-1", text: this.t("home.welcome", { name: user.display_name }) }),
          h("p", { class: "text-body-secondary mb-0", text: this.t("home.welcome_lead") }),
        ),
      ),
      h(
        "div",
        { class: "row g-3 mb-5" },
        actions.map((action) =>
          h(
            "div",
            { class: "col-12 col-sm-6 col-lg-3" },
            h(
              "a",
              { class: ["card action-card h-100 text-decoration-none", action.module && "action-card-module"], href: action.href },
              h(
                "div",
                { class: "card-body" },
                h("div", { class: "action-icon", "aria-hidden": "true", text: action.icon }),
                h("h2", { class: "h5 card-title mb-1", text: this.shell.label(action.title) }),
                action.text ? h("p", { class: "card-text small text-body-secondary mb-0", text: action.module ? action.text : this.t(action.text) }) : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  moduleSection() {
    const modules = this.shell.enabledModules();
    const links = new Map();
    for (const item of this.shell.visibleNav()) {
      if (!links.has(item.owner)) links.set(item.owner, item);
    }
    const body = modules.length
      ? h(
          "div",
          { class: "row g-3" },
          modules.map((info) => {
            const link = links.get(info.name);
            return h(
              "div",
              { class: "col-12 col-md-6 col-xl-4" },
              h(
                "article",
                { class: "card module-card h-100", dataset: { module: info.name } },
                h(
                  "div",
                  { class: "card-body d-flex flex-column" },
                  h("h3", { class: "h5 mb-2", text: this.shell.moduleTitle(info) }),
                  h("p", { class: "small text-body-secondary flex-grow-1", text: this.shell.moduleDescription(info) || this.t("home.module_no_description") }),
                  link
                    ? h("a", { class: "btn btn-sm btn-primary align-self-start", href: link.href, text: this.t("home.module_open") })
                    : h("span", { class: "small text-body-secondary", text: this.t("home.module_api_only") }),
                ),
              ),
            );
          }),
        )
      : h("p", { class: "text-body-secondary", text: this.t("home.no_modules") });
    return h(
      "section",
      { "aria-labelledby": "modules-heading" },
      h(
        "div",
        { class: "d-flex flex-wrap align-items-baseline justify-content-between gap-2 mb-3" },
        h("h2", { class: "h4 mb-0", id: "modules-heading", text: this.t("home.modules_title") }),
        h(
          "span",
          { class: "small text-body-secondary" },
          this.t("home.modules_count", { count: modules.length }),
          " · ",
          // Versions, routes, message types and set-up notes are for evaluators: their page.
          h("a", { class: "link-secondary", href: "/about", id: "modules-details", text: this.t("home.modules_details") }),
        ),
      ),
      body,
    );
  }
}
