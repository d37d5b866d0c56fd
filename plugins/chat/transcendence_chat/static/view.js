// The /chat and /chat/<id> view: the conversation list (newest first, unread badges, live),
// the open conversation, and the tools to start one (write to someone, new group, channels).

import { h, View } from "@transcendence/shell";

import { chatTitle, countBadge, peerOf, preview, refreshDots, statusDot, timeOf } from "./parts.js";
import { Thread } from "./thread.js";

const SEARCH_DELAY_MS = 250;
let fieldIds = 0;

/** this.context.store: the tab's ChatStore (index.js adds the routes with it). */
export class ChatView extends View {
  get store() {
    return this.context.store;
  }

  title() {
    if (this.thread) return `${chatTitle(this.shell, this.thread.chat)} · ${this.t("chat.title")}`;
    return this.t("chat.title");
  }

  async render() {
    this.store.start();
    const openId = this.params.id ? Number(this.params.id) : null;
    const [page, thread] = await Promise.all([this.api.get("/api/chats/", { query: { limit: 50 } }), openId ? this.openThread(openId) : null]);
    this.chats = page.items;
    this.next = page.next;
    this.thread = thread;
    this.list = h("ul", { class: "list-unstyled mb-0 chat-list", id: "chat-list", "aria-labelledby": "chat-list-title" });
    this.drawList();
    this.wire();
    this.store.queryPresence(this.chats.flatMap((c) => (c.kind === "direct" ? c.members.map((m) => m.id) : [])));

    const main = thread
      ? h(
          "div",
          { class: "chat-main" },
          h("a", { class: "chat-back btn btn-sm btn-outline-light mb-2", href: "/chat", text: `← ${this.t("chat.back")}` }),
          thread.el,
        )
      : h("div", { class: "chat-main chat-main-empty" }, h("p", { class: "text-body-secondary mb-0", text: this.t("chat.pick") }));
    this.moreButton = h("button", {
      class: "btn btn-sm btn-link",
      type: "button",
      hidden: !this.next,
      text: this.t("chat.load_older"),
      onclick: () => this.moreChats(),
    });

    return h(
      "section",
      { class: ["chat-page", thread ? "chat-page-open" : ""], id: "chat-page" },
      this.header(this.t("chat.title"), this.t("chat.lead")),
      h(
        "div",
        { class: "chat-layout" },
        h(
          "aside",
          { class: "chat-sidebar" },
          h(
            "nav",
            { class: "card chat-list-card", "aria-labelledby": "chat-list-title" },
            h("div", { class: "card-header" }, h("h2", { class: "h6 mb-0", id: "chat-list-title", text: this.t("chat.conversations") })),
            this.list,
            this.moreButton,
          ),
          this.writeTool(),
          this.groupTool(),
          this.channelTool(),
        ),
        main,
      ),
    );
  }

  async openThread(id) {
    const chat = await this.api.get(`/api/chat/chats/${id}`);
    const thread = new Thread({ shell: this.shell, store: this.store, chat, onLeft: () => this.shell.navigate("/chat") });
    await thread.load();
    return thread;
  }

  mounted() {
    if (this.thread) {
      this.thread.scrollToEnd();
      this.thread.markRead();
    }
  }

  destroy() {
    if (this.thread) this.thread.destroy();
    super.destroy();
  }

  wire() {
    this.listen(this.store, "message", (e) => this.messageArrived(e.detail));
    this.listen(this.store, "updated", (e) => {
      const chat = this.chats.find((c) => c.id === e.detail.chat_id);
      if (chat?.last_message && chat.last_message.id === e.detail.id) {
        chat.last_message = e.detail;
        this.drawItem(chat);
      }
    });
    this.listen(this.store, "unread", () => {
      for (const chat of this.chats) {
        const count = this.store.unreadOf(chat.id);
        if (count !== chat.unread_count) {
          chat.unread_count = count;
          this.drawItem(chat);
        }
      }
    });
    this.listen(this.store, "members", (e) => this.refetch(e.detail.chat_id));
    this.listen(this.store, "presence", (e) => refreshDots(this.shell, this.store, this.list, e.detail.user_id));
    this.listen(this.store, "resync", () => this.reloadList());
  }

  // --- the list -----------------------------------------------------------------------

  drawList() {
    if (!this.chats.length) {
      this.list.replaceChildren(h("li", { class: "p-3 text-body-secondary small chat-empty", text: this.t("chat.no_chats") }));
      return;
    }
    this.list.replaceChildren(...this.chats.map((chat) => this.item(chat)));
  }

