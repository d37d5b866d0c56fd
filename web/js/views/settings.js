// Settings: profile, avatar, language, appearance, password, two-factor authentication, my data.

import { ApiError } from "../api.js";
import { TEXT_SIZES, THEMES } from "../appearance.js";
import { alertBox, busy, field, h, uid } from "../dom.js";
import { LANGUAGES } from "../i18n.js";
import { View } from "../view.js";

const AVATAR_TYPES = "image/png,image/jpeg,image/webp,image/gif";
const AVATAR_MAX_BYTES = 2 * 1024 * 1024;

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
          this.profileCard(),
          this.avatarCard(),
          this.languageCard(),
          this.appearanceCard(),
          this.passwordCard(),
          this.twoFactorCard(),
          this.dataCard(),
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

  profileCard() {
    const box = alertBox();
    const form = h(
      "form",
      { novalidate: true, id: "profile-form" },
      box.el,
      h(
        "div",
        { class: "row g-3" },
        h(
          "div",
          { class: "col-12 col-md-6" },
          field({
            label: this.t("fields.display_name"),
            name: "display_name",
            value: this.user.display_name,
            required: true,
            autocomplete: "nickname",
            help: this.t("settings.display_name_help"),
            attrs: { maxlength: "32" },
          }),
        ),
        h(
          "div",
          { class: "col-12 col-md-6" },
          field({ label: this.t("fields.email"), name: "email", type: "email", value: this.user.email, required: true, autocomplete: "email" }),
        ),
      ),
      h("button", { class: "btn btn-primary", type: "submit", text: this.t("common.save") }),
    );
    this.submitter(form, box, async () => {
      const body = {};
      const name = form.elements.display_name.value.trim();
      const email = form.elements.email.value.trim();
      if (name !== this.user.display_name) body.display_name = name;
      if (email !== this.user.email) body.email = email;
      if (!Object.keys(body).length) return this.t("settings.nothing_changed");
      const me = await this.api.patch("/api/me/", body);
      this.shell.session.set(me);
      return this.t("settings.saved");
    });
    return this.card("settings-profile", this.t("settings.profile_title"), this.t("settings.profile_lead"), form);
  }

  avatarCard() {
    const box = alertBox();
    const inputId = uid("avatar");
    const current = h("img", { class: "avatar avatar-xl", src: this.user.avatar_url, alt: this.t("settings.avatar_current"), id: "avatar-current" });
    const preview = h("img", { class: "avatar avatar-xl d-none", alt: this.t("settings.avatar_preview"), id: "avatar-preview" });
    const input = h("input", { class: "form-control", type: "file", id: inputId, name: "avatar", accept: AVATAR_TYPES, "aria-describedby": `${inputId}-help` });
    const upload = h("button", { class: "btn btn-primary", type: "submit", disabled: true, text: this.t("settings.avatar_upload") });
    const remove = h("button", { class: "btn btn-outline-light", type: "button", text: this.t("settings.avatar_remove") });
    let previewUrl = null;
    const dropPreview = () => {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = null;
    };
    this.cleanups.push(dropPreview);
    input.addEventListener("change", () => {
      box.clear();
      dropPreview();
      const file = input.files[0];
      upload.disabled = !file;
      preview.classList.toggle("d-none", !file);
      if (!file) return;
      if (file.size > AVATAR_MAX_BYTES) {
        box.show(this.t("errors.payload_too_large"));
        upload.disabled = true;
        preview.classList.add("d-none");
        return;
      }
      previewUrl = URL.createObjectURL(file);
      preview.src = previewUrl;
    });
    const form = h(
      "form",
      { novalidate: true, id: "avatar-form" },
      box.el,
      h(
        "div",
        { class: "d-flex flex-wrap align-items-center gap-4 mb-3" },
        h("figure", { class: "mb-0 text-center" }, current, h("figcaption", { class: "small text-body-secondary mt-2", text: this.t("settings.avatar_current") })),
        h("span", { class: "fs-3 text-body-tertiary", "aria-hidden": "true", text: "→" }),
        h(
          "figure",
          { class: "mb-0 text-center" },
          preview,
          h("div", { class: "avatar avatar-xl avatar-empty", "aria-hidden": "true" }),
          h("figcaption", { class: "small text-body-secondary mt-2", text: this.t("settings.avatar_preview") }),
        ),
      ),
      h(
        "div",
        { class: "mb-3" },
        h("label", { class: "form-label", htmlFor: inputId, text: this.t("settings.avatar_choose") }),
        input,
        h("div", { class: "form-text", id: `${inputId}-help`, text: this.t("settings.avatar_help") }),
      ),
      h("div", { class: "d-flex flex-wrap gap-2" }, upload, remove),
    );
    this.submitter(form, box, async () => {
      const file = input.files[0];
      if (!file) return null;
      const data = new FormData();
      data.append("avatar", file);
      const answer = await this.api.put("/api/me/avatar", { form: data });
      current.src = answer.avatar_url;
      input.value = "";
      upload.disabled = true;
      preview.classList.add("d-none");
      dropPreview();
      await this.shell.session.reload();
      return this.t("settings.avatar_saved");
    });
    remove.addEventListener("click", async () => {
      box.clear();
      const done = busy(remove);
      try {
        await this.api.delete("/api/me/avatar");
        const me = await this.shell.session.reload();
        current.src = me.avatar_url;
        box.show(this.t("settings.avatar_removed"), "success");
      } catch (error) {
        box.show(this.shell.errorMessage(error));
      } finally {
        done();
      }
    });
    return this.card("settings-avatar", this.t("settings.avatar_title"), this.t("settings.avatar_lead"), form);
  }

  languageCard() {
    const id = uid("lang");
    const select = h(
      "select",
      { class: "form-select settings-language", id, name: "language", onchange: (event) => this.shell.setLanguage(event.target.value) },
      LANGUAGES.map((l) => h("option", { value: l.code, selected: l.code === this.shell.i18n.lang, text: l.name })),
    );
    return this.card(
      "settings-language",
      this.t("settings.language_title"),
      this.t("settings.language_lead"),
      h("label", { class: "form-label", htmlFor: id, text: this.t("nav.language") }),
      select,
    );
  }

  /** High contrast and text size: saved to the profile at once, like the language. */
  appearanceCard() {
    const appearance = this.shell.appearance;
    const box = alertBox();
    const choice = (name, label, values, current) => {
      const id = uid(name);
      const select = h(
        "select",
        {
          class: "form-select settings-appearance",
          id,
          name,
          onchange: async (event) => {
            box.clear();
            select.disabled = true;
            try {
              await appearance.save({ [name]: event.target.value });
            } catch (error) {
              event.target.value = current();
              box.show(this.shell.errorMessage(error));
            } finally {
              select.disabled = false;
              select.focus();
            }
          },
        },
        values.map((value) => h("option", { value, selected: value === current(), text: this.t(`settings.${name}_${value.replace("-", "_")}`) })),
      );
      return h("div", { class: "mb-3" }, h("label", { class: "form-label", htmlFor: id, text: label }), select);
    };
    return this.card(
      "settings-appearance",
      this.t("settings.appearance_title"),
      this.t("settings.appearance_lead"),
      choice("theme", this.t("settings.theme"), THEMES, () => appearance.theme),
      choice("text_size", this.t("settings.text_size"), TEXT_SIZES, () => appearance.textSize),
      box.el,
    );
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

  passwordCard() {
    const box = alertBox();
    const form = h(
      "form",
      { novalidate: true, id: "password-form" },
      box.el,
      this.hiddenUsername(),
      this.user.has_password
        ? field({ label: this.t("fields.current_password"), name: "old_password", type: "password", required: true, autocomplete: "current-password" })
        : this.user.totp_enabled
          ? field({ label: this.t("fields.code"), name: "code", required: true, autocomplete: "one-time-code" })
          : null,
      h(
        "div",
        { class: "row g-3" },
        h(
          "div",
          { class: "col-12 col-md-6" },
          field({ label: this.t("fields.new_password"), name: "new_password", type: "password", required: true, autocomplete: "new-password", help: this.t("signup.password_help") }),
        ),
        h(
          "div",
          { class: "col-12 col-md-6" },
          field({ label: this.t("fields.password_confirm"), name: "confirm", type: "password", required: true, autocomplete: "new-password" }),
        ),
      ),
      h("button", { class: "btn btn-primary", type: "submit", text: this.t("settings.password_submit") }),
    );
    this.submitter(form, box, async () => {
      const body = { new_password: form.elements.new_password.value };
      if (form.elements.old_password) body.old_password = form.elements.old_password.value;
      if (form.elements.code) body.code = form.elements.code.value.trim();
      if (body.new_password !== form.elements.confirm.value) {
        form.elements.confirm.focus();
        throw new ApiError(400, "password_mismatch", this.t("signup.mismatch"));
      }
      await this.api.post("/api/me/password", body);
      // Every session ended, this one included: log in again with the new password.
      this.shell.session.ended();
      this.shell.toast({ title: this.t("settings.password_changed"), body: this.t("settings.password_changed_text"), kind: "success" });
      this.shell.navigate("/login?next=%2Fsettings", { replace: true });
      return null;
    });
    return this.card("settings-password", this.t("settings.password_title"), this.t("settings.password_lead"), form);
  }

  twoFactorCard() {
    const body = h("div", { id: "twofa-body" });
    const section = this.card("settings-2fa", this.t("settings.twofa_title"), this.t("settings.twofa_lead"), body);
    if (this.user.totp_enabled) this.twoFactorOn(body);
    else this.twoFactorOff(body);
    return section;
  }

  twoFactorOff(body) {
    const box = alertBox();
    const start = h("button", { class: "btn btn-primary", type: "button", id: "twofa-start", text: this.t("settings.twofa_enable") });
    start.addEventListener("click", async () => {
      box.clear();
      const done = busy(start);
      try {
        const setup = await this.api.post("/api/auth/2fa/setup");
        this.twoFactorSetup(body, setup);
      } catch (error) {
        done();
        box.show(this.shell.errorMessage(error));
      }
    });
    body.replaceChildren(
      box.el,
      h("p", { class: "mb-3" }, h("span", { class: "badge text-bg-secondary me-2", text: this.t("settings.twofa_off") }), this.t("settings.twofa_off_text")),
      start,
    );
  }

  twoFactorSetup(body, setup) {
    const box = alertBox();
    const form = h(
      "form",
      { novalidate: true, id: "twofa-confirm-form", class: "twofa-code" },
      field({
        label: this.t("settings.twofa_code_label"),
        name: "code",
        required: true,
        autocomplete: "one-time-code",
        attrs: { inputmode: "numeric", maxlength: "32", spellcheck: "false" },
      }),
      h(
        "div",
        { class: "d-flex flex-wrap gap-2" },
        h("button", { class: "btn btn-primary", type: "submit", text: this.t("settings.twofa_confirm") }),
        h("button", { class: "btn btn-outline-light", type: "button", text: this.t("common.cancel"), onclick: () => this.twoFactorOff(body) }),
      ),
    );
    this.submitter(form, box, async () => {
      const answer = await this.api.post("/api/auth/2fa/confirm", { code: form.elements.code.value.trim() });
      await this.shell.session.reload();
      this.recoveryCodes(body, answer.recovery_codes);
      return null;
    });
    body.replaceChildren(
      box.el,
      h(
        "div",
        { class: "row g-4 align-items-center" },
        h(
          "div",
          { class: "col-12 col-sm-auto text-center" },
          h("img", { class: "qr-code", src: setup.qr_svg, alt: this.t("settings.twofa_qr_alt"), width: "200", height: "200", id: "twofa-qr" }),
        ),
        h(
          "div",
          { class: "col" },
          h("ol", { class: "small ps-3" }, h("li", { text: this.t("settings.twofa_step1") }), h("li", { text: this.t("settings.twofa_step2") })),
          h("p", { class: "small text-body-secondary mb-1", text: this.t("settings.twofa_secret") }),
          h("code", { class: "secret d-block mb-3", id: "twofa-secret", text: setup.secret }),
          form,
        ),
      ),
    );
    form.elements.code.focus();
  }

  recoveryCodes(body, codes) {
    body.replaceChildren(
      h("div", { class: "alert alert-success", role: "status", text: this.t("settings.twofa_now_on") }),
      h("p", { class: "fw-semibold mb-1", text: this.t("settings.recovery_title") }),
      h("p", { class: "small text-body-secondary", text: this.t("settings.recovery_text") }),
      h("ul", { class: "recovery-codes list-unstyled", id: "recovery-codes" }, codes.map((code) => h("li", {}, h("code", { text: code })))),
      h("button", { class: "btn btn-primary", type: "button", id: "recovery-done", text: this.t("settings.recovery_done"), onclick: () => this.twoFactorOn(body) }),
    );
  }

  twoFactorOn(body) {
    const box = alertBox();
    const form = h(
      "form",
      { novalidate: true, id: "twofa-disable-form" },
      field({
        label: this.t("settings.twofa_disable_code"),
        name: "code",
        required: true,
        autocomplete: "one-time-code",
        attrs: { maxlength: "32", spellcheck: "false" },
      }),
      h("button", { class: "btn btn-outline-warning", type: "submit", text: this.t("settings.twofa_disable") }),
    );
    this.submitter(form, box, async () => {
      await this.api.post("/api/auth/2fa/disable", { code: form.elements.code.value.trim() });
      await this.shell.session.reload();
      this.twoFactorOff(body);
      return null;
    });
    body.replaceChildren(
      box.el,
      h("p", { class: "mb-3" }, h("span", { class: "badge text-bg-success me-2", id: "twofa-status", text: this.t("settings.twofa_on") }), this.t("settings.twofa_on_text")),
      form,
    );
  }

  dataCard() {
    const box = alertBox();
    const exportButton = h("button", { class: "btn btn-outline-light", type: "button", id: "export-data", text: this.t("settings.export") });
    exportButton.addEventListener("click", async () => {
      box.clear();
      const done = busy(exportButton);
      try {
        const response = await this.api.request("GET", "/api/me/export", { raw: true });
        const blob = await response.blob();
        const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        const url = URL.createObjectURL(blob);
        const link = h("a", { href: url, download: match ? match[1] : "transcendence-export.json", class: "d-none", "data-external": "" });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        box.show(this.t("settings.export_done"), "success");
      } catch (error) {
        box.show(this.shell.errorMessage(error));
      } finally {
        done();
      }
    });

    const danger = h("div", { class: "danger-zone mt-4 pt-4" });
    const reveal = h("button", { class: "btn btn-outline-danger", type: "button", id: "delete-start", text: this.t("settings.delete") });
    reveal.addEventListener("click", () => this.deleteForm(danger));
    danger.append(
      h("h3", { class: "h6 danger-title", text: this.t("settings.danger_title") }),
      h("p", { class: "small text-body-secondary", text: this.t("settings.delete_text") }),
      reveal,
    );
    return this.card(
      "settings-data",
      this.t("settings.data_title"),
      this.t("settings.data_lead"),
      box.el,
      h("div", { class: "d-flex flex-wrap align-items-center gap-3" }, exportButton, h("span", { class: "small text-body-secondary", text: this.t("settings.export_text") })),
      danger,
    );
  }

  deleteForm(danger) {
    const box = alertBox();
    const confirmId = uid("confirm");
    const form = h(
      "form",
      { novalidate: true, id: "delete-form", class: "danger-form p-3 rounded" },
      box.el,
      this.hiddenUsername(),
      h("p", { class: "fw-semibold", text: this.t("settings.delete_confirm_title") }),
      h(
        "div",
        { class: "form-check mb-3" },
        h("input", { class: "form-check-input", type: "checkbox", id: confirmId, name: "understand", required: true }),
        h("label", { class: "form-check-label", htmlFor: confirmId, text: this.t("settings.delete_understand") }),
      ),
      h(
        "fieldset",
        { class: "mb-3" },
        h("legend", { class: "form-label fs-6", text: this.t("settings.delete_mode") }),
        [
          ["delete", "settings.delete_mode_delete"],
          ["anonymise", "settings.delete_mode_anonymise"],
        ].map(([value, key]) => {
          const id = uid("mode");
          return h(
            "div",
            { class: "form-check" },
            h("input", { class: "form-check-input", type: "radio", id, name: "mode", value, checked: value === "delete" }),
            h("label", { class: "form-check-label", htmlFor: id, text: this.t(key) }),
          );
        }),
      ),
      this.reauthFields(),
      h(
        "div",
        { class: "d-flex flex-wrap gap-2" },
        h("button", { class: "btn btn-danger", type: "submit", text: this.t("settings.delete_submit") }),
        h("button", { class: "btn btn-outline-light", type: "button", text: this.t("common.cancel"), onclick: () => this.shell.router.refresh() }),
      ),
    );
    this.submitter(form, box, async () => {
      if (!form.elements.understand.checked) {
        form.elements.understand.focus();
        throw new ApiError(400, "confirm_required", this.t("settings.delete_tick"));
      }
      if (form.elements.mode.value === "anonymise") await this.api.post("/api/me/anonymise", this.reauthValues(form));
      else await this.api.delete("/api/me/", this.reauthValues(form));
      this.shell.session.ended();
      this.shell.toast({ title: this.t("settings.deleted"), body: this.t("settings.deleted_text"), kind: "success" });
      this.shell.navigate("/", { replace: true });
      return null;
    });
    danger.replaceChildren(form);
    form.elements.understand.focus();
  }
}
