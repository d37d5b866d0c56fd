// Settings, my data: the export and deleting or anonymising the account (see ../settings.js).

import { ApiError } from "../../api.js";
import { alertBox, busy, h, uid } from "../../dom.js";

export function dataCard(view) {
  const box = alertBox();
  const exportButton = h("button", { class: "btn btn-outline-light", type: "button", id: "export-data", text: view.t("settings.export") });
  exportButton.addEventListener("click", async () => {
    box.clear();
    const done = busy(exportButton);
    try {
      const response = await view.api.request("GET", "/api/me/export", { raw: true });
      const blob = await response.blob();
      const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: match ? match[1] : "transcendence-export.json", class: "d-none", "data-external": "" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      box.show(view.t("settings.export_done"), "success");
    } catch (error) {
      box.show(view.shell.errorMessage(error));
    } finally {
      done();
    }
  });

  const danger = h("div", { class: "danger-zone mt-4 pt-4" });
  const reveal = h("button", { class: "btn btn-outline-danger", type: "button", id: "delete-start", text: view.t("settings.delete") });
  reveal.addEventListener("click", () => deleteForm(view, danger));
  danger.append(
    h("h3", { class: "h6 danger-title", text: view.t("settings.danger_title") }),
    h("p", { class: "small text-body-secondary", text: view.t("settings.delete_text") }),
    reveal,
  );
  return view.card(
    "settings-data",
    view.t("settings.data_title"),
    view.t("settings.data_lead"),
    box.el,
    h("div", { class: "d-flex flex-wrap align-items-center gap-3" }, exportButton, h("span", { class: "small text-body-secondary", text: view.t("settings.export_text") })),
    danger,
  );
}

function deleteForm(view, danger) {
  const box = alertBox();
  const confirmId = uid("confirm");
  const form = h(
    "form",
    { novalidate: true, id: "delete-form", class: "danger-form p-3 rounded" },
    box.el,
    view.hiddenUsername(),
    h("p", { class: "fw-semibold", text: view.t("settings.delete_confirm_title") }),
    h(
      "div",
      { class: "form-check mb-3" },
      h("input", { class: "form-check-input", type: "checkbox", id: confirmId, name: "understand", required: true }),
      h("label", { class: "form-check-label", htmlFor: confirmId, text: view.t("settings.delete_understand") }),
    ),
    h(
      "fieldset",
      { class: "mb-3" },
      h("legend", { class: "form-label fs-6", text: view.t("settings.delete_mode") }),
      [
        ["delete", "settings.delete_mode_delete"],
        ["anonymise", "settings.delete_mode_anonymise"],
      ].map(([value, key]) => {
        const id = uid("mode");
        return h(
          "div",
          { class: "form-check" },
          h("input", { class: "form-check-input", type: "radio", id, name: "mode", value, checked: value === "delete" }),
          h("label", { class: "form-check-label", htmlFor: id, text: view.t(key) }),
        );
      }),
    ),
    view.reauthFields(),
    h(
      "div",
      { class: "d-flex flex-wrap gap-2" },
      h("button", { class: "btn btn-danger", type: "submit", text: view.t("settings.delete_submit") }),
      h("button", { class: "btn btn-outline-light", type: "button", text: view.t("common.cancel"), onclick: () => view.shell.router.refresh() }),
    ),
  );
  view.submitter(form, box, async () => {
    if (!form.elements.understand.checked) {
      form.elements.understand.focus();
      throw new ApiError(400, "confirm_required", view.t("settings.delete_tick"));
    }
    if (form.elements.mode.value === "anonymise") await view.api.post("/api/me/anonymise", view.reauthValues(form));
    else await view.api.delete("/api/me/", view.reauthValues(form));
    view.shell.session.ended();
    view.shell.toast({ title: view.t("settings.deleted"), body: view.t("settings.deleted_text"), kind: "success" });
    view.shell.navigate("/", { replace: true });
    return null;
  });
  danger.replaceChildren(form);
  form.elements.understand.focus();
}
