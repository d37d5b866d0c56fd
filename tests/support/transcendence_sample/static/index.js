// The sample module's browser entry: proves the shell's module API in the browser tests.
// It adds a page at /sample (public) listing the module's notes, and a link to it.

export async function register(shell, module) {
  const { View, h } = shell;

  await shell.loadStrings(); // i18n/en.json, fr.json, ru.json

  class SampleView extends View {
    title() {
      return this.t("sample.title");
    }

    async render() {
      const { items } = await this.api.get("/api/sample/notes", { auth: false });
      return h(
        "section",
        { class: "sample-page" },
        this.header(this.t("sample.title"), `${module.title} v${module.version}`),
        h(
          "div",
          { class: "card" },
          items.length
            ? h("ul", { class: "list-group list-group-flush", id: "sample-notes" }, items.map((n) => h("li", { class: "list-group-item", text: n.text })))
            : h("div", { class: "card-body text-body-secondary", text: this.t("sample.empty") }),
        ),
      );
    }
  }

  shell.addRoute("/sample", SampleView, { auth: false });
  shell.addNav({ href: "/sample", label: "sample.nav", order: 40, auth: false });
}
