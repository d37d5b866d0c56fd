// One conversation: its header (names, status, actions), the paged history, read markers,
// typing, game invitations and the composer. Used by the /chat view and by the pop-up.

import { h } from "@transcendence/shell";
import { MAX_TEXT, chatTitle, inviteText, peerOf, personLink, refreshDots, statusDot, timeOf } from "./parts.js";

const PAGE = 30;
const TYPING_EVERY_MS = 3000;
const TYPING_FADE_MS = 4000;

export class Thread {
  constructor({ shell, store, chat, compact = false, onLeft = null }) {
    this.shell = shell;
    this.store = store;
    this.chat = chat;
    this.compact = compact;
    this.onLeft = onLeft;
    this.h = h;
    this.ids = new Set();
    this.next = null;
    this.loadingOlder = false;
    this.lastRead = chat.last_read_id || 0;
    this.relationship = null;
    this.cleanups = [];
    this.typingTimers = new Map();
    this.lastTypingSent = 0;
    this.el = this.h("section", {
      class: ["chat-thread", compact ? "chat-thread-compact" : ""],
      dataset: { chatId: String(chat.id), kind: chat.kind },
      "aria-labelledby": `chat-thread-title-${chat.id}${compact ? "-popup" : ""}`,
    });
  }

  t(key, params) {
    return this.shell.t(key, params);
  }

  get me() {
    return this.shell.user;
  }

  get peer() {
    return peerOf(this.chat, this.me);
  }

  listen(target, type, fn) {
    target.addEventListener(type, fn);
    this.cleanups.push(() => target.removeEventListener(type, fn));
  }

  /** Load the chat's first page (and, in a direct chat, where we stand) and draw. */
  async load() {
    const [page, relationship] = await Promise.all([
      this.api(`/api/messages/`, { chat_id: this.chat.id, limit: PAGE }),
      this.loadRelationship(),
    ]);
    this.relationship = relationship;
    this.draw();
    this.fill(page);
    this.wire();
    this.store.queryPresence((this.chat.members || []).map((m) => m.id));
    return this.el;
  }

  api(path, query) {
    return this.shell.api.get(path, { query });
  }

  async loadRelationship() {
    const peer = this.peer;
    if (!peer) return null;
    try {
      const profile = await this.shell.api.get(`/api/users/${peer.id}`);
      return profile.relationship || null;
    } catch {
      return null; // an anonymised account: nothing to block, nothing to write to
    }
  }

  wire() {
    const s = this.store;
    this.listen(s, "message", (e) => {
      const m = e.detail;
      if (m.chat_id !== this.chat.id) return;
      this.add(m);
      this.markRead();
    });
    this.listen(s, "updated", (e) => {
      if (e.detail.chat_id === this.chat.id) this.replaceMessage(e.detail);
    });
    this.listen(s, "read", (e) => this.receipt(e.detail));
    this.listen(s, "presence", (e) => refreshDots(this.shell, s, this.el, e.detail.user_id));
    this.listen(s, "members", (e) => {
      if (e.detail.chat_id === this.chat.id) this.membersChanged(e.detail);
    });
    this.listen(s, "resync", () => this.reload());
    this.listen(document, "visibilitychange", () => this.markRead());
    this.cleanups.push(
      this.shell.realtime.on("chat.typing", (d) => {
        if (d.chat_id === this.chat.id) this.typing(d.user_id);
      }),
    );
    s.reading.add(this.chat.id);
    this.cleanups.push(() => s.reading.delete(this.chat.id));
  }

  destroy() {
    for (const fn of this.cleanups.splice(0)) fn();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    this.typingTimers.clear();
  }

  // --- drawing --------------------------------------------------------------------------

  draw() {
    const h = this.h;
    this.errorBox = h("div", { class: "alert alert-danger chat-error mb-2", role: "alert", hidden: true });
    // A list of messages, read out as they arrive (a role="log" would unmake the list).
    this.log = h("ol", {
      class: "chat-log list-unstyled mb-0",
      "aria-live": "polite",
      "aria-label": this.t("chat.messages_label", { name: chatTitle(this.shell, this.chat) }),
      tabindex: "0",
    });
    this.olderButton = h("button", {
      class: "btn btn-sm btn-outline-light chat-older",
      type: "button",
      hidden: true,
      text: this.t("chat.load_older"),
      onclick: () => this.loadOlder(),
    });
    this.scroller = h("div", { class: "chat-scroller" }, this.olderButton, this.log);
    this.scroller.addEventListener("scroll", () => {
      if (this.scroller.scrollTop < 48 && this.next) this.loadOlder();
    });
    this.typingLine = h("div", { class: "chat-typing small text-body-secondary", "aria-live": "polite" });
    this.el.replaceChildren(this.header(), this.scroller, this.typingLine, this.errorBox, this.composer());
  }

