// Who is logged in. Emits "change" whenever the user logs in, out, or edits their profile.

import { ApiError } from "./api.js";

export class Session extends EventTarget {
  constructor(api) {
    super();
    this.api = api;
    this.user = null;
    api.addEventListener("session-lost", () => this.set(null, "lost"));
  }

  /** reason: "lost" when the server ended the session by itself (expired, revoked). */
  set(user, reason = "") {
    const before = this.user;
    this.user = user;
    if (before !== user) this.dispatchEvent(new CustomEvent("change", { detail: { before, user, reason } }));
  }

  /** At page load: resume the session with the refresh cookie, silently. */
  async resume() {
    if (!this.api.mayHaveSession) return null;
    try {
      await this.api.refresh();
      return await this.reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  }

  async reload() {
    const me = await this.api.get("/api/me/");
    this.set(me);
    return me;
  }

  /** Returns {mfa_token} when a second factor is needed, else the user. */
  async login(username, password) {
    const body = await this.api.post("/api/auth/login", { username, password }, { auth: false, retry: false });
    if (body.mfa_required) return { mfa_token: body.mfa_token };
    return this.loggedIn(body.access);
  }

  async loginSecondFactor(mfaToken, code) {
    const body = await this.api.post(
      "/api/auth/login/2fa",
      { mfa_token: mfaToken, code },
      { auth: false, retry: false },
    );
    return this.loggedIn(body.access);
  }

  async loggedIn(access) {
    this.api.setAccess(access);
    return this.reload();
  }

  async signup(username, email, password) {
    return this.api.post("/api/auth/signup", { username, email, password }, { auth: false, retry: false });
  }

  async logout() {
    try {
      await this.api.post("/api/auth/logout", undefined, { auth: false, retry: false });
    } finally {
      this.ended();
    }
  }

  /** The server ended the session (password change, account deleted): forget it here. */
  ended() {
    this.api.clearSession();
    this.set(null);
  }
}
