// Sign up, then log straight in with the same credentials.

import { alertBox, busy, field, h } from "../dom.js";
import { safeNext } from "../router.js";
import { View } from "../view.js";
import { providerButtons } from "./login.js";

export class SignupView extends View {
  title() {
    return this.t("signup.title");
  }

  async render() {
    const next = safeNext(this.query.get("next"));
    if (this.user) queueMicrotask(() => this.shell.continueTo(next));
    const error = alertBox();
    const submit = h("button", { class: "btn btn-primary w-100", type: "submit", text: this.t("signup.submit") });
    const form = h(
      "form",
      { class: "card-body p-4", novalidate: true, "aria-label": this.t("signup.title") },
      error.el,
      field({
        label: this.t("fields.username"),
        name: "username",
        required: true,
        autocomplete: "username",
        help: this.t("signup.username_help"),
        attrs: { autocapitalize: "none", spellcheck: "false", maxlength: "32" },
      }),
      field({ label: this.t("fields.email"), name: "email", type: "email", required: true, autocomplete: "email" }),
      field({
        label: this.t("fields.password"),
        name: "password",
        type: "password",
        required: true,
        autocomplete: "new-password",
        help: this.t("signup.password_help"),
      }),
      field({ label: this.t("fields.password_confirm"), name: "confirm", type: "password", required: true, autocomplete: "new-password" }),
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.clear();
      const values = {
        username: form.elements.username.value.trim(),
        email: form.elements.email.value.trim(),
        password: form.elements.password.value,
      };
      if (!values.username || !values.email || !values.password) {
        error.show(this.t("signup.missing"));
        return;
      }
      if (values.password !== form.elements.confirm.value) {
        error.show(this.t("signup.mismatch"));
        form.elements.confirm.focus();
        return;
      }
      const done = busy(submit);
      try {
        await this.shell.session.signup(values.username, values.email, values.password);
        await this.shell.session.login(values.username, values.password);
        this.shell.toast({ title: this.t("signup.welcome", { name: values.username }), kind: "success", delay: 4000 });
        this.shell.continueTo(next);
      } catch (e) {
        error.show(this.shell.errorMessage(e));
        const name = e.field;
        if (name && form.elements[name]) form.elements[name].focus();
      } finally {
        done();
      }
    });
    return h(
      "section",
      { class: "auth-page" },
      h("h1", { class: "h3 mb-1 text-center", text: this.t("signup.title") }),
      h("p", { class: "text-body-secondary text-center mb-4", text: this.t("signup.lead") }),
      h("div", { class: "card auth-card" }, form),
      providerButtons(this),
      h(
        "p",
        { class: "text-center mt-3 mb-0" },
        this.t("signup.have_account"),
        " ",
        h("a", { href: next !== "/" ? `/login?next=${encodeURIComponent(next)}` : "/login", text: this.t("signup.login_link") }),
      ),
    );
  }
}
