// One conversation: its header (names, status, actions), the paged history, read markers,
// typing, game invitations and the composer. Used by the /chat view and by the pop-up.
//
// This file holds the thread and its life (loading, live updates, paging, read markers,
// typing); the parts that draw or act take the thread as their first argument:
// thread-header.js (the header and its actions), thread-messages.js (a message, an
// invitation card and its answer) and thread-composer.js (the composer and sending).

import { h } from "@transcendence/shell";
import { chatTitle, peerOf, refreshDots } from "./parts.js";
import { composer, updateCounter } from "./thread-composer.js";
import { header } from "./thread-header.js";
import { messageItem } from "./thread-messages.js";

const PAGE = 30;
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
    this.el.replaceChildren(header(this), this.scroller, this.typingLine, this.errorBox, composer(this));
  }

  /** A button whose action's error shows in the thread (the header's, an invitation's). */
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

  // --- messages -------------------------------------------------------------------------

  /** The first page (newest first from the server) → the log, oldest at the top. */
  fill(page) {
    this.ids.clear();
    this.log.replaceChildren();
    this.next = page.next;
    if (typeof page.last_read_id === "number") this.lastRead = Math.max(this.lastRead, page.last_read_id);
    for (const message of [...page.items].reverse()) this.log.append(messageItem(this, message));
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
        const item = messageItem(this, message);
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
      updateCounter(this);
      this.fill(page);
    } catch (error) {
      this.showError(error);
    }
  }

  add(message) {
    if (this.ids.has(message.id)) return;
    const nearEnd = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    // Messages arrive in order, but a reply and a push can cross: keep the log sorted by id.
    const item = messageItem(this, message);
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
    old.replaceWith(messageItem(this, message));
    this.drawMarkers();
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

  // --- errors and membership ----------------------------------------------------------

  showError(error) {
    this.errorBox.textContent = typeof error === "string" ? error : this.store.errorMessage(error);
    this.errorBox.hidden = false;
  }

  clearError() {
    this.errorBox.hidden = true;
    this.errorBox.textContent = "";
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
    this.el.firstElementChild.replaceWith(header(this));
    this.drawMarkers();
    this.store.queryPresence((this.chat.members || []).map((m) => m.id));
  }
}
