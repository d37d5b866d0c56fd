// What a module's browser code imports from the shell, by name (the page's import map maps
// "@transcendence/shell" to this file, under the current asset version):
//
//   import { View, h, t } from "@transcendence/shell";
//   export class SampleView extends View { ... }
//
// The same files the shell itself imports, so a module's views are the shell's View. What a
// module registers goes through the registrar its register() receives (registrar.js).

export { ApiError } from "./api.js";
export { alertBox, h, replace } from "./dom.js";
export { i18n, t } from "./i18n.js";
export { safeNext } from "./router.js";
export { View } from "./view.js";
