// Toasts (Bootstrap's), for notifications and for results of actions.

import { h } from "./dom.js";

export class Toasts {
  constructor(container, { closeLabel = () => "Close", navigate = null } = {}) {
    this.container = container;
    this.closeLabel = closeLabel;
    this.navigate = navigate;
  }

  /** show({title, body, href, kind: "info" | "success" | "danger", delay}) */
  show({ title, body = "", href = null, kind = "info", delay = 6000 }) {
    const link = href
      ? h("a", {
          class: "stretched-link toast-link",
          href,
          text: body,
          onclick: () => instance && instance.hide(),
        })
      : body;
    const el = h(
      "div",
      {
        class: `toast app-toast app-toast-${kind}`,
        role: kind === "danger" ? "alert" : "status",
        "aria-live": kind === "danger" ? "assertive" : "polite",
        "aria-atomic": "true",
        dataset: { bsDelay: String(delay) },
      },
      h(
        "div",
        { class: "toast-header" },
        h("span", { class: `toast-mark me-2 bg-${kind === "danger" ? "danger" : kind === "success" ? "success" : "info"}`, "aria-hidden": "true" }),
        h("strong", { class: "me-auto", text: title }),
        h("button", { type: "button", class: "btn-close", "data-bs-dismiss": "toast", "aria-label": this.closeLabel() }),
      ),
      body ? h("div", { class: "toast-body position-relative" }, link) : null,
    );
    this.container.append(el);
    let instance = null;
    if (window.bootstrap && window.bootstrap.Toast) {
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
}
