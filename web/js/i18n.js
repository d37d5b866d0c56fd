// Translations: web/i18n/<lang>.json, flat "area.key" → text with {placeholders}.
// English is the fallback for any key a language lacks; modules add their own strings with
// shell.addTranslations(lang, {...}).

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
    this.baseUrl = baseUrl;
    this.lang = "en";
    this.dicts = {};
    this.extra = {};
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

  async load(code) {
    if (!this.dicts[code]) {
      const response = await fetch(new URL(`${code}.json`, this.baseUrl));
      if (!response.ok) throw new Error(`cannot load the ${code} translations`);
      this.dicts[code] = await response.json();
    }
    return this.dicts[code];
  }

  /** Switch language: loads it, updates <html lang> and the static texts, tells listeners. */
  async use(code) {
    if (!CODES.includes(code)) code = "en";
    await Promise.all([this.load("en"), this.load(code)]);
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

  addTranslations(code, entries) {
    this.extra[code] = { ...(this.extra[code] || {}), ...entries };
  }

  has(key) {
    return this.lookup(key) !== undefined;
  }

  lookup(key) {
    for (const code of [this.lang, "en"]) {
      const value = this.extra[code]?.[key] ?? this.dicts[code]?.[key];
      if (value !== undefined) return value;
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
