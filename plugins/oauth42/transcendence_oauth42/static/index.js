// The oauth42 module's browser entry (docs/oauth42.md, "Browser"):
// - a "Log in with 42" button under the login and signup forms (shell.addLoginProvider), only
//   when GET /api/oauth42/status says the server is configured; it is a plain link to
//   /api/oauth42/login, a full page navigation: the server runs the whole flow;
// - /login/42, where the callback sends the browser back: `?oauth42=done` turns the refresh
//   cookie the callback set into the SPA's session, `?oauth_mfa=1` asks for the 2FA code,
//   `?oauth_error=<code>` explains what went wrong (one message per code);
// - a "42 account" section in Settings: linked as <login> with Unlink, or Link.

import { ApiError, h, View } from "@transcendence/shell";

import { CODES } from "./codes.js";

// What GET /api/oauth42/status said (register() asks it once).
const state = { configured: false, loginUrl: "/api/oauth42/login" };

const errorText = (shell, code) => shell.t(CODES.includes(code) ? `oauth42.error.${code}` : "oauth42.error.unknown");

function alert(message, kind = "danger", id) {
  return h("div", { class: `alert alert-${kind}`, role: kind === "danger" || kind === "warning" ? "alert" : "status", id, text: message });
}

// --- /login/42 ------------------------------------------------------------------------

export class OAuth42View extends View {
  title() {
    return this.t("oauth42.page_title");
  }

  async render() {
    if (this.query.get("oauth42") === "done") return this.finish();
    if (this.query.get("oauth_mfa")) return this.secondFactor();
    return this.failure(this.query.get("oauth_error") || "unknown");
  }

  page(...body) {
    return h(
      "section",
      { class: "auth-page oauth42-page" },
      h("h1", { class: "h3 mb-3 text-center", text: this.t("oauth42.page_title") }),
      h("div", { class: "card auth-card" }, h("div", { class: "card-body p-4" }, ...body)),
    );
  }

  /** Back from a successful callback: the refresh cookie is set; start the session here. */
  async finish() {
    if (!this.user) {
      try {
        await this.api.refresh();
        await this.shell.session.reload();
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
        return this.page(alert(this.t("oauth42.finish_failed"), "danger", "oauth42-error"), this.actions("invalid_state"));
      }
    }
    queueMicrotask(() => this.shell.navigate("/", { replace: true }));
    return this.page(h("p", { class: "mb-0 text-body-secondary", role: "status", text: this.t("oauth42.finishing") }));
  }

  /** The account has 2FA: the callback left a one-use cookie; trade it for the mfa token. */
  async secondFactor() {
    let mfaToken;
    try {
      const body = await this.api.post("/api/oauth42/mfa", undefined, { auth: false, retry: false });
      mfaToken = body.mfa_token;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      return this.page(alert(this.t("oauth42.mfa_expired"), "warning", "oauth42-error"), this.actions("state_expired"));
    }
    const error = h("div", { class: "alert alert-danger d-none", role: "alert" });
    const id = "oauth42-code";
    const input = h("input", {
      class: "form-control",
      id,
      name: "code",
      required: true,
      autocomplete: "one-time-code",
      inputmode: "numeric",
      autocapitalize: "none",
      spellcheck: "false",
      maxlength: "32",
    });
    const submit = h("button", { class: "btn btn-primary w-100", type: "submit", text: this.t("oauth42.mfa_submit") });
    const form = h(
      "form",
      { novalidate: true, "aria-label": this.t("oauth42.mfa_title") },
      h("h2", { class: "h5", text: this.t("oauth42.mfa_title") }),
      h("p", { class: "text-body-secondary small", text: this.t("oauth42.mfa_lead") }),
      error,
      h("div", { class: "mb-3" }, h("label", { class: "form-label", htmlFor: id, text: this.t("oauth42.code") }), input),
      submit,
    );
    const show = (message) => {
      error.textContent = message;
      error.classList.remove("d-none");
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.classList.add("d-none");
      const code = input.value.trim();
      if (!code) {
        show(this.t("oauth42.mfa_missing"));
        input.focus();
        return;
      }
      submit.disabled = true;
      try {
        await this.shell.session.loginSecondFactor(mfaToken, code);
        this.shell.navigate("/", { replace: true });
      } catch (e) {
        show(this.shell.errorMessage(e));
        input.select();
      } finally {
        submit.disabled = false;
      }
    });
    queueMicrotask(() => input.focus());
    return this.page(form);
  }

  failure(code) {
    return h(
      "section",
      { class: "auth-page oauth42-page" },
      h("h1", { class: "h3 mb-3 text-center", text: this.t("oauth42.error_title") }),
      h(
        "div",
        { class: "card auth-card" },
        h("div", { class: "card-body p-4" }, alert(errorText(this.shell, code), code === "access_denied" ? "warning" : "danger", "oauth42-error"), this.actions(code)),
      ),
    );
  }

  /** What to do next, for each kind of failure. */
  actions(code) {
    const buttons = [];
    if (code === "email_in_use") {
      buttons.push(
        h("a", { class: "btn btn-primary w-100", href: "/login?next=%2Fsettings", id: "oauth42-login-then-link", text: this.t("oauth42.login_then_link") }),
        h("p", { class: "small text-body-secondary mt-2 mb-0", text: this.t("oauth42.login_then_link_help") }),
      );
      return h("div", { class: "d-flex flex-column gap-2" }, buttons);
    }
    if (state.configured && code !== "not_configured") {
      buttons.push(h("a", { class: "btn btn-primary w-100 oauth42-button", href: state.loginUrl, "data-external": "", id: "oauth42-retry", text: this.t("oauth42.try_again") }));
    }
    buttons.push(h("a", { class: "btn btn-outline-light w-100", href: "/login", text: this.t("oauth42.password_login") }));
    return h("div", { class: "d-flex flex-column gap-2" }, buttons);
  }
}