  header() {
    const h = this.h;
    const chat = this.chat;
    const peer = this.peer;
    const id = `chat-thread-title-${chat.id}${this.compact ? "-popup" : ""}`;
    const title = peer
      ? h("h2", { class: "h5 mb-0 chat-thread-title", id }, statusDot(this.shell, this.store, peer), " ", personLink(this.shell, peer))
      : h("h2", { class: "h5 mb-0 chat-thread-title", id, text: chatTitle(this.shell, chat) });
    const sub = [];
    if (chat.kind === "direct" && peer) sub.push(h("span", { class: "small text-body-secondary", text: `@${peer.username}` }));
    if (chat.kind === "group" || chat.kind === "channel") {
      sub.push(h("span", { class: "small text-body-secondary", text: this.t("chat.members", { count: chat.member_count }) }));
    }
    const head = h(
      "header",
      { class: "chat-thread-header" },
      h("div", { class: "min-w-0" }, title, sub),
      h("div", { class: "chat-actions d-flex flex-wrap gap-2" }, this.actions()),
    );
    if (chat.kind === "group" && !this.compact) {
      return h("div", {}, head, this.memberList());
    }
    return head;
  }

  memberList() {
    const h = this.h;
    return h(
      "ul",
      { class: "chat-members list-inline small mb-0", "aria-label": this.t("chat.members_list") },
      (this.chat.members || []).map((m) =>
        h(
          "li",
          { class: "list-inline-item" },
          statusDot(this.shell, this.store, m),
          " ",
          personLink(this.shell, m),
          m.role === "owner" ? h("span", { class: "text-body-secondary", text: ` (${this.t("chat.owner")})` }) : null,
        ),
      ),
    );
  }

  actions() {
    const chat = this.chat;
    const peer = this.peer;
    const rel = this.relationship || {};
    const out = [];
    if (chat.kind === "direct" && peer) {
      if (this.store.pongEnabled() && !rel.blocked && !rel.blocked_by) {
        out.push(
          // Whom, in the words shown too (a screen reader's name holds what is seen).
          this.button(this.t("chat.invite_named", { name: peer.display_name }), "btn-primary", () => this.invite(), {
            dataset: { action: "invite" },
          }),
        );
      }
      if (rel.blocked) {
        out.push(
          this.button(this.t("chat.unblock"), "btn-outline-warning", () => this.setBlocked(false), {
            "aria-label": this.t("chat.unblock_named", { name: peer.display_name }),
            dataset: { action: "unblock" },
          }),
        );
      } else {
        out.push(
          this.button(this.t("chat.block"), "btn-outline-danger", () => this.setBlocked(true), {
            "aria-label": this.t("chat.block_named", { name: peer.display_name }),
            dataset: { action: "block" },
          }),
        );
      }
    }
    if (chat.kind === "group" || chat.kind === "channel") {
      const name = chatTitle(this.shell, chat);
      out.push(
        this.button(this.t("chat.leave"), "btn-outline-light", () => this.leave(), {
          "aria-label": this.t("chat.leave_named", { name }),
          dataset: { action: "leave" },
        }),
      );
    }
    return out;
  }

