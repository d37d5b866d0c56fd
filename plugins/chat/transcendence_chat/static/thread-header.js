// A conversation's header (see thread.js): its title, members and actions (invite to a
// game, block or unblock, leave).

import { chatTitle, personLink, statusDot } from "./parts.js";

export function header(thread) {
  const h = thread.h;
  const chat = thread.chat;
  const peer = thread.peer;
  const id = `chat-thread-title-${chat.id}${thread.compact ? "-popup" : ""}`;
  const title = peer
    ? h("h2", { class: "h5 mb-0 chat-thread-title", id }, statusDot(thread.shell, thread.store, peer), " ", personLink(thread.shell, peer))
    : h("h2", { class: "h5 mb-0 chat-thread-title", id, text: chatTitle(thread.shell, chat) });
  const sub = [];
  if (chat.kind === "direct" && peer) sub.push(h("span", { class: "small text-body-secondary", text: `@${peer.username}` }));
  if (chat.kind === "group" || chat.kind === "channel") {
    sub.push(h("span", { class: "small text-body-secondary", text: thread.t("chat.members", { count: chat.member_count }) }));
  }
  const head = h(
    "header",
    { class: "chat-thread-header" },
    h("div", { class: "min-w-0" }, title, sub),
    h("div", { class: "chat-actions d-flex flex-wrap gap-2" }, actions(thread)),
  );
  if (chat.kind === "group" && !thread.compact) {
    return h("div", {}, head, memberList(thread));
  }
  return head;
}

function memberList(thread) {
  const h = thread.h;
  return h(
    "ul",
    { class: "chat-members list-inline small mb-0", "aria-label": thread.t("chat.members_list") },
    (thread.chat.members || []).map((m) =>
      h(
        "li",
        { class: "list-inline-item" },
        statusDot(thread.shell, thread.store, m),
        " ",
        personLink(thread.shell, m),
        m.role === "owner" ? h("span", { class: "text-body-secondary", text: ` (${thread.t("chat.owner")})` }) : null,
      ),
    ),
  );
}

function actions(thread) {
  const chat = thread.chat;
  const peer = thread.peer;
  const rel = thread.relationship || {};
  const out = [];
  if (chat.kind === "direct" && peer) {
    if (thread.store.pongEnabled() && !rel.blocked && !rel.blocked_by) {
      out.push(
        // Whom, in the words shown too (a screen reader's name holds what is seen).
        thread.button(thread.t("chat.invite_named", { name: peer.display_name }), "btn-primary", () => invite(thread), {
          dataset: { action: "invite" },
        }),
      );
    }
    if (rel.blocked) {
      out.push(
        thread.button(thread.t("chat.unblock"), "btn-outline-warning", () => setBlocked(thread, false), {
          "aria-label": thread.t("chat.unblock_named", { name: peer.display_name }),
          dataset: { action: "unblock" },
        }),
      );
    } else {
      out.push(
        thread.button(thread.t("chat.block"), "btn-outline-danger", () => setBlocked(thread, true), {
          "aria-label": thread.t("chat.block_named", { name: peer.display_name }),
          dataset: { action: "block" },
        }),
      );
    }
  }
  if (chat.kind === "group" || chat.kind === "channel") {
    const name = chatTitle(thread.shell, chat);
    out.push(
      thread.button(thread.t("chat.leave"), "btn-outline-light", () => leave(thread), {
        "aria-label": thread.t("chat.leave_named", { name }),
        dataset: { action: "leave" },
      }),
    );
  }
  return out;
}

async function invite(thread) {
  const answer = await thread.shell.api.post(`/api/chat/chats/${thread.chat.id}/invite`, { game: "pong", options: {} });
  if (answer?.message) thread.add(answer.message);
}

async function setBlocked(thread, block) {
  const peer = thread.peer;
  if (!peer) return;
  if (block) {
    // The shell's sentence, as on profiles: one place says exactly what blocking does.
    if (!window.confirm(thread.t("profile.block_confirm", { name: peer.display_name }))) return;
    await thread.shell.api.post("/api/blocks/", { user_id: peer.id });
  } else {
    await thread.shell.api.delete(`/api/blocks/${peer.id}`);
  }
  await thread.reload();
  thread.store.loadUnread();
  thread.el.querySelector(`[data-action="${block ? "unblock" : "block"}"]`)?.focus();
}

async function leave(thread) {
  const name = chatTitle(thread.shell, thread.chat);
  if (!window.confirm(thread.t("chat.leave_confirm", { name }))) return;
  await thread.shell.api.post(`/api/chat/chats/${thread.chat.id}/leave`, {});
  thread.store.loadUnread();
  if (thread.onLeft) thread.onLeft(thread.chat);
}
