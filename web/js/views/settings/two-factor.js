// Settings, two-factor authentication: enable (QR code, confirm, recovery codes) and disable
// (see ../settings.js).

import { alertBox, busy, field, h } from "../../dom.js";

export function twoFactorCard(view) {
  const body = h("div", { id: "twofa-body" });
  const section = view.card("settings-2fa", view.t("settings.twofa_title"), view.t("settings.twofa_lead"), body);
  if (view.user.totp_enabled) twoFactorOn(view, body);
  else twoFactorOff(view, body);
  return section;
}

function twoFactorOff(view, body) {
  const box = alertBox();
  const start = h("button", { class: "btn btn-primary", type: "button", id: "twofa-start", text: view.t("settings.twofa_enable") });
  start.addEventListener("click", async () => {
    box.clear();
    const done = busy(start);
    try {
      const setup = await view.api.post("/api/auth/2fa/setup");
      twoFactorSetup(view, body, setup);
    } catch (error) {
      done();
      box.show(view.shell.errorMessage(error));
    }
  });
  body.replaceChildren(
    box.el,
    h("p", { class: "mb-3" }, h("span", { class: "badge text-bg-secondary me-2", text: view.t("settings.twofa_off") }), view.t("settings.twofa_off_text")),
    start,
  );
}

function twoFactorSetup(view, body, setup) {
  const box = alertBox();
  const form = h(
    "form",
    { novalidate: true, id: "twofa-confirm-form", class: "twofa-code" },
    field({
      label: view.t("settings.twofa_code_label"),
      name: "code",
      required: true,
      autocomplete: "one-time-code",
      attrs: { inputmode: "numeric", maxlength: "32", spellcheck: "false" },
    }),
    h(
      "div",
      { class: "d-flex flex-wrap gap-2" },
      h("button", { class: "btn btn-primary", type: "submit", text: view.t("settings.twofa_confirm") }),
      h("button", { class: "btn btn-outline-light", type: "button", text: view.t("common.cancel"), onclick: () => twoFactorOff(view, body) }),
    ),
  );
  view.submitter(form, box, async () => {
    const answer = await view.api.post("/api/auth/2fa/confirm", { code: form.elements.code.value.trim() });
    await view.shell.session.reload();
    recoveryCodes(view, body, answer.recovery_codes);
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
        h("img", { class: "qr-code", src: setup.qr_svg, alt: view.t("settings.twofa_qr_alt"), width: "200", height: "200", id: "twofa-qr" }),
      ),
      h(
        "div",
        { class: "col" },
        h("ol", { class: "small ps-3" }, h("li", { text: view.t("settings.twofa_step1") }), h("li", { text: view.t("settings.twofa_step2") })),
        h("p", { class: "small text-body-secondary mb-1", text: view.t("settings.twofa_secret") }),
        h("code", { class: "secret d-block mb-3", id: "twofa-secret", text: setup.secret }),
        form,
      ),
    ),
  );
  form.elements.code.focus();
}

function recoveryCodes(view, body, codes) {
  body.replaceChildren(
    h("div", { class: "alert alert-success", role: "status", text: view.t("settings.twofa_now_on") }),
    h("p", { class: "fw-semibold mb-1", text: view.t("settings.recovery_title") }),
    h("p", { class: "small text-body-secondary", text: view.t("settings.recovery_text") }),
    h("ul", { class: "recovery-codes list-unstyled", id: "recovery-codes" }, codes.map((code) => h("li", {}, h("code", { text: code })))),
    h("button", { class: "btn btn-primary", type: "button", id: "recovery-done", text: view.t("settings.recovery_done"), onclick: () => twoFactorOn(view, body) }),
  );
}

function twoFactorOn(view, body) {
  const box = alertBox();
  const form = h(
    "form",
    { novalidate: true, id: "twofa-disable-form" },
    field({
      label: view.t("settings.twofa_disable_code"),
      name: "code",
      required: true,
      autocomplete: "one-time-code",
      attrs: { maxlength: "32", spellcheck: "false" },
    }),
    h("button", { class: "btn btn-outline-warning", type: "submit", text: view.t("settings.twofa_disable") }),
  );
  view.submitter(form, box, async () => {
    await view.api.post("/api/auth/2fa/disable", { code: form.elements.code.value.trim() });
    await view.shell.session.reload();
    twoFactorOff(view, body);
    return null;
  });
  body.replaceChildren(
    box.el,
    h("p", { class: "mb-3" }, h("span", { class: "badge text-bg-success me-2", id: "twofa-status", text: view.t("settings.twofa_on") }), view.t("settings.twofa_on_text")),
    form,
  );
}
