// Log in: username or email and password, then a 2FA code when the account has 2FA on.

import { alertBox, busy, field, h } from "../dom.js";
import { safeNext } from "../router.js";
import { View } from "../view.js";

/** The buttons of modules that offer another way in (login with 42...), for login and signup. */
export function providerButtons(view) {
  const providers = view.shell.loginProviders;
  if (!providers.length) return null;
  return h(
    "div",
    { class: "login-providers mt-3" },
    h("div", { class: "divider-text small text-body-secondary", text: view.t("login.or") }),
    providers.map((p) =>
      h("a", { class: "btn btn-outline-light w-100 mt-2", href: p.href, "data-external": "", text: view.shell.label(p.label) }),
    ),
  );
}

export class LoginView extends View {
  title() {
    return this.t("login.title");
  }

  async render() {
    this.next = safeNext(this.query.get("next"));
    if (this.user) {
      // Already in: straight on to where they were going.
      queueMicrotask(() => this.shell.continueTo(this.next));
    }
    this.card = h("div", { class: "card auth-card" });
    this.passwordStep();
    const signupHref = this.query.get("next") ? `/signup?next=${encodeURIComponent(this.next)}` : "/signup";
    return h(
      "section",
      { class: "auth-page" },
      h("h1", { class: "h3 mb-1 text-center", text: this.t("login.title") }),
      h("p", { class: "text-body-secondary text-center mb-4", text: this.t("login.lead") }),
      this.card,
      this.providers(),
      h(
        "p",
        { class: "text-center mt-3 mb-0" },
        this.t("login.no_account"),
        " ",
        h("a", { href: signupHref, text: this.t("login.signup_link") }),
      ),
    );
  }

  /** Buttons of modules that offer another way in (login with 42...). */
  providers() {
    return providerButtons(this);
  }

  passwordStep() {
    const error = alertBox();
    const submit = h("button", { class: "btn btn-primary w-100", type: "submit", text: this.t("login.submit") });
    const form = h(
      "form",
      { class: "card-body p-4", novalidate: true, "aria-label": this.t("login.title") },
      error.el,
      field({ label: this.t("fields.login"), name: "username", required: true, autocomplete: "username", attrs: { autocapitalize: "none", spellcheck: "false" } }),
      field({ label: this.t("fields.password"), name: "password", type: "password", required: true, autocomplete: "current-password" }),
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.clear();
      const username = form.elements.username.value.trim();
      const password = form.elements.password.value;
      if (!username || !password) {
        error.show(this.t("login.missing"));
        return;
      }
      const done = busy(submit);
      try {
        const result = await this.shell.session.login(username, password);
        if (result?.mfa_token) {
          this.codeStep(result.mfa_token);
          return;
        }
        this.shell.continueTo(this.next);
      } catch (e) {
        error.show(this.shell.errorMessage(e));
        form.elements.password.focus();
      } finally {
        done();
      }
    });
    this.card.replaceChildren(form);
  }

  codeStep(mfaToken) {
    const error = alertBox();
    const submit = h("button", { class: "btn btn-primary w-100", type: "submit", text: this.t("login.verify") });
    const form = h(
      "form",
      { class: "card-body p-4", novalidate: true, "aria-label": this.t("login.code_title") },
      h("h2", { class: "h5", text: this.t("login.code_title") }),
      h("p", { class: "text-body-secondary small", text: this.t("login.code_lead") }),
      error.el,
      field({
        label: this.t("fields.code"),
        name: "code",
        required: true,
        autocomplete: "one-time-code",
        attrs: { inputmode: "numeric", autocapitalize: "none", spellcheck: "false", maxlength: "32" },
      }),
      submit,
      h("button", { class: "btn btn-link w-100 mt-2", type: "button", text: this.t("login.back"), onclick: () => this.passwordStep() }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.clear();
      const code = form.elements.code.value.trim();
      if (!code) {
        error.show(this.t("login.code_missing"));
        return;
      }
      const done = busy(submit);
      try {
        await this.shell.session.loginSecondFactor(mfaToken, code);
        this.shell.continueTo(this.next);
      } catch (e) {
        error.show(this.shell.errorMessage(e));
        form.elements.code.select();
      } finally {
        done();
      }
    });
    this.card.replaceChildren(form);
    form.elements.code.focus();
  }
}