// --- the settings section ---------------------------------------------------------------

function settingsSection(shell, view) {
  const t = (k, p) => shell.t(k, p);
  const body = h("div", { class: "oauth42-settings-body" });
  const notice = h("div", {});
  const linked = view.query.get("oauth42") === "linked";
  const failed = view.query.get("oauth_error");
  if (linked) notice.append(alert(t("oauth42.link_done"), "success", "oauth42-notice"));
  if (failed) notice.append(alert(errorText(shell, failed), "danger", "oauth42-notice"));
  const section = view.card("settings-oauth42", t("oauth42.settings_title"), t("oauth42.settings_lead"), notice, body);
  if (linked || failed) {
    // Back from 42: show the outcome where the visitor will look for it.
    requestAnimationFrame(() => section.isConnected && section.scrollIntoView({ block: "center" }));
  }

  const draw = async () => {
    let link;
    try {
      link = await shell.api.get("/api/oauth42/link");
    } catch (error) {
      body.replaceChildren(alert(shell.errorMessage(error)));
      return;
    }
    if (link.linked) {
      const since = link.linked_at ? new Date(link.linked_at).toLocaleDateString(shell.i18n.lang, { dateStyle: "medium" }) : "";
      const unlink = h("button", {
        class: "btn btn-outline-danger",
        type: "button",
        id: "oauth42-unlink",
        text: t("oauth42.unlink"),
        disabled: !link.can_unlink,
        "aria-describedby": link.can_unlink ? null : "oauth42-cannot-unlink",
        onclick: async () => {
          if (!window.confirm(t("oauth42.unlink_confirm"))) return;
          unlink.disabled = true;
          try {
            await shell.api.delete("/api/oauth42/link");
            notice.replaceChildren(alert(t("oauth42.unlinked"), "success", "oauth42-notice"));
            await draw();
          } catch (error) {
            unlink.disabled = false;
            notice.replaceChildren(alert(error.code === "last_login_method" ? t("oauth42.cannot_unlink") : shell.errorMessage(error), "danger", "oauth42-notice"));
          }
        },
      });
      body.replaceChildren(
        h(
          "div",
          { class: "d-flex flex-wrap align-items-center justify-content-between gap-3" },
          h(
            "p",
            { class: "mb-0", id: "oauth42-status" },
            h("span", { class: "oauth42-mark", "aria-hidden": "true", text: "42" }),
            " ",
            h("strong", { text: t("oauth42.linked_as", { login: link.login }) }),
            since ? h("span", { class: "text-body-secondary small ms-2", text: t("oauth42.linked_since", { date: since }) }) : null,
          ),
          unlink,
        ),
        link.can_unlink ? null : h("p", { class: "small text-body-secondary mt-2 mb-0", id: "oauth42-cannot-unlink", text: t("oauth42.cannot_unlink") }),
      );
      return;
    }
    if (!state.configured) {
      body.replaceChildren(h("p", { class: "mb-0 text-body-secondary", id: "oauth42-status", text: t("oauth42.unavailable") }));
      return;
    }
    const error = h("div", { class: "alert alert-danger d-none", role: "alert" });
    const submit = h("button", { class: "btn btn-primary oauth42-button", type: "submit", id: "oauth42-link", text: t("oauth42.link") });
    const form = h(
      "form",
      { novalidate: true, "aria-label": t("oauth42.link") },
      h("p", { class: "mb-3", id: "oauth42-status", text: t("oauth42.not_linked") }),
      error,
      view.reauthFields(),
      h("p", { class: "small text-body-secondary", text: t("oauth42.link_help") }),
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.classList.add("d-none");
      submit.disabled = true;
      try {
        const { authorize_url: url } = await shell.api.post("/api/oauth42/link/start", view.reauthValues(form), { retry: false });
        window.location.assign(url); // a full navigation to 42; it comes back to /settings
      } catch (e) {
        submit.disabled = false;
        error.textContent = shell.errorMessage(e);
        error.classList.remove("d-none");
        const first = form.querySelector("input:not([type=hidden])");
        if (first) first.focus();
      }
    });
    body.replaceChildren(form);
  };
  draw();
  return section;
}

export async function register(shell) {
  await shell.loadStrings();
  shell.addStylesheet("oauth42.css");
  shell.addRoute("/login/42", OAuth42View, { auth: false });
  shell.addSettingsSection((view) => settingsSection(shell, view));

  // The button shows only when this server can log in with 42.
  return shell.api.get("/api/oauth42/status", { auth: false }).then(
    (status) => {
      state.configured = Boolean(status?.configured);
      if (status?.login_url) state.loginUrl = status.login_url;
      if (state.configured) shell.addLoginProvider({ id: "oauth42", label: "oauth42.button", href: state.loginUrl });
    },
    (error) => console.warn("oauth42: the status is unavailable", error),
  );
}
