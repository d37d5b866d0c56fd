// One realtime socket per tab (/ws), shared by the shell, the views and the modules.
//
// Protocol (docs/realtime.md): the first frame is {"type": "auth", "data": {"token"}}; the
// server answers with "re" = our id. Frames are {"type", "id", "data"}; replies carry "re";
// errors are {"type": "error", "re", "error": {code, message}}. The server pings, we pong.
// The socket reconnects with exponential backoff and jitter, re-authenticating each time,
// and re-sends the token before it expires.

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const REPLY_TIMEOUT_MS = 10_000;
const UNAUTHORIZED = 4401;
const SLOW_DOWN = new Set([1008, 4429]);
const MAX_ATTEMPT_EXPONENT = Math.ceil(Math.log2(BACKOFF_MAX_MS / BACKOFF_START_MS));

export class RealtimeError extends Error {
  constructor(code, message, details = null) {
    super(message);
    this.name = "RealtimeError";
    this.code = code;
    this.details = details;
  }
}

export class Realtime extends EventTarget {
  constructor(api) {
    super();
    this.api = api;
    this.socket = null;
    this.state = "off"; // off | connecting | online | reconnecting
    this.wanted = false;
    this.attempts = 0;
    this.retryTimer = null;
    this.renewTimer = null;
    this.pending = new Map();
    this.handlers = new Map();
    this.nextId = 1;
    this.needsNewToken = false;
    this.onlineListener = () => {
      if (this.wanted && this.state !== "online") this.connectSoon(0);
    };
  }

  /** Subscribe to a frame type ("*" for all); returns the function that unsubscribes. */
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return () => this.handlers.get(type)?.delete(handler);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }

  /** Open the socket (after login or at load with a session). */
  start() {
    if (this.wanted) return;
    this.wanted = true;
    this.attempts = 0;
    window.addEventListener("online", this.onlineListener);
    this.connect();
  }

  /** Close it for good (logout). */
  stop() {
    this.wanted = false;
    window.removeEventListener("online", this.onlineListener);
    clearTimeout(this.retryTimer);
    clearTimeout(this.renewTimer);
    this.failPending(new RealtimeError("closed", "the connection was closed"));
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000, "logout");
    }
    this.setState("off");
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws`;
  }

  async connect() {
    if (!this.wanted) return;
    this.setState(this.attempts === 0 ? "connecting" : "reconnecting");
    let token;
    try {
      // After a refused token (4401) only a new one will do; otherwise the current one.
      token = this.needsNewToken ? await this.api.refresh() : await this.api.token();
      this.needsNewToken = false;
    } catch {
      // No session any more (the api told the session), or the server is down: retry later.
      if (this.api.access === null && !this.api.mayHaveSession) return this.stop();
      return this.scheduleReconnect();
    }
    if (!this.wanted) return;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => this.authenticate(socket, token));
    socket.addEventListener("message", (event) => this.receive(socket, event));
    socket.addEventListener("close", (event) => this.closed(socket, event));
    // "error" is always followed by "close", which handles it.
  }

  async authenticate(socket, token) {
    try {
      const answer = await this.request("auth", { token }, socket);
      if (socket !== this.socket) return;
      this.attempts = 0;
      this.setState("online");
      this.scheduleRenewal(answer?.expires_at);
      this.dispatchEvent(new CustomEvent("connected", { detail: answer }));
    } catch (error) {
      if (socket !== this.socket) return;
      // Refused token: get a fresh one before the next attempt.
      if (error.code !== "closed") this.needsNewToken = true;
      socket.close(1000, "auth failed");
    }
  }

  /** Send a fresh token on the open socket shortly before the current one expires. */
  scheduleRenewal(expiresAt) {
    clearTimeout(this.renewTimer);
    if (!expiresAt) return;
    const delay = Math.max(5_000, expiresAt * 1000 - Date.now() - 45_000);
    this.renewTimer = setTimeout(async () => {
      if (this.state !== "online") return;
      try {
        const token = await this.api.refresh();
        const answer = await this.request("auth", { token });
        this.scheduleRenewal(answer?.expires_at);
      } catch {
        if (this.socket) this.socket.close(1000, "renewal failed");
      }
    }, delay);
  }

  receive(socket, event) {
    if (socket !== this.socket) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      console.warn("realtime: a frame that is not JSON was ignored");
      return;
    }
    if (frame.type === "ping") {
      this.sendFrame({ type: "pong" });
      return;
    }
    if (frame.re !== undefined && frame.re !== null && this.pending.has(String(frame.re))) {
      const waiter = this.pending.get(String(frame.re));
      this.pending.delete(String(frame.re));
      clearTimeout(waiter.timer);
      if (frame.type === "error") {
        const e = frame.error || {};
        waiter.reject(new RealtimeError(e.code || "error", e.message || "error", e.details));
      } else {
        waiter.resolve(frame.data);
      }
      return;
    }
    this.emit(frame.type, frame);
  }

  emit(type, frame) {
    for (const key of [type, "*"]) {
      for (const handler of [...(this.handlers.get(key) || [])]) {
        try {
          handler(frame.data, frame);
        } catch (error) {
          console.warn(`realtime: a ${type} handler failed`, error);
        }
      }
    }
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    clearTimeout(this.renewTimer);
    this.failPending(new RealtimeError("closed", "the connection was closed"));
    if (!this.wanted) return this.setState("off");
    // 4401: refresh the token first (a refused refresh ends the session, which stops us).
    if (event.code === UNAUTHORIZED) this.needsNewToken = true;
    this.dispatchEvent(new CustomEvent("disconnected", { detail: { code: event.code, reason: event.reason } }));
    // Abuse (1008) or too many sockets (4429): not again at once, wait the longest.
    this.scheduleReconnect(SLOW_DOWN.has(event.code));
  }

  scheduleReconnect(slowly = false) {
    if (!this.wanted) return;
    this.setState("reconnecting");
    if (slowly) this.attempts = Math.max(this.attempts, MAX_ATTEMPT_EXPONENT);
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.attempts);
    this.attempts += 1;
    // Full jitter: a restarted server is not hit by every client at the same instant.
    this.connectSoon(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  connectSoon(delay) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  failPending(error) {
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }

  sendFrame(frame, socket = this.socket) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** Fire and forget: false when not connected. */
  send(type, data) {
    if (this.state !== "online") return false;
    return this.sendFrame({ type, data });
  }

  /** Send and await the reply (rejects with a RealtimeError). */
  request(type, data, socket = this.socket) {
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (type !== "auth" && this.state !== "online") {
        reject(new RealtimeError("offline", "not connected"));
        return;
      }
      if (!this.sendFrame({ type, id, data }, socket)) {
        reject(new RealtimeError("offline", "not connected"));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RealtimeError("timeout", "no answer from the server"));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
    });
  }
}
