// The navigation bar of index.html: the links (the core's and the modules', see
// Shell.addNav), the account menu, the language switcher, the unread badge and the
// connection indicator. Redrawn by the shell when the session, the language or the
// modules change.

import { h, replace } from "./dom.js";
import { LANGUAGES } from "./i18n.js";

export class NavigationBar {
  constructor(shell) {
    this.shell = shell;
  }

  renderNav() {
    const links = document.getElementById("nav-links");
    const account = document.getElementById("nav-account");
    if (!links || !account) return;
    const user = this.shell.user;
    const core = [{ href: "/", label: "nav.home", order: 0, auth: false }];
    if (user) {
      core.push({ href: "/friends", label: "nav.friends", order: 80, auth: true });
      core.push({ href: "/notifications", label: "nav.notifications", order: 90, auth: true, badge: true, icon: BELL });
    }
    const items = [...core, ...this.shell.visibleNav()].sort((a, b) => a.order - b.order);
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
            item.icon ? h("span", { class: "nav-text", text: this.shell.label(item.label) }) : this.shell.label(item.label),
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
        "aria-label": this.shell.t("nav.language"),
        id: "language-select",
        onchange: (event) => this.shell.setLanguage(event.target.value),
      },
      LANGUAGES.map((l) => h("option", { value: l.code, selected: l.code === this.shell.i18n.lang, text: l.name })),
    );

    if (!user) {
      replace(
        account,
        language,
        h("a", { class: "btn btn-sm btn-outline-light", href: "/login", text: this.shell.t("nav.login") }),
        h("a", { class: "btn btn-sm btn-primary", href: "/signup", text: this.shell.t("nav.signup") }),
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
            h("li", {}, h("a", { class: "dropdown-item", href: `/users/${user.id}`, text: this.shell.t("nav.profile") })),
            h("li", {}, h("a", { class: "dropdown-item", href: "/settings", text: this.shell.t("nav.settings") })),
            h("li", {}, h("hr", { class: "dropdown-divider" })),
            h(
              "li",
              {},
              h("button", {
                class: "dropdown-item",
                type: "button",
                id: "logout-button",
                text: this.shell.t("nav.logout"),
                onclick: () => this.shell.logout(),
              }),
            ),
          ),
        ),
      );
    }
    this.renderBadge();
    this.renderConnection();
    this.markActiveNav(location.pathname);
    this.shell.i18n.translateStatic(document.getElementById("shell-header"));
  }

  renderBadge() {
    const badge = document.getElementById("unread-badge");
    if (!badge) return;
    badge.textContent = this.shell.notifications.unread > 99 ? "99+" : String(this.shell.notifications.unread);
    badge.classList.toggle("d-none", this.shell.notifications.unread === 0);
    const text = document.getElementById("unread-text");
    if (text) text.textContent = this.shell.notifications.unread ? `(${this.shell.t("notifications.unread", { count: this.shell.notifications.unread })})` : "";
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
    const state = this.shell.realtime.state;
    el.hidden = state === "off";
    el.dataset.state = state;
    el.querySelector(".connection-label").textContent = this.shell.t(`connection.${state}`);
    el.title = this.shell.t(`connection.${state}_hint`);
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
