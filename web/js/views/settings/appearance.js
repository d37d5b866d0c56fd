// Settings, the appearance: theme and text size (see ../settings.js).

import { TEXT_SIZES, THEMES } from "../../appearance.js";
import { alertBox, h, uid } from "../../dom.js";

/** High contrast and text size: saved to the profile at once, like the language. */
export function appearanceCard(view) {
  const appearance = view.shell.appearance;
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
            box.show(view.shell.errorMessage(error));
          } finally {
            select.disabled = false;
            select.focus();
          }
        },
      },
      values.map((value) => h("option", { value, selected: value === current(), text: view.t(`settings.${name}_${value.replace("-", "_")}`) })),
    );
    return h("div", { class: "mb-3" }, h("label", { class: "form-label", htmlFor: id, text: label }), select);
  };
  return view.card(
    "settings-appearance",
    view.t("settings.appearance_title"),
    view.t("settings.appearance_lead"),
    choice("theme", view.t("settings.theme"), THEMES, () => appearance.theme),
    choice("text_size", view.t("settings.text_size"), TEXT_SIZES, () => appearance.textSize),
    box.el,
  );
}