  button(label, cls, fn, attrs = {}) {
    return this.h("button", {
      class: `btn btn-sm ${cls}`,
      type: "button",
      text: label,
      ...attrs,
      onclick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        this.clearError();
        try {
          await fn();
        } catch (error) {
          this.showError(error);
        } finally {
          button.disabled = false;
        }
      },
    });
  }

  composer() {
    const h = this.h;
    const chat = this.chat;
    const rel = this.relationship || {};
    const peer = this.peer;
    if (chat.kind === "system") {
      return h("p", { class: "chat-readonly small text-body-secondary mb-0", text: this.t("chat.read_only") });
    }
    const notes = [];
    if (peer && rel.blocked) notes.push(this.t("chat.you_block", { name: peer.display_name }));
    else if (peer && rel.blocked_by) notes.push(this.t("chat.blocks_you", { name: peer.display_name }));
    const id = `chat-text-${chat.id}${this.compact ? "-popup" : ""}`;
    this.input = h("textarea", {
      class: "form-control chat-input",
      id,
      name: "text",
      rows: this.compact ? "1" : "2",
      maxlength: String(MAX_TEXT),
      placeholder: this.t(this.compact ? "chat.placeholder_short" : "chat.placeholder"),
      autocomplete: "off",
    });
    this.counter = h("span", { class: "chat-counter small text-body-secondary", "aria-live": "off" });
    this.input.addEventListener("input", () => {
      this.updateCounter();
      this.sendTyping();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.updateCounter();
    return h(
      "form",
      {
        class: "chat-composer",
        onsubmit: (event) => {
          event.preventDefault();
          this.send();
        },
      },
      notes.map((text) => h("p", { class: "small text-warning mb-1 chat-block-note", text })),
      h("label", { class: "visually-hidden", htmlFor: id, text: this.t("chat.message_label") }),
      h(
        "div",
        { class: "d-flex gap-2 align-items-end" },
        this.input,
        h("button", { class: "btn btn-primary chat-send", type: "submit", text: this.t("chat.send") }),
      ),
      this.compact ? null : h("div", { class: "text-end" }, this.counter),
    );
  }

  updateCounter() {
    if (!this.counter || !this.input) return;
    const count = [...this.input.value].length;
    this.counter.textContent = this.t("chat.counter", { count, max: MAX_TEXT });
    this.counter.classList.toggle("text-danger", count > MAX_TEXT);
  }

  // --- messages -------------------------------------------------------------------------

  /** The first page (newest first from the server) → the log, oldest at the top. */
  fill(page) {
    this.ids.clear();
    this.log.replaceChildren();
    this.next = page.next;
    if (typeof page.last_read_id === "number") this.lastRead = Math.max(this.lastRead, page.last_read_id);
    for (const message of [...page.items].reverse()) this.log.append(this.messageItem(message));
    this.drawEdges();
    this.drawMarkers();
    this.scrollToEnd();
    this.markRead();
  }

  drawEdges() {
    this.olderButton.hidden = !this.next;
    const empty = !this.log.querySelector(".chat-msg");
    let note = this.log.querySelector(".chat-log-note");
    if (!note) {
      note = this.h("li", { class: "chat-log-note small text-body-secondary text-center" });
      this.log.prepend(note);
    }
    note.hidden = Boolean(this.next);
    note.textContent = empty ? this.t("chat.no_messages") : this.t("chat.history_start");
  }

  async loadOlder() {
    if (this.loadingOlder || !this.next) return;
    this.loadingOlder = true;
    try {
      const page = await this.api("/api/messages/", { chat_id: this.chat.id, limit: PAGE, cursor: this.next });
      const before = this.scroller.scrollHeight;
      const anchor = this.log.querySelector(".chat-msg");
      const items = page.items.filter((m) => !this.ids.has(m.id)).reverse();
      for (const message of items) {
        const item = this.messageItem(message);
        if (anchor) anchor.before(item);
        else this.log.append(item);
      }
      this.next = page.next;
      this.drawEdges();
      this.drawMarkers();
      this.scroller.scrollTop += this.scroller.scrollHeight - before;
    } catch (error) {
      this.showError(error);
    } finally {
      this.loadingOlder = false;
    }
  }

  async reload() {
    try {
      const [page, relationship] = await Promise.all([
        this.api("/api/messages/", { chat_id: this.chat.id, limit: PAGE }),
        this.loadRelationship(),
      ]);
      this.relationship = relationship;
      const draft = this.input ? this.input.value : "";
      this.draw();
      if (this.input) this.input.value = draft;
      this.updateCounter();
      this.fill(page);
    } catch (error) {
      this.showError(error);
    }
  }

  add(message) {
    if (this.ids.has(message.id)) return;
    const nearEnd = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    // Messages arrive in order, but a reply and a push can cross: keep the log sorted by id.
    const item = this.messageItem(message);
    const later = [...this.log.querySelectorAll(".chat-msg")].find((li) => Number(li.dataset.messageId) > message.id);
    if (later) later.before(item);
    else this.log.append(item);
    this.drawEdges();
    this.drawMarkers();
    if (nearEnd || (this.me && message.sender_id === this.me.id)) this.scrollToEnd();
    if (message.sender_id) this.typingDone(message.sender_id);
  }

  replaceMessage(message) {
    const old = this.log.querySelector(`[data-message-id="${message.id}"]`);
    if (!old) return;
    this.ids.delete(message.id);
    old.replaceWith(this.messageItem(message));
    this.drawMarkers();
  }

  messageItem(message) {
    const h = this.h;
    this.ids.add(message.id);
    const mine = this.me && message.sender_id === this.me.id;
    const time = h("time", { class: "chat-time", datetime: message.created_at, text: timeOf(this.shell, message.created_at) });
    let body;
    if (message.kind === "invite") body = this.inviteBody(message);
    else body = h("p", { class: "chat-text mb-0", text: message.text });
    const who =
      message.kind === "notice" || !message.sender
        ? h("span", { class: "chat-sender text-body-secondary", text: this.t("chat.notices") })
        : personLink(this.shell, message.sender, "chat-sender");
    return h(
      "li",
      {
        class: ["chat-msg", mine ? "chat-msg-mine" : "chat-msg-theirs", `chat-msg-${message.kind}`],
        dataset: { messageId: String(message.id), senderId: String(message.sender_id || "") },
      },
      h("div", { class: "chat-meta small" }, who, " ", time),
      body,
    );
  }

  inviteBody(message) {
    const h = this.h;
    const d = message.data || {};
    const me = this.me;
    const parts = [h("p", { class: "mb-1 chat-invite-text", text: inviteText(this.shell, this.chat, message) })];
    const status = d.status || "pending";
    if (status === "pending" && me && d.to === me.id) {
      const from = message.sender ? message.sender.display_name : "";
      parts.push(
        h(
          "div",
          { class: "d-flex gap-2" },
          this.button(this.t("chat.accept"), "btn-success", () => this.answer(d.invite_id, true), {
            "aria-label": this.t("chat.accept_named", { name: from }),
            dataset: { action: "accept" },
          }),
          this.button(this.t("chat.decline"), "btn-outline-light", () => this.answer(d.invite_id, false), {
            "aria-label": this.t("chat.decline_named", { name: from }),
            dataset: { action: "decline" },
          }),
        ),
      );
    } else {
      const key = { pending: "chat.invite_pending", accepted: "chat.invite_accepted", declined: "chat.invite_declined" }[status] || "chat.invite_expired";
      const note = h("p", { class: "small mb-0 chat-invite-status", dataset: { status }, text: this.t(key) });
      parts.push(note);
      if (status === "accepted" && d.game_id) {
        const link = h("a", { class: "btn btn-sm btn-outline-info mt-1", href: `/play/games/${encodeURIComponent(d.game_id)}`, text: this.t("chat.open_game") });
        parts.push(link);
        this.showGameOutcome(d.game_id, note, link);
      }
    }
    return h("div", { class: "chat-invite", dataset: { inviteId: String(d.invite_id), status } }, parts);
  }

  /** An accepted invitation's game may be long over: say so instead of "the game is on". */
  async showGameOutcome(gameId, note, link) {
    if (!this.store.pongEnabled()) return;
    const status = await this.store.gameStatus(gameId);
    if (!status || status === "running") return;
    note.dataset.game = status;
    if (status === "finished") {
      note.textContent = this.t("chat.invite_played");
      link.textContent = this.t("chat.see_result");
    } else {
      note.textContent = this.t("chat.invite_called_off");
      link.remove();
    }
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  // --- read markers ---------------------------------------------------------------------

  /** "Seen" under the newest of my messages the others have read (never in channels). */
  drawMarkers() {
    for (const old of this.log.querySelectorAll(".chat-seen")) old.remove();
    if (!this.me || this.chat.kind === "channel" || this.chat.kind === "system") return;
    const readers = (this.chat.members || []).filter((m) => m.id !== this.me.id && typeof m.last_read_id === "number");
    const mine = [...this.log.querySelectorAll(".chat-msg-mine")].reverse();
    for (const item of mine) {
      const id = Number(item.dataset.messageId);
      const who = readers.filter((m) => m.last_read_id >= id);
      if (!who.length) continue;
      const text = this.chat.kind === "direct" ? this.t("chat.seen") : this.t("chat.seen_by", { names: who.map((m) => m.display_name).join(", ") });
      item.append(this.h("div", { class: "chat-seen small", text: `✓ ${text}` }));
      return;
    }
  }

  receipt(r) {
    if (r.chat_id !== this.chat.id) return;
    if (this.me && r.user_id === this.me.id) {
      this.lastRead = Math.max(this.lastRead, r.last_read_id);
      return;
    }
    const member = (this.chat.members || []).find((m) => m.id === r.user_id);
    if (!member) return;
    member.last_read_id = Math.max(member.last_read_id || 0, r.last_read_id);
    this.drawMarkers();
  }

  /** Mark what I see as read, when the tab is visible and something new came from others. */
  async markRead() {
    if (document.visibilityState !== "visible" || !this.el.isConnected) return;
    const items = [...this.log.querySelectorAll(".chat-msg")];
    if (!items.length) return;
    const newest = Math.max(...items.map((li) => Number(li.dataset.messageId)));
    const unseen = items.some((li) => !li.classList.contains("chat-msg-mine") && Number(li.dataset.messageId) > this.lastRead);
    if (!unseen && !this.store.unreadOf(this.chat.id)) return;
    this.lastRead = Math.max(this.lastRead, newest);
    try {
      await this.shell.api.post("/api/messages/mark_chat_as_read/", { chat_id: this.chat.id, message_id: newest });
    } catch {
      return; // the next message or a reconnection tries again
    }
    this.store.loadUnread();
  }

  // --- typing ---------------------------------------------------------------------------

  sendTyping() {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_EVERY_MS || this.shell.realtime.state !== "online") return;
    this.lastTypingSent = now;
    this.shell.realtime.send("chat.typing", { chat_id: this.chat.id });
  }

  typing(userId) {
    if (this.me && userId === this.me.id) return;
    clearTimeout(this.typingTimers.get(userId));
    this.typingTimers.set(userId, setTimeout(() => this.typingDone(userId), TYPING_FADE_MS));
    this.drawTyping();
  }

  typingDone(userId) {
    if (!this.typingTimers.has(userId)) return;
    clearTimeout(this.typingTimers.get(userId));
    this.typingTimers.delete(userId);
    this.drawTyping();
  }

  drawTyping() {
    const names = [...this.typingTimers.keys()]
      .map((id) => (this.chat.members || []).find((m) => m.id === id))
      .filter(Boolean)
      .map((m) => m.display_name);
    this.typingLine.textContent = names.length ? this.t("chat.typing", { name: names.join(", ") }) : "";
  }

  // --- actions --------------------------------------------------------------------------

  showError(error) {
    this.errorBox.textContent = typeof error === "string" ? error : this.store.errorMessage(error);
    this.errorBox.hidden = false;
  }

  clearError() {
    this.errorBox.hidden = true;
    this.errorBox.textContent = "";
  }

  async send() {
    if (!this.input) return;
    const text = this.input.value;
    this.clearError();
    if (!text.trim()) {
      this.showError(this.t("chat.error.empty"));
      this.input.focus();
      return;
    }
    const count = [...text].length;
    if (count > MAX_TEXT) {
      this.showError(this.t("chat.error.too_long", { max: MAX_TEXT, count }));
      this.input.focus();
      return;
    }
    const clientId = this.store.clientId();
    try {
      const message = await this.shell.api.post("/api/messages/", { chat: this.chat.id, text, client_id: clientId });
      if (this.input.value === text) this.input.value = "";
      this.updateCounter();
      this.add(message);
    } catch (error) {
      this.showError(error);
    }
    this.input.focus();
  }

  async invite() {
    const answer = await this.shell.api.post(`/api/chat/chats/${this.chat.id}/invite`, { options: {} });
    if (answer?.message) this.add(answer.message);
  }

  async answer(inviteId, accept) {
    const answer = await this.shell.api.post(`/api/chat/chats/${this.chat.id}/invites/${inviteId}/answer`, { accept });
    if (answer.message) this.replaceMessage(answer.message);
    if (accept && answer.game_id) this.store.goToGame(answer.game_id);
  }

  async setBlocked(block) {
    const peer = this.peer;
    if (!peer) return;
    if (block) {
      // The shell's sentence, as on profiles: one place says exactly what blocking does.
      if (!window.confirm(this.t("profile.block_confirm", { name: peer.display_name }))) return;
      await this.shell.api.post("/api/blocks/", { user_id: peer.id });
    } else {
      await this.shell.api.delete(`/api/blocks/${peer.id}`);
    }
    await this.reload();
    this.store.loadUnread();
    this.el.querySelector(`[data-action="${block ? "unblock" : "block"}"]`)?.focus();
  }

  async leave() {
    const name = chatTitle(this.shell, this.chat);
    if (!window.confirm(this.t("chat.leave_confirm", { name }))) return;
    await this.shell.api.post(`/api/chat/chats/${this.chat.id}/leave`, {});
    this.store.loadUnread();
    if (this.onLeft) this.onLeft(this.chat);
  }

  async membersChanged(d) {
    if (this.me && d.user_ids.includes(this.me.id) && (d.action === "left" || d.action === "removed")) {
      if (this.onLeft) this.onLeft(this.chat);
      return;
    }
    try {
      this.chat = await this.shell.api.get(`/api/chat/chats/${this.chat.id}`);
    } catch {
      return;
    }
    this.el.firstElementChild.replaceWith(this.header());
    this.drawMarkers();
    this.store.queryPresence((this.chat.members || []).map((m) => m.id));
  }
}
