// Entry point: build the shell and start it. Everything else is imported from here.

import { I18n } from "./i18n.js";
import { Shell } from "./shell.js";

// Shown when the shell cannot start, so possibly before any catalog could be loaded: the
// one sentence the page carries itself, in each language.
const START_FAILED = {
  en: "Transcendence could not start. Check your connection and reload the page.",
  fr: "Transcendence n’a pas pu démarrer. Vérifiez votre connexion et rechargez la page.",
  ru: "Transcendence не удалось запустить. Проверьте подключение и перезагрузите страницу.",
};

const shell = new Shell({
  // This file lives at /static/<version>/js/main.js; the versioned root is one level up.
  assetBase: new URL("../", import.meta.url),
  outlet: document.getElementById("app"),
});

shell.start().catch((error) => {
  console.warn("the app failed to start", error);
  const main = document.getElementById("app");
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  alert.textContent = START_FAILED[I18n.initial()] || START_FAILED.en;
  main.replaceChildren(alert);
});
