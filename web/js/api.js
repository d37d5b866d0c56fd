// The HTTP client. The access token lives in this object's memory only (never in storage);
// the refresh token is an HttpOnly cookie the browser sends to /api/auth/refresh by itself.

const SESSION_HINT = "transcendence.session";
const REFRESH_LOCK = "transcendence-refresh";
// Refresh this long before the access token expires, so requests rarely meet a 401.
const REFRESH_MARGIN_MS = 60_000;

/** An error answered by the server ({"error": {code, message, details}}) or the network. */
export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The field a 400/409 is about, when the server named one. */
  get field() {
    if (this.details && typeof this.details === "object" && !Array.isArray(this.details)) {
      return this.details.field || null;
    }
    if (Array.isArray(this.details) && this.details.length) {
      const loc = this.details[0].loc || [];
      return loc[loc.length - 1] || null;
    }
    return null;
  }
}

function expiryOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    return typeof claims.exp === "number" ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

export class Api extends EventTarget {
  constructor() {
    super();
    this.access = null;
    this.refreshing = null;
    this.refreshTimer = null;
  }

  /** Whether this browser had a session when the page loaded (a hint, not a secret). */
  get mayHaveSession() {
    try {
      return localStorage.getItem(SESSION_HINT) === "1";
    } catch {
      return false;
    }
  }

  setAccess(token) {
    this.access = token;
    clearTimeout(this.refreshTimer);
    try {
      localStorage.setItem(SESSION_HINT, "1");
    } catch {
      /* storage may be unavailable (private mode); the hint is only an optimisation */
    }
    const expires = expiryOf(token);
    if (expires) {
      const delay = Math.max(5_000, expires - Date.now() - REFRESH_MARGIN_MS);
      this.refreshTimer = setTimeout(() => this.refresh().catch(() => {}), delay);
    }
  }

  clearSession() {
    this.access = null;
    clearTimeout(this.refreshTimer);
    try {
      localStorage.removeItem(SESSION_HINT);
    } catch {
      /* see setAccess */
    }
  }

  /**
   * Trade the refresh cookie for a new access token. One refresh at a time across every tab
   * of this browser (the server revokes a session whose refresh token is used twice).
   */
  refresh() {
    if (!this.refreshing) {
      const run = () => this.request("POST", "/api/auth/refresh", { auth: false, retry: false });
      const locked = navigator.locks
        ? navigator.locks.request(REFRESH_LOCK, run)
        : run();
      this.refreshing = locked
        .then((body) => {
          this.setAccess(body.access);
          return body.access;
        })
        .catch((error) => {
          if (error instanceof ApiError && error.status === 401) {
            this.clearSession();
            this.dispatchEvent(new CustomEvent("session-lost", { detail: error }));
          }
          throw error;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async token() {
    const expires = this.access ? expiryOf(this.access) : null;
    if (this.access && (!expires || expires - Date.now() > 10_000)) return this.access;
    return this.refresh();
  }

  /**
   * request("GET", "/api/me/") → parsed JSON (or null for 204).
   * options: json (body), form (FormData), query (object), auth (default true),
   * raw (return the Response), retry (refresh once on an expired token; default true).
   */
  async request(method, path, { json, form, query, auth = true, raw = false, retry = true } = {}) {
    let url = path;
    if (query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== "") params.set(key, value);
      }
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    const headers = { Accept: "application/json" };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    if (auth && this.access) headers.Authorization = `Bearer ${this.access}`;

    let response;
    try {
      response = await fetch(url, { method, headers, body, credentials: "same-origin" });
    } catch (error) {
      throw new ApiError(0, "network_error", "the server cannot be reached", String(error));
    }

    if (response.status === 401 && auth && retry) {
      const error = await this.errorFrom(response);
      if (["token_expired", "invalid_token", "unauthorized"].includes(error.code) && this.mayHaveSession) {
        await this.refresh();
        return this.request(method, path, { json, form, query, auth, raw, retry: false });
      }
      throw error;
    }
    if (!response.ok) {
      const error = await this.errorFrom(response);
      if (error.code === "module_disabled") {
        this.dispatchEvent(new CustomEvent("module-disabled", { detail: error.details }));
      }
      throw error;
    }
    if (raw) return response;
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  async errorFrom(response) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      /* not JSON: a proxy's page, for instance */
    }
    const error = body?.error;
    if (error && typeof error === "object") {
      return new ApiError(response.status, error.code || "error", error.message || response.statusText, error.details);
    }
    return new ApiError(response.status, "http_error", `${response.status} ${response.statusText}`);
  }

  get(path, options) {
    return this.request("GET", path, options);
  }

  post(path, json, options = {}) {
    return this.request("POST", path, { ...options, json });
  }

  patch(path, json, options = {}) {
    return this.request("PATCH", path, { ...options, json });
  }

  put(path, options) {
    return this.request("PUT", path, options);
  }

  delete(path, json, options = {}) {
    return this.request("DELETE", path, { ...options, json });
  }
}
