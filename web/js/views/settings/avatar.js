// Settings, the avatar: upload with a preview, or remove (see ../settings.js).

import { alertBox, busy, h, uid } from "../../dom.js";

const AVATAR_TYPES = "image/png,image/jpeg,image/webp,image/gif";
const AVATAR_MAX_BYTES = 2 * 1024 * 1024;

export function avatarCard(view) {
  const box = alertBox();
  const inputId = uid("avatar");
  const current = h("img", { class: "avatar avatar-xl", src: view.user.avatar_url, alt: view.t("settings.avatar_current"), id: "avatar-current" });
  const preview = h("img", { class: "avatar avatar-xl d-none", alt: view.t("settings.avatar_preview"), id: "avatar-preview" });
  const input = h("input", { class: "form-control", type: "file", id: inputId, name: "avatar", accept: AVATAR_TYPES, "aria-describedby": `${inputId}-help` });
  const upload = h("button", { class: "btn btn-primary", type: "submit", disabled: true, text: view.t("settings.avatar_upload") });
  const remove = h("button", { class: "btn btn-outline-light", type: "button", text: view.t("settings.avatar_remove") });
  let previewUrl = null;
  const dropPreview = () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
  };
  view.cleanups.push(dropPreview);
  input.addEventListener("change", () => {
    box.clear();
    dropPreview();
    const file = input.files[0];
    upload.disabled = !file;
    preview.classList.toggle("d-none", !file);
    if (!file) return;
    if (file.size > AVATAR_MAX_BYTES) {
      box.show(view.t("errors.payload_too_large"));
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
      h("figure", { class: "mb-0 text-center" }, current, h("figcaption", { class: "small text-body-secondary mt-2", text: view.t("settings.avatar_current") })),
      h("span", { class: "fs-3 text-body-tertiary", "aria-hidden": "true", text: "→" }),
      h(
        "figure",
        { class: "mb-0 text-center" },
        preview,
        h("div", { class: "avatar avatar-xl avatar-empty", "aria-hidden": "true" }),
        h("figcaption", { class: "small text-body-secondary mt-2", text: view.t("settings.avatar_preview") }),
      ),
    ),
    h(
      "div",
      { class: "mb-3" },
      h("label", { class: "form-label", htmlFor: inputId, text: view.t("settings.avatar_choose") }),
      input,
      h("div", { class: "form-text", id: `${inputId}-help`, text: view.t("settings.avatar_help") }),
    ),
    h("div", { class: "d-flex flex-wrap gap-2" }, upload, remove),
  );
  view.submitter(form, box, async () => {
    const file = input.files[0];
    if (!file) return null;
    const data = new FormData();
    data.append("avatar", file);
    const answer = await view.api.put("/api/me/avatar", { form: data });
    current.src = answer.avatar_url;
    input.value = "";
    upload.disabled = true;
    preview.classList.add("d-none");
    dropPreview();
    await view.shell.session.reload();
    return view.t("settings.avatar_saved");
  });
  remove.addEventListener("click", async () => {
    box.clear();
    const done = busy(remove);
    try {
      await view.api.delete("/api/me/avatar");
      const me = await view.shell.session.reload();
      current.src = me.avatar_url;
      box.show(view.t("settings.avatar_removed"), "success");
    } catch (error) {
      box.show(view.shell.errorMessage(error));
    } finally {
      done();
    }
  });
  return view.card("settings-avatar", view.t("settings.avatar_title"), view.t("settings.avatar_lead"), form);
}
