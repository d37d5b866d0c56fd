// Settings, the language (see ../settings.js).

import { h, uid } from "../../dom.js";
import { LANGUAGES } from "../../i18n.js";

export function languageCard(view) {
  const id = uid("lang");
  const select = h(
    "select",
    { class: "form-select settings-language", id, name: "language", onchange: (event) => view.shell.setLanguage(event.target.value) },
    LANGUAGES.map((l) => h("option", { value: l.code, selected: l.code === view.shell.i18n.lang, text: l.name })),
  );
  return view.card(
    "settings-language",
    view.t("settings.language_title"),
    view.t("settings.language_lead"),
    h("label", { class: "form-label", htmlFor: id, text: view.t("nav.language") }),
    select,
  );
}
