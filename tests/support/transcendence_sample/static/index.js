// The sample module's browser entry: proves the shell's module API in the browser tests.
// A page at /sample (public) listing the module's notes and a link to it, plus a stylesheet,
// a profile and a settings section (shown only for accounts named "sampled...", so other
// tests' pages stay as they are) and a session listener, so tests/browser/test_shell.py can
// check that switching the module off takes every one of them away.

import { h, View } from "@transcendence/shell";

export class SampleView extends View {
  title() {
    return this.t("sample.title");
  }

  async render() {
    const { items } = await this.api.get("/api/sample/notes", { auth: false });
    const module = this.shell.modules.get("sample").info;
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

export async function register(shell) {
  await shell.loadStrings(); // i18n/en.json, fr.json, ru.json
  shell.addStylesheet("sample.css");
  shell.addRoute("/sample", SampleView, { auth: false });
  shell.addNav({ href: "/sample", label: "sample.nav", order: 40, auth: false });
  const sampled = (user) => Boolean(user?.username?.startsWith("sampled"));
  shell.addProfileSection((profile) => (sampled(profile) ? h("p", { id: "sample-profile", text: shell.t("sample.profile") }) : null));
  shell.addSettingsSection((view) => (sampled(view.user) ? view.card("sample-settings", shell.t("sample.title"), shell.t("sample.settings")) : null));
  // Who is logged in, as the sample module last heard it (the tests read it).
  const heard = (user) => {
    document.body.dataset.sampleHeard = user ? user.username : "nobody";
  };
  heard(shell.user);
  shell.onSession(({ user }) => heard(user));
}