  drawItem(chat) {
    const old = this.list.querySelector(`[data-chat-id="${chat.id}"]`);
    if (old) old.replaceWith(this.item(chat));
  }

  item(chat) {
    const me = this.user;
    const peer = peerOf(chat, me);
    const open = this.thread && this.thread.chat.id === chat.id;
    const title = chatTitle(this.shell, chat);
    const icon = peer
      ? h("span", { class: "chat-avatar" }, h("img", { class: "avatar avatar-sm", src: peer.avatar_url, alt: "" }), statusDot(this.shell, this.store, peer))
      : h("span", { class: `chat-avatar chat-avatar-${chat.kind}`, "aria-hidden": "true", text: chat.kind === "channel" ? "#" : chat.kind === "system" ? "!" : "◎" });
    const unread = open ? 0 : chat.unread_count || 0;
    return h(
      "li",
      { class: ["chat-item", open ? "active" : "", unread ? "chat-item-unread" : ""], dataset: { chatId: String(chat.id), kind: chat.kind } },
      h(
        "a",
        { class: "chat-item-link", href: `/chat/${chat.id}`, "aria-current": open ? "page" : null },
        icon,
        h(
          "span",
          { class: "chat-item-body" },
          h(
            "span",
            { class: "chat-item-top" },
            h("span", { class: "chat-item-title", text: title }),
            h("span", { class: "chat-item-kind", text: this.t(`chat.kind.${chat.kind}`) }),
          ),
          h("span", { class: "chat-item-preview", text: preview(this.shell, chat, chat.last_message) }),
        ),
        h(
          "span",
          { class: "chat-item-side" },
          h("span", { class: "chat-item-time", text: chat.last_message ? timeOf(this.shell, chat.last_message.created_at) : "" }),
          countBadge(this.shell, unread),
        ),
      ),
    );
  }

  async messageArrived(message) {
    let chat = this.chats.find((c) => c.id === message.chat_id);
    if (!chat) {
      try {
        chat = await this.api.get(`/api/chat/chats/${message.chat_id}`);
      } catch {
        return;
      }
      if (this.chats.some((c) => c.id === chat.id)) return this.messageArrived(message);
      this.chats.unshift(chat);
      this.store.queryPresence(chat.kind === "direct" ? chat.members.map((m) => m.id) : []);
    } else {
      if (chat.last_message && chat.last_message.id > message.id) return;
      chat.last_message = message;
      chat.updated_at = message.created_at;
      this.chats = [chat, ...this.chats.filter((c) => c !== chat)];
    }
    chat.unread_count = this.store.unreadOf(chat.id);
    this.drawList();
  }

  async refetch(chatId) {
    let chat = null;
    try {
      chat = await this.api.get(`/api/chat/chats/${chatId}`);
    } catch {
      chat = null; // left or removed: no longer mine
    }
    const index = this.chats.findIndex((c) => c.id === chatId);
    if (chat && index >= 0) this.chats[index] = chat;
    else if (chat) this.chats.unshift(chat);
    else if (index >= 0) this.chats.splice(index, 1);
    this.drawList();
  }

  async reloadList() {
    try {
      const page = await this.api.get("/api/chats/", { query: { limit: 50 } });
      this.chats = page.items;
      this.next = page.next;
      this.moreButton.hidden = !this.next;
      this.drawList();
    } catch {
      /* the next event tries again */
    }
  }

  async moreChats() {
    if (!this.next) return;
    const page = await this.api.get("/api/chats/", { query: { limit: 50, cursor: this.next } });
    const known = new Set(this.chats.map((c) => c.id));
    this.chats.push(...page.items.filter((c) => !known.has(c.id)));
    this.next = page.next;
    this.moreButton.hidden = !this.next;
    this.drawList();
  }

  // --- tools --------------------------------------------------------------------------

  tool(id, title, ...body) {
    return h(
      "details",
      { class: "card chat-tool", id },
      h("summary", { class: "card-header", text: title }),
      h("div", { class: "card-body" }, body),
    );
  }

  errorLine() {
    const el = h("p", { class: "small text-danger mb-2 chat-tool-error", role: "alert", hidden: true });
    return {
      el,
      show: (text) => {
        el.textContent = text;
        el.hidden = false;
      },
      clear: () => {
        el.textContent = "";
        el.hidden = true;
      },
    };
  }

