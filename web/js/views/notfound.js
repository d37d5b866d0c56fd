import { h } from "../dom.js";
import { View } from "../view.js";

export class NotFoundView extends View {
  title() {
    return this.t("notfound.title");
  }

  async render() {
    return h(
      "section",
      { class: "narrow-page text-center py-5" },
      h("div", { class: "notfound-score", "aria-hidden": "true", text: "4 · 0 · 4" }),
      h("h1", { class: "h2 mb-3", text: this.t("notfound.title") }),
      h("p", { class: "text-body-secondary mb-4" }, this.t("notfound.text", { path: this.path })),
      h("a", { class: "btn btn-primary", href: "/", text: this.t("notfound.home") }),
    );
  }
}
