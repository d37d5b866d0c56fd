// Settings, the profile: display name and email (see ../settings.js).

import { alertBox, field, h } from "../../dom.js";

export function profileCard(view) {
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
          label: view.t("fields.display_name"),
          name: "display_name",
          value: view.user.display_name,
          required: true,
          autocomplete: "nickname",
          help: view.t("settings.display_name_help"),
          attrs: { maxlength: "32" },
        }),
      ),
      h(
        "div",
        { class: "col-12 col-md-6" },
        field({ label: view.t("fields.email"), name: "email", type: "email", value: view.user.email, required: true, autocomplete: "email" }),
      ),
    ),
    h("button", { class: "btn btn-primary", type: "submit", text: view.t("common.save") }),
  );
  view.submitter(form, box, async () => {
    const body = {};
    const name = form.elements.display_name.value.trim();
    const email = form.elements.email.value.trim();
    if (name !== view.user.display_name) body.display_name = name;
    if (email !== view.user.email) body.email = email;
    if (!Object.keys(body).length) return view.t("settings.nothing_changed");
    const me = await view.api.patch("/api/me/", body);
    view.shell.session.set(me);
    return view.t("settings.saved");
  });
  return view.card("settings-profile", view.t("settings.profile_title"), view.t("settings.profile_lead"), form);
}
