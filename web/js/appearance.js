// Appearance for players with low vision: a high-contrast theme and a larger text size.
//
// Both are settings of the account, saved like the language (PATCH /api/me/ {theme,
// text_size}) and applied from the profile at every load and login, on any device. They
// show as attributes of <html> (data-theme, data-text-size) that css/accessibility.css
// styles. This browser also keeps the last ones shown, so a reload paints them before the
// profile answers and a visitor who logs out keeps reading in them.

export const THEMES = ["standard", "high-contrast"];
export const TEXT_SIZES = ["normal", "large", "larger"];
const STORE_KEY = "appearance";

export class Appearance {
  constructor(session, api) {
    this.session = session;
    this.api = api;
    session.addEventListener("change", (event) => {
      if (event.detail.user) this.show(event.detail.user);
    });
  }

  /** What this browser showed last (before any profile is known). */
  static remembered() {
    try {
      return JSON.parse(localStorage.getItem(STORE_KEY)) || {};
    } catch {
      return {};
    }
  }

  get theme() {
    return document.documentElement.dataset.theme || "standard";
  }

  get textSize() {
    return document.documentElement.dataset.textSize || "normal";
  }

  /** Apply {theme, text_size} to the page (unknown values fall back to the defaults). */
  show({ theme, text_size }) {
    const root = document.documentElement;
    root.dataset.theme = THEMES.includes(theme) ? theme : "standard";
    root.dataset.textSize = TEXT_SIZES.includes(text_size) ? text_size : "normal";
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify({ theme: this.theme, text_size: this.textSize }));
    } catch {
      /* storage refused (private mode): the profile still remembers */
    }
  }

  /** Save a change to the profile, then show it: {theme} and/or {text_size}. */
  async save(change) {
    const me = await this.api.patch("/api/me/", change);
    this.session.user = me;
    this.show(me);
    return me;
  }
}
