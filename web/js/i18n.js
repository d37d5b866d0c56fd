// Translations: catalogs of flat "area.key" → text with {placeholders}, one JSON file per
// language: the shell's in web/i18n/<lang>.json, each module's in its static/i18n/<lang>.json
// (added with shell.loadStrings(), dropped when the module is switched off). English is the
// fallback for any key a language lacks; tests/browser/test_strings.py checks every catalog.

export const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "fr", name: "Français" },
  { code: "ru", name: "Русский" },
];
const CODES = LANGUAGES.map((l) => l.code);
const STORED = "transcendence.language";

export class I18n extends EventTarget {
  constructor(baseUrl) {
    super();
    this.lang = "en";
    // owner → {baseUrl, dicts: {code: entries}}; the shell's own first, so no module
    // overrides a core string.
    this.catalogs = new Map([["core", { baseUrl, dicts: {} }]]);
  }

  /** The language to start with before the profile is known: remembered, else the browser's. */
  static initial() {
    try {
      const stored = localStorage.getItem(STORED);
      if (CODES.includes(stored)) return stored;
    } catch {
      /* storage unavailable */
    }
    for (const tag of navigator.languages || [navigator.language || "en"]) {
      const code = String(tag).slice(0, 2).toLowerCase();
      if (CODES.includes(code)) return code;
    }
    return "en";
  }

  static supports(code) {
    return CODES.includes(code);
  }

  /** One language of one catalog, fetched once. The shell's must load; a module's that
   *  fails reads as empty (its keys then fall back to English, or show as keys). */
  async load(owner, code) {
    const catalog = this.catalogs.get(owner);
    if (!catalog || catalog.dicts[code]) return;
    const response = await fetch(new URL(`${code}.json`, catalog.baseUrl)).catch(() => null);
    if (response?.ok) {
      catalog.dicts[code] = await response.json();
    } else if (owner === "core") {
      throw new Error(`cannot load the ${code} translations`);
    } else {
      console.warn(`module ${owner}: cannot load its ${code} strings`);
      catalog.dicts[code] = {};
    }
  }

  /** A module's catalog: `baseUrl` holds en.json, fr.json, ru.json. Loads the languages in use. */
  async addCatalog(owner, baseUrl) {
    this.catalogs.set(owner, { baseUrl, dicts: {} });
    await Promise.all([this.load(owner, "en"), this.load(owner, this.lang)]);
  }

  removeCatalog(owner) {
    if (owner !== "core") this.catalogs.delete(owner);
  }

  /** Switch language: loads it, updates <html lang> and the static texts, tells listeners. */
  async use(code) {
    if (!CODES.includes(code)) code = "en";
    await Promise.all([...this.catalogs.keys()].flatMap((owner) => [this.load(owner, "en"), this.load(owner, code)]));
    const changed = code !== this.lang;
    this.lang = code;
    document.documentElement.lang = code;
    try {
      localStorage.setItem(STORED, code);
    } catch {
      /* storage unavailable */
    }
    this.translateStatic(document);
    if (changed) this.dispatchEvent(new CustomEvent("change", { detail: code }));
  }

  has(key) {
    return this.lookup(key) !== undefined;
  }

  lookup(key) {
    for (const code of [this.lang, "en"]) {
      for (const { dicts } of this.catalogs.values()) {
        const value = dicts[code]?.[key];
        if (value !== undefined) return value;
      }
    }
    return undefined;
  }

  /** t("friends.online_count", {count: 3}); with `count`, "key.one"/"key.few"/"key.many"/"key.other". */
  t(key, params = {}) {
    let text;
    if (typeof params.count === "number") {
      const form = new Intl.PluralRules(this.lang).select(params.count);
      text = this.lookup(`${key}.${form}`) ?? this.lookup(`${key}.other`);
    }
    text = text ?? this.lookup(key);
    if (text === undefined) {
      console.warn(`missing translation: ${key}`);
      return key;
    }
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
  }

  /** Elements of index.html carry data-i18n (text) and data-i18n-aria-label. */
  translateStatic(root) {
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = this.t(el.dataset.i18n);
    for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
      el.setAttribute("aria-label", this.t(el.dataset.i18nAriaLabel));
    }
  }
}

// The page's translations (the shell's I18n, set once at start), for code that has neither a
// view nor the shell at hand: modules import { t, i18n } from "@transcendence/shell".
export let i18n = null;

export function usePageI18n(instance) {
  i18n = instance;
}

export function t(key, params) {
  return i18n.t(key, params);
}
