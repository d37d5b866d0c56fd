// Settings: profile, avatar, language, appearance, password, two-factor authentication, my data.
// Each section is its own file under settings/, a function of this view; the view assembles
// them and keeps what they (and the modules' sections) share: card(), submitter(), the
// re-authentication fields and the hidden username for password managers.

import { busy, field, h } from "../dom.js";
import { View } from "../view.js";
import { appearanceCard } from "./settings/appearance.js";
import { avatarCard } from "./settings/avatar.js";
import { dataCard } from "./settings/data.js";
import { languageCard } from "./settings/language.js";
import { passwordCard } from "./settings/password.js";
import { profileCard } from "./settings/profile.js";
import { twoFactorCard } from "./settings/two-factor.js";

export class SettingsView extends View {
  title() {
    return this.t("settings.title");
  }

  async render() {
    // Fresh from the server: another tab may have changed something.
    await this.shell.session.reload();
    const nav = [
      ["settings-profile", "settings.profile_title"],
      ["settings-avatar", "settings.avatar_title"],
      ["settings-language", "settings.language_title"],
      ["settings-appearance", "settings.appearance_title"],
      ["settings-password", "settings.password_title"],
      ["settings-2fa", "settings.twofa_title"],
      ["settings-data", "settings.data_title"],
    ];
    return h(
      "section",
      { class: "settings-page" },
      this.header(this.t("settings.title"), this.t("settings.lead")),
      h(
        "div",
        { class: "row g-4" },
        h(
          "div",
          { class: "col-12 col-lg-3 d-none d-lg-block" },
          h(
            "nav",
            { class: "settings-nav sticky-top", "aria-label": this.t("settings.sections") },
            h(
              "ul",
              { class: "nav flex-column" },
              nav.map(([id, key]) =>
                h(
                  "li",
                  { class: "nav-item" },
                  h("a", {
                    class: "nav-link",
                    href: `#${id}`,
                    text: this.t(key),
                    onclick: (event) => {
                      event.preventDefault();
                      const target = document.getElementById(id);
                      const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
                      target.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "start" });
                      target.querySelector("h2")?.focus({ preventScroll: true });
                    },
                  }),
                ),
              ),
            ),
          ),
        ),
        h(
          "div",
          { class: "col-12 col-lg-9 d-flex flex-column gap-4" },
          profileCard(this),
          avatarCard(this),
          languageCard(this),
          appearanceCard(this),
          passwordCard(this),
          twoFactorCard(this),
          dataCard(this),
          this.moduleSections(),
        ),
      ),
    );
  }

  /** Sections modules add with shell.addSettingsSection(fn): fn(this) → element or null. */
  moduleSections() {
    return this.shell.settingsSections.map((render) => {
      try {
        return render(this);
      } catch (error) {
        console.warn("a settings section failed", error);
        return null;
      }
    });
  }

  card(id, title, lead, ...body) {
    return h(
      "section",
      { class: "card settings-card", id, "aria-labelledby": `${id}-title` },
      h(
        "div",
        { class: "card-body p-4" },
        h("h2", { class: "h5 mb-1", id: `${id}-title`, tabindex: "-1", text: title }),
        lead ? h("p", { class: "text-body-secondary small mb-3", text: lead }) : null,
        ...body,
      ),
    );
  }

  /** Submit handler: runs `fn`, shows success or the readable error, keeps the button honest. */
  submitter(form, box, fn) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      box.clear();
      const done = busy(form.querySelector("[type=submit]"));
      try {
        const message = await fn();
        if (message) box.show(message, "success");
      } catch (error) {
        box.show(this.shell.errorMessage(error));
        const name = error.field;
        if (name && form.elements[name]) form.elements[name].focus();
      } finally {
        done();
      }
    });
  }

  /** The proof asked before destructive changes: the password, or a 2FA code without one. */
  reauthFields() {
    if (this.user.has_password) {
      return field({ label: this.t("fields.current_password"), name: "password", type: "password", required: true, autocomplete: "current-password" });
    }
    if (this.user.totp_enabled) {
      return field({ label: this.t("fields.code"), name: "code", required: true, autocomplete: "one-time-code", attrs: { inputmode: "numeric" } });
    }
    return h("p", { class: "small text-body-secondary", text: this.t("settings.reauth_fresh") });
  }

  reauthValues(form) {
    const values = {};
    if (form.elements.password) values.password = form.elements.password.value;
    if (form.elements.code) values.code = form.elements.code.value.trim();
    return values;
  }

  /** Password managers pair a password with the account it belongs to. */
  hiddenUsername() {
    return h("input", {
      type: "text",
      name: "username",
      value: this.user.username,
      autocomplete: "username",
      readonly: true,
      hidden: true,
      "aria-hidden": "true",
      tabindex: "-1",
    });
  }
}
