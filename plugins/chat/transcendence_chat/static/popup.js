// The chat pop-up: a button in the corner of every page (but /chat, login and signup) with
// the total unread count, opening a small panel to read and answer direct messages without
// leaving the current view. A non-modal dialog: the page behind stays usable, so focus is
// not trapped; it moves into the panel when it opens and back to the button on Escape.

import { h } from "@transcendence/shell";
import { chatTitle, countBadge, peerOf, preview, refreshDots, statusDot } from "./parts.js";
import { Thread } from "./thread.js";

const HIDDEN_ON = [/^\/chat(\/|$)/, /^\/login(\/|$)/, /^\/signup(\/|$)/];

export class ChatDock {
  constructor(shell, store) {
    this.shell = shell;
    this.store = store;
    this.h = h;
    this.open = false;
    this.thread = null;
    this.cleanups = [];
    this.build();
  }

  t(key, params) {
    return this.shell.t(key, params);
  }

  build() {
    const h = this.h;
    this.badge = countBadge(this.shell, 0, "chat-dock-badge");
    this.toggle = h(
      "button",
      {
        class: "btn btn-primary chat-dock-toggle",
        type: "button",
        id: "chat-dock-toggle",
        "aria-expanded": "false",
        "aria-controls": "chat-dock-panel",
        onclick: () => (this.open ? this.close() : this.show()),
      },
      h("span", { class: "chat-dock-icon", "aria-hidden": "true", text: "✉" }),
      h("span", { class: "chat-dock-label" }),
      this.badge,
    );
    this.body = h("div", { class: "chat-dock-body" });
    this.titleEl = h("h2", { class: "h6 mb-0", id: "chat-dock-title" });
    this.fullLink = h("a", { class: "btn btn-sm btn-link chat-dock-full", href: "/chat" });
    this.closeButton = h("button", { class: "btn-close", type: "button", onclick: () => this.close(true) });
    this.panel = h(
      "div",
      { class: "chat-dock-panel card", id: "chat-dock-panel", role: "dialog", "aria-labelledby": "chat-dock-title", tabindex: "-1", hidden: true },
      h("div", { class: "card-header chat-dock-header" }, this.titleEl, h("div", { class: "d-flex align-items-center gap-1" }, this.fullLink, this.closeButton)),
      this.body,
    );
    this.el = h("div", { class: "chat-dock", id: "chat-dock", hidden: true }, this.panel, this.toggle);
    this.el.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.open) {
        event.stopPropagation();
        this.close(true);
      }
    });
  }

  mount() {
    document.body.append(this.el);
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      this.cleanups.push(() => target.removeEventListener(type, fn));
    };
    on(this.store, "unread", () => this.drawToggle());
    on(this.store, "message", () => {
      if (this.open && !this.thread) this.drawList();
    });
    on(this.store, "presence", (e) => refreshDots(this.shell, this.store, this.body, e.detail.user_id));
    on(this.shell, "navigated", () => this.placed());
    on(this.shell.session, "change", () => this.placed());
    on(this.shell.i18n, "change", () => this.relabel());
    this.relabel();
    this.placed();
  }

  unmount() {
    for (const fn of this.cleanups.splice(0)) fn();
    this.closeThread();
    this.el.remove();
  }

  /** Shown to members everywhere but where the chat is already (or makes no sense). */
  placed() {
    const wanted = Boolean(this.shell.user) && !HIDDEN_ON.some((re) => re.test(location.pathname));
    if (this.shell.user) this.store.start();
    if (!wanted && this.open) this.close();
    this.el.hidden = !wanted;
    // On a phone the game's touch controls need the corner (see chat.css).
    this.el.classList.toggle("chat-dock-in-game", location.pathname.startsWith("/play/games/"));
    document.body.classList.toggle("chat-dock-shown", wanted);
    this.drawToggle();
  }

  relabel() {
    this.fullLink.textContent = this.t("chat.popup_full");
    this.closeButton.setAttribute("aria-label", this.t("chat.popup_close"));
    this.drawToggle();
    if (this.open) {
      if (this.thread) this.openChat(this.thread.chat);
      else this.drawList();
    }
  }

  drawToggle() {
    const total = this.store.unread.total || 0;
    this.toggle.querySelector(".chat-dock-label").textContent = this.t("chat.nav");
    this.toggle.setAttribute("aria-label", total ? this.t("chat.popup_open_unread", { count: total }) : this.t("chat.popup_open"));
    const badge = countBadge(this.shell, total, "chat-dock-badge");
    this.badge.replaceWith(badge);
    this.badge = badge;
    this.badge.setAttribute("aria-hidden", "true");
  }

  show() {
    this.open = true;
    this.panel.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    this.panel.focus(); // a screen reader announces the dialog; Tab goes on into it
    this.drawList().then(() => {
      const first = this.open && !this.thread && this.body.querySelector(".chat-dock-item");
      if (first && this.panel.contains(document.activeElement)) first.focus();
    });
  }

  close(focus = false) {
    this.open = false;
    this.closeThread();
    this.panel.hidden = true;
    this.toggle.setAttribute("aria-expanded", "false");
    if (focus) this.toggle.focus();
  }

  closeThread() {
    if (this.thread) this.thread.destroy();
    this.thread = null;
  }

  async drawList() {
    const h = this.h;
    this.closeThread();
    this.titleEl.textContent = this.t("chat.popup_title");
    let page;
    try {
      page = await this.shell.api.get("/api/chats/", { query: { limit: 30 } });
    } catch (error) {
      this.body.replaceChildren(h("p", { class: "small text-danger p-3 mb-0", role: "alert", text: this.store.errorMessage(error) }));
      return;
    }
    if (!this.open || this.thread) return;
    const chats = page.items.filter((c) => c.kind === "direct" || c.kind === "system");
    this.store.queryPresence(chats.flatMap((c) => c.members.map((m) => m.id)));
    if (!chats.length) {
      this.body.replaceChildren(h("p", { class: "small text-body-secondary p-3 mb-0", text: this.t("chat.popup_empty") }));
      return;
    }
    this.body.replaceChildren(
      h(
        "ul",
        { class: "list-unstyled mb-0 chat-dock-list", "aria-labelledby": "chat-dock-title" },
        chats.map((chat) => {
          const peer = peerOf(chat, this.shell.user);
          const unread = this.store.unreadOf(chat.id);
          return h(
            "li",
            { dataset: { chatId: String(chat.id) } },
            h(
              "button",
              { class: "chat-dock-item", type: "button", onclick: () => this.openChat(chat) },
              peer ? statusDot(this.shell, this.store, peer) : null,
              h(
                "span",
                { class: "chat-item-body" },
                h("span", { class: "chat-item-title", text: chatTitle(this.shell, chat) }),
                h("span", { class: "chat-item-preview", text: preview(this.shell, chat, chat.last_message) }),
              ),
              countBadge(this.shell, unread),
            ),
          );
        }),
      ),
    );
  }

  async openChat(chat) {
    const h = this.h;
    this.closeThread();
    const thread = new Thread({ shell: this.shell, store: this.store, chat, compact: true, onLeft: () => this.drawList() });
    this.thread = thread;
    try {
      await thread.load();
    } catch (error) {
      if (this.thread === thread) {
        this.body.replaceChildren(h("p", { class: "small text-danger p-3 mb-0", role: "alert", text: this.store.errorMessage(error) }));
      }
      return;
    }
    if (this.thread !== thread || !this.open) return thread.destroy();
    this.body.replaceChildren(
      h("button", { class: "btn btn-sm btn-link chat-dock-back", type: "button", text: `← ${this.t("chat.back")}`, onclick: () => this.drawList() }),
      thread.el,
    );
    thread.scrollToEnd();
    thread.markRead();
    if (thread.input) thread.input.focus();
  }
}