  /** A name search: `actions(user)` gives the buttons of each result. */
  search(label, actions) {
    fieldIds += 1;
    const id = `chat-search-${fieldIds}`;
    const results = h("div", { class: "chat-search-results", "aria-live": "polite" });
    const input = h("input", {
      class: "form-control form-control-sm",
      id,
      type: "search",
      autocomplete: "off",
      spellcheck: "false",
      maxlength: "32",
      placeholder: this.t("chat.search_placeholder"),
    });
    let timer = null;
    let last = "";
    const run = async () => {
      const q = input.value.trim();
      last = q;
      if (!q) return results.replaceChildren();
      let page;
      try {
        page = await this.api.get("/api/users/", { query: { q, limit: 8 } });
      } catch (error) {
        return results.replaceChildren(h("p", { class: "small text-danger mb-0", text: this.shell.errorMessage(error) }));
      }
      if (q !== last) return;
      const people = page.items.filter((u) => !this.user || u.id !== this.user.id);
      if (!people.length) return results.replaceChildren(h("p", { class: "small text-body-secondary mb-0", text: this.t("chat.no_results", { q }) }));
      results.replaceChildren(
        h(
          "ul",
          { class: "list-unstyled mb-0 chat-people", "aria-label": this.t("chat.results") },
          people.map((u) =>
            h(
              "li",
              { class: "chat-person-row", dataset: { userId: String(u.id) } },
              h("img", { class: "avatar avatar-xs", src: u.avatar_url, alt: "" }),
              h(
                "span",
                { class: "min-w-0 flex-grow-1" },
                h("a", { class: "chat-person d-block text-truncate", href: `/users/${u.id}`, text: u.display_name }),
                h("span", { class: "small text-body-secondary", text: `@${u.username}` }),
              ),
              actions(u),
            ),
          ),
        ),
      );
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, SEARCH_DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        clearTimeout(timer);
        run();
      }
    });
    this.cleanups.push(() => clearTimeout(timer));
    return h("div", { class: "mb-2" }, h("label", { class: "form-label small", htmlFor: id, text: label }), input, results);
  }

  writeTool() {
    const error = this.errorLine();
    const search = this.search(this.t("chat.search_label"), (u) =>
      h("button", {
        class: "btn btn-sm btn-primary",
        type: "button",
        text: this.t("chat.write"),
        "aria-label": this.t("chat.write_named", { name: u.display_name }),
        onclick: async () => {
          error.clear();
          try {
            const chat = await this.api.post("/api/chats/create_private/", { user_id: u.id });
            this.shell.navigate(`/chat/${chat.id}`);
          } catch (e) {
            error.show(this.store.errorMessage(e));
          }
        },
      }),
    );
    return this.tool("chat-write", this.t("chat.write_title"), h("p", { class: "small text-body-secondary", text: this.t("chat.search_hint") }), error.el, search);
  }

  groupTool() {
    const error = this.errorLine();
    const chosen = new Map();
    const titleId = "chat-group-title";
    const friendsId = "chat-group-friends";
    const title = h("input", { class: "form-control form-control-sm", id: titleId, name: "title", maxlength: "64", autocomplete: "off" });
    const allFriends = h("input", { class: "form-check-input", type: "checkbox", id: friendsId });
    const chips = h("ul", { class: "list-unstyled d-flex flex-wrap gap-1 mb-2 chat-chips", "aria-label": this.t("chat.group_members") });
    const drawChips = () => {
      if (!chosen.size) {
        chips.replaceChildren(h("li", { class: "small text-body-secondary", text: this.t("chat.group_none") }));
        return;
      }
      chips.replaceChildren(
        ...[...chosen.values()].map((u) =>
          h(
            "li",
            { class: "badge text-bg-secondary chat-chip" },
            u.display_name,
            h("button", {
              class: "btn-close btn-close-white ms-1",
              type: "button",
              "aria-label": this.t("chat.remove_named", { name: u.display_name }),
              onclick: () => {
                chosen.delete(u.id);
                drawChips();
              },
            }),
          ),
        ),
      );
    };
    drawChips();
    const search = this.search(this.t("chat.group_add_label"), (u) =>
      h("button", {
        class: "btn btn-sm btn-outline-light",
        type: "button",
        text: "+",
        "aria-label": this.t("chat.add_named", { name: u.display_name }),
        onclick: () => {
          chosen.set(u.id, u);
          drawChips();
        },
      }),
    );
    const form = h(
      "form",
      {
        onsubmit: async (event) => {
          event.preventDefault();
          error.clear();
          if (!title.value.trim()) {
            error.show(this.t("chat.error.title_required"));
            return title.focus();
          }
          if (!chosen.size && !allFriends.checked) return error.show(this.t("chat.error.choose_members"));
          try {
            const chat = await this.api.post("/api/chats/create_group/", {
              title: title.value,
              user_ids: [...chosen.keys()],
              all_friends: allFriends.checked,
            });
            this.shell.navigate(`/chat/${chat.id}`);
          } catch (e) {
            error.show(this.store.errorMessage(e));
          }
        },
      },
      h("div", { class: "mb-2" }, h("label", { class: "form-label small", htmlFor: titleId, text: this.t("chat.group_name") }), title),
      h("p", { class: "form-label small mb-1", text: this.t("chat.group_members") }),
      chips,
      search,
      h("div", { class: "form-check mb-2" }, allFriends, h("label", { class: "form-check-label small", htmlFor: friendsId, text: this.t("chat.group_all_friends") })),
      error.el,
      h("button", { class: "btn btn-sm btn-primary", type: "submit", text: this.t("chat.group_create") }),
    );
    return this.tool("chat-group", this.t("chat.group_title"), form);
  }

  channelTool() {
    const error = this.errorLine();
    const nameId = "chat-channel-name";
    const name = h("input", {
      class: "form-control form-control-sm",
      id: nameId,
      name: "name",
      maxlength: "32",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": `${nameId}-help`,
    });
    const listed = h("ul", { class: "list-unstyled mb-0 small chat-channels", "aria-label": this.t("chat.channel_list") });
    const open = (chat) => this.shell.navigate(`/chat/${chat.id}`);
    const join = async (channel) => {
      error.clear();
      try {
        open(await this.api.post("/api/chat/channels/join", { name: channel }));
      } catch (e) {
        if (e.code === "not_found") error.show(this.t("chat.error.no_channel", { name: channel }));
        else error.show(this.store.errorMessage(e));
      }
    };
    const create = async () => {
      error.clear();
      try {
        open(await this.api.post("/api/chat/channels/", { name: name.value.trim() }));
      } catch (e) {
        error.show(this.store.errorMessage(e));
      }
    };
    const tool = this.tool(
      "chat-channels",
      this.t("chat.channel_title"),
      h(
        "form",
        {
          class: "mb-2",
          onsubmit: (event) => {
            event.preventDefault();
            if (name.value.trim()) join(name.value.trim());
          },
        },
        h("label", { class: "form-label small", htmlFor: nameId, text: this.t("chat.channel_name") }),
        h("div", { class: "input-group input-group-sm" }, name, h("button", { class: "btn btn-primary", type: "submit", text: this.t("chat.channel_join") }), h("button", { class: "btn btn-outline-light", type: "button", text: this.t("chat.channel_create"), onclick: () => name.value.trim() && create() })),
        h("div", { class: "form-text", id: `${nameId}-help`, text: this.t("chat.channel_hint") }),
      ),
      error.el,
      h("p", { class: "small mb-1 fw-semibold", text: this.t("chat.channel_list") }),
      listed,
    );
    // The public channels, read when the tool is opened.
    tool.addEventListener("toggle", async () => {
      if (!tool.open) return;
      let page;
      try {
        page = await this.api.get("/api/chat/channels/", { query: { limit: 20 } });
      } catch (e) {
        return error.show(this.store.errorMessage(e));
      }
      if (!page.items.length) return listed.replaceChildren(h("li", { class: "text-body-secondary", text: this.t("chat.channel_none") }));
      listed.replaceChildren(
        ...page.items.map((c) =>
          h(
            "li",
            { class: "d-flex justify-content-between align-items-center gap-2 py-1" },
            h("span", { class: "text-truncate", text: `#${c.name} · ${this.t("chat.members", { count: c.member_count })}` }),
            c.joined
              ? h("a", { class: "btn btn-sm btn-outline-light", href: `/chat/${c.id}`, text: this.t("chat.channel_joined") })
              : h("button", { class: "btn btn-sm btn-outline-light", type: "button", text: this.t("chat.channel_join"), "aria-label": `${this.t("chat.channel_join")} #${c.name}`, onclick: () => join(c.name) }),
          ),
        ),
      );
    });
    return tool;
  }
}
