// How a notification ({id, kind, data, created_at, read_at}) reads and where it leads.
//
// The core knows the friend kinds; any module's kind reads from the translation
// "notify.kind.<kind>" (a module adds it to its strings, i18n/<lang>.json) with `data` as its
// placeholders, and leads to `data.href` when that is a path inside the app.

import { safeNext } from "./router.js";

/** The user a notification is about: `data.from` / `data.user` as an id or a summary. */
export function actorOf(notification) {
  const data = notification.data || {};
  const actor = data.from ?? data.user ?? data.by ?? null;
  if (actor && typeof actor === "object") return { id: actor.id, name: actor.display_name || actor.username };
  if (typeof actor === "number" || (typeof actor === "string" && /^\d+$/.test(actor))) {
    return { id: Number(actor), name: data.from_name || data.display_name || null };
  }
  return null;
}

export function describeNotification(shell, notification, name = null) {
  const kind = String(notification.kind || "");
  const data = notification.data || {};
  const actor = actorOf(notification);
  const who = name || actor?.name || shell.t("notify.someone");
  const known = {
    "friend.request": ["notify.friend_request_title", "notify.friend_request"],
    "friend.accepted": ["notify.friend_accepted_title", "notify.friend_accepted"],
  }[kind];
  if (known) return { title: shell.t(known[0]), body: shell.t(known[1], { name: who }) };
  const key = `notify.kind.${kind}`;
  if (shell.i18n.has(key)) {
    return { title: shell.t("notify.generic_title"), body: shell.t(key, { ...data, name: who }) };
  }
  const text = typeof data.message === "string" ? data.message : typeof data.text === "string" ? data.text : kind.replace(/[._]/g, " ");
  return { title: shell.t("notify.generic_title"), body: text };
}

export function notificationHref(notification) {
  const kind = String(notification.kind || "");
  const data = notification.data || {};
  if (typeof data.href === "string" && safeNext(data.href, null)) return data.href;
  if (kind.startsWith("friend.")) return "/friends";
  const actor = actorOf(notification);
  if (actor?.id) return `/users/${actor.id}`;
  return null;
}
