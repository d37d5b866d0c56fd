// Toasts (Bootstrap's), for notifications and for results of actions.

import { h } from "./dom.js";

export class Toasts {
  constructor(container, { closeLabel = () => "Close", navigate = null } = {}) {
    this.container = container;
    this.closeLabel = closeLabel;
    this.navigate = navigate;
  }

  /**
   * show({title, body, href, kind: "info" | "success" | "danger", delay, actions}).
   * `actions`: buttons [{label, style ("primary", "outline-light"...), run(): promise}]
   * under the body (then the body is not a link); a button's run() closing the toast
   * when it resolves, the buttons disabled meanwhile.
   */
  show({ title, body = "", href = null, kind = "info", delay = 6000, actions = [] }) {
    const link = href && !actions.length
      ? h("a", {
          class: "stretched-link toast-link",
          href,
          text: body,
          onclick: () => instance?.hide(),
        })
      : body;
    const buttons = [];
    const el = h(
      "div",
      {
        class: `toast app-toast app-toast-${kind}`,
        role: kind === "danger" ? "alert" : "status",
        "aria-live": kind === "danger" ? "assertive" : "polite",
        "aria-atomic": "true",
        dataset: href ? { bsDelay: String(delay), href } : { bsDelay: String(delay) },
      },
      h(
        "div",
        { class: "toast-header" },
        h("span", { class: `toast-mark me-2 bg-${kind === "danger" ? "danger" : kind === "success" ? "success" : "info"}`, "aria-hidden": "true" }),
        h("strong", { class: "me-auto", text: title }),
        h("button", { type: "button", class: "btn-close", "data-bs-dismiss": "toast", "aria-label": this.closeLabel() }),
      ),
      body || actions.length
        ? h(
            "div",
            { class: "toast-body position-relative" },
            link,
            actions.length ? h("div", { class: "d-flex gap-2 mt-2 toast-actions" }, actions.map((action) => button(action))) : null,
          )
        : null,
    );
    function button({ label, style = "primary", run }) {
      const made = h("button", {
        type: "button",
        class: `btn btn-sm btn-${style}`,
        text: label,
        onclick: async () => {
          for (const b of buttons) b.disabled = true;
          try {
            await run();
            if (instance) instance.hide();
            else el.remove();
          } catch {
            for (const b of buttons) b.disabled = false; // run() said why; try again
          }
        },
      });
      buttons.push(made);
      return made;
    }
    this.container.append(el);
    let instance = null;
    if (window.bootstrap?.Toast) {
      instance = window.bootstrap.Toast.getOrCreateInstance(el);
      el.addEventListener("hidden.bs.toast", () => el.remove());
      instance.show();
    } else {
      el.classList.add("show");
      setTimeout(() => el.remove(), delay);
    }
    // Keep the screen tidy: at most four toasts at once.
    while (this.container.children.length > 4) this.container.firstElementChild.remove();
    return el;
  }

  /** Close the toasts that lead to `path`: there, they have nothing left to say (and would
   * sit over what the page shows, such as a tournament's standings). */
  dropLeadingTo(path) {
    for (const el of [...this.container.children]) {
      const href = el.dataset.href;
      if (!href || new URL(href, location.href).pathname !== path) continue;
      const toast = window.bootstrap?.Toast?.getInstance(el);
      if (toast) toast.hide();
      else el.remove();
    }
  }
}
