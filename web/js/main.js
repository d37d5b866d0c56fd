// Entry point: build the shell and start it. Everything else is imported from here.

import { Shell } from "./shell.js";

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
  alert.textContent = "Transcendence could not start. Check your connection and reload the page.";
  main.replaceChildren(alert);
});
