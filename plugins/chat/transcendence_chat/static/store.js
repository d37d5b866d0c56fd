// What the chat view and the pop-up share in a tab: the unread counts, presence of the
// people I talk to, and the live `chat.*` frames, re-dispatched as DOM events:
//
//   "message"  a new message (detail: the message)     "updated"  an invitation was answered
//   "read"     a read receipt {chat_id, user_id, last_read_id}
//   "members"  someone joined, left, was added...       "unread"   the counts changed
//   "presence" someone's status changed {user_id, status}
//   "resync"   the socket came back: re-read what is shown
//
// Unread counts always come from the server (`GET /api/chat/unread`), so they stay exact
// across tabs, blocks and reconnections; a newer answer always wins over an older one.

export class ChatStore extends EventTarget {
  constructor(shell) {
    super();
    this.shell = shell;
    this.unread = { total: 0, chats: {} };
    this.presence = new Map(); // user id → status
    this.unsubscribe = [];
    this.unreadSeq = 0;
    this.tab = Math.random().toString(36).slice(2, 10);
    this.sent = 0;
    this.reading = new Set(); // ids of the chats a visible thread shows right now
  }

  get me() {
    return this.shell.user;
  }

  start() {
    if (this.unsubscribe.length) return;
    const rt = this.shell.realtime;
    const on = (type, fn) => this.unsubscribe.push(rt.on(type, fn));
    on("chat.message", (m) => this.received(m));
    on("chat.message_updated", (m) => this.updated(m));
    on("chat.read", (r) => {
      this.emit("read", r);
      if (this.me && r.user_id === this.me.id) this.loadUnread();
    });
    on("chat.members", (d) => {
      this.emit("members", d);
      this.loadUnread();
    });
    on("presence.changed", (d) => this.setPresence(d.user_id, d.status));
    on("resync", () => this.resync());
    const connected = () => this.resync();
    rt.addEventListener("connected", connected);
    this.unsubscribe.push(() => rt.removeEventListener("connected", connected));
    this.loadUnread();
  }

  stop() {
    for (const off of this.unsubscribe.splice(0)) off();
    this.unread = { total: 0, chats: {} };
    this.presence.clear();
    this.emit("unread", this.unread);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  resync() {
    this.loadUnread();
    this.queryPresence([...this.presence.keys()]);
    this.emit("resync", null);
  }

  received(message) {
    this.emit("message", message);
    if (this.me && message.sender_id !== this.me.id && !this.reading.has(message.chat_id)) {
      this.loadUnread();
    }
  }

  updated(message) {
    this.emit("updated", message);
    // An invitation I sent was accepted: the game starts, go to it (the invitee goes there
    // from the answer itself).
    const d = message.data || {};
    if (message.kind === "invite" && d.status === "accepted" && d.game_id && this.me && d.from === this.me.id && this.isPong(d)) {
      this.goToGame(d.game_id);
    }
  }

  goToGame(gameId) {
    const target = `/play/games/${encodeURIComponent(gameId)}`;
    if (location.pathname !== target) this.shell.navigate(target);
  }

  async loadUnread() {
    if (!this.me) return;
    const seq = ++this.unreadSeq;
    let answer;
    try {
      answer = await this.shell.api.get("/api/chat/unread");
    } catch {
      return; // offline or switched off: the next event tries again
    }
    if (seq !== this.unreadSeq) return; // a newer answer is on its way
    this.unread = { total: answer.total || 0, chats: answer.chats || {} };
    this.emit("unread", this.unread);
  }

  unreadOf(chatId) {
    return Number(this.unread.chats[String(chatId)] || 0);
  }

  /** A client message id unique to this tab, so a retried send is stored once. */
  clientId() {
    this.sent += 1;
    return `web-${this.tab}-${this.sent}`;
  }

  setPresence(userId, status) {
    userId = Number(userId);
    if (!userId || this.presence.get(userId) === status) return;
    this.presence.set(userId, status);
    this.emit("presence", { user_id: userId, status });
  }

  statusOf(userId) {
    if (this.me && Number(userId) === this.me.id) return this.shell.realtime.state === "online" ? "online" : "offline";
    return this.presence.get(Number(userId)) || "offline";
  }

  /** Ask the hub for the status of people I see in the chat (friends also get live pushes). */
  async queryPresence(ids) {
    const wanted = [...new Set(ids.map(Number).filter((id) => id && (!this.me || id !== this.me.id)))].slice(0, 200);
    if (!wanted.length || this.shell.realtime.state !== "online") return;
    let answer;
    try {
      answer = await this.shell.realtime.request("presence.query", { user_ids: wanted });
    } catch {
      return;
    }
    for (const [id, value] of Object.entries(answer.presence || {})) {
      this.setPresence(id, value?.status || "offline");
    }
  }

  /** The status of an invitation's game ("running", "finished"...), null when unknown.
   * Only games that ended are remembered: they do not change any more. */
  async gameStatus(gameId) {
    this.endedGames ||= new Map();
    if (this.endedGames.has(gameId)) return this.endedGames.get(gameId);
    try {
      const game = await this.shell.api.get(`/api/pong/games/${encodeURIComponent(gameId)}`);
      if (game.status !== "running") this.endedGames.set(gameId, game.status);
      return game.status;
    } catch {
      return null; // offline, or pong switched off meanwhile: the card stays as it is
    }
  }

  pongEnabled() {
    return this.shell.enabledModules().some((m) => m.name === "pong");
  }

  /** Whether an invitation (its `data`) is to Pong, the game this browser code knows how to
   * open: invitations name their game, and those stored before that were all Pong's. */
  isPong(invitation) {
    return (invitation.game || "pong") === "pong";
  }

  /** A sentence for an error of a chat call, in the visitor's language. */
  errorMessage(error) {
    const t = (key, params) => this.shell.t(key, params);
    const code = error?.code;
    if (code === "rate_limited") {
      const seconds = Math.max(1, Math.ceil(Number(error.details?.retry_after || 1)));
      return t("chat.error.rate_limited", { seconds });
    }
    if (code === "validation_error" && Array.isArray(error.details)) {
      const text = error.details.find((d) => (d.loc || []).includes("text"));
      if (text) return t("chat.error.empty");
    }
    // The browser invites to Pong only, so the game that is unavailable is Pong.
    if (code === "game_unavailable") return t("chat.error.pong_disabled");
    const known = ["blocked", "read_only", "not_found", "name_taken", "too_many_members", "cannot_leave"];
    if (known.includes(code)) return t(`chat.error.${code}`);
    return this.shell.errorMessage(error);
  }
}
