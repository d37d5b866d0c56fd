// Settings, the password change (see ../settings.js).

import { ApiError } from "../../api.js";
import { alertBox, field, h } from "../../dom.js";

export function passwordCard(view) {
  const box = alertBox();
  const form = h(
    "form",
    { novalidate: true, id: "password-form" },
    box.el,
    view.hiddenUsername(),
    view.user.has_password
      ? field({ label: view.t("fields.current_password"), name: "old_password", type: "password", required: true, autocomplete: "current-password" })
      : view.user.totp_enabled
        ? field({ label: view.t("fields.code"), name: "code", required: true, autocomplete: "one-time-code" })
        : null,
    h(
      "div",
      { class: "row g-3" },
      h(
        "div",
        { class: "col-12 col-md-6" },
        field({ label: view.t("fields.new_password"), name: "new_password", type: "password", required: true, autocomplete: "new-password", help: view.t("signup.password_help") }),
      ),
      h(
        "div",
        { class: "col-12 col-md-6" },
        field({ label: view.t("fields.password_confirm"), name: "confirm", type: "password", required: true, autocomplete: "new-password" }),
      ),
    ),
    h("button", { class: "btn btn-primary", type: "submit", text: view.t("settings.password_submit") }),
  );
  view.submitter(form, box, async () => {
    const body = { new_password: form.elements.new_password.value };
    if (form.elements.old_password) body.old_password = form.elements.old_password.value;
    if (form.elements.code) body.code = form.elements.code.value.trim();
    if (body.new_password !== form.elements.confirm.value) {
      form.elements.confirm.focus();
      throw new ApiError(400, "password_mismatch", view.t("signup.mismatch"));
    }
    await view.api.post("/api/me/password", body);
    // Every session ended, view one included: log in again with the new password.
    view.shell.session.ended();
    view.shell.toast({ title: view.t("settings.password_changed"), body: view.t("settings.password_changed_text"), kind: "success" });
    view.shell.navigate("/login?next=%2Fsettings", { replace: true });
    return null;
  });
  return view.card("settings-password", view.t("settings.password_title"), view.t("settings.password_lead"), form);
}
