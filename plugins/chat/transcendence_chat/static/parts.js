// Small pieces shared by the chat view and the pop-up. Every user string goes through h()
// (text nodes), never through HTML.

import { h } from "@transcendence/shell";

export const MAX_TEXT = 2000;

/** The other people of a chat (everyone but me). */
export function others(chat, me) {
  return (chat.members || []).filter((m) => !me || m.id !== me.id);
}

/** For a direct chat: the other person (or null). */
export function peerOf(chat, me) {
  return chat.kind === "direct" ? others(chat, me)[0] || null : null;
}

export function chatTitle(shell, chat) {
  if (chat.kind === "system") return shell.t("chat.notices");
  if (chat.kind === "channel") return `#${chat.name || chat.title}`;
  if (chat.kind === "direct" && !peerOf(chat, shell.user)) return shell.t("chat.deleted");
  return chat.title;
}

/** A status dot with its words for screen readers; `data-status` says which. */
export function statusDot(shell, store, user) {
  const status = store.statusOf(user.id);
  return h(
    "span",
    { class: `chat-status chat-status-${status}`, dataset: { statusOf: String(user.id), status } },
    h("span", { class: "chat-status-dot", "aria-hidden": "true" }),
    h("span", { class: "visually-hidden", text: shell.t(`presence.${status}`) }),
  );
}

/** Redraw every status dot of `root` for one user. */
export function refreshDots(shell, store, root, userId) {
  for (const dot of root.querySelectorAll(`[data-status-of="${Number(userId)}"]`)) {
    dot.replaceWith(statusDot(shell, store, { id: userId }));
  }
}

/** A name that links to the person's profile. */
export function personLink(shell, user, cls = "") {
  if (!user) return h("span", { class: `text-body-secondary ${cls}`, text: shell.t("chat.deleted") });
  return h("a", { class: `chat-person ${cls}`, href: `/users/${user.id}`, text: user.display_name, title: `@${user.username}` });
}

export function timeOf(shell, iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date().toDateString() === date.toDateString();
  const options = today ? { timeStyle: "short" } : { dateStyle: "short", timeStyle: "short" };
  return new Intl.DateTimeFormat(shell.i18n.lang, options).format(date);
}

/** One line about a message, for lists: "You: hi", "Ann invites Bob to play Pong." */
export function preview(shell, chat, message) {
  if (!message) return "";
  if (message.kind === "invite") return inviteText(shell, chat, message);
  const me = shell.user;
  const text = String(message.text || "").replace(/\s+/g, " ");
  if (message.kind === "notice" || !message.sender) return text;
  if (me && message.sender_id === me.id) return `${shell.t("chat.you")}: ${text}`;
  if (chat.kind === "direct") return text;
  return `${message.sender.display_name}: ${text}`;
}

function nameIn(shell, chat, id) {
  const me = shell.user;
  if (me && id === me.id) return me.display_name;
  const found = (chat.members || []).find((m) => m.id === id);
  return found ? found.display_name : shell.t("chat.deleted");
}

export function inviteText(shell, chat, message) {
  const d = message.data || {};
  return shell.t("chat.invite_text", { name: nameIn(shell, chat, d.from), other: nameIn(shell, chat, d.to) });
}

/** A small count badge (hidden at zero), with words for screen readers. */
export function countBadge(shell, count, cls = "") {
  return h(
    "span",
    { class: `badge rounded-pill text-bg-danger chat-badge ${cls}`, hidden: !count, dataset: { count: String(count) } },
    h("span", { "aria-hidden": "true", text: count > 99 ? "99+" : String(count) }),
    h("span", { class: "visually-hidden", text: shell.t("chat.unread", { count }) }),
  );
}
