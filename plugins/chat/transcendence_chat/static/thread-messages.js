// One message of a conversation's log (see thread.js), and the game invitation card with
// its answer.

import { inviteText, noticeText, personLink, timeOf } from "./parts.js";

export function messageItem(thread, message) {
  const h = thread.h;
  thread.ids.add(message.id);
  const mine = thread.me && message.sender_id === thread.me.id;
  const time = h("time", { class: "chat-time", datetime: message.created_at, text: timeOf(thread.shell, message.created_at) });
  let body;
  if (message.kind === "invite") body = inviteBody(thread, message);
  else body = h("p", { class: "chat-text mb-0", text: message.kind === "notice" ? noticeText(thread.shell, message) : message.text });
  const who =
    message.kind === "notice" || !message.sender
      ? h("span", { class: "chat-sender text-body-secondary", text: thread.t("chat.notices") })
      : personLink(thread.shell, message.sender, "chat-sender");
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

function inviteBody(thread, message) {
  const h = thread.h;
  const d = message.data || {};
  const me = thread.me;
  const parts = [h("p", { class: "mb-1 chat-invite-text", text: inviteText(thread.shell, thread.chat, message) })];
  const status = d.status || "pending";
  if (status === "pending" && me && d.to === me.id) {
    const from = message.sender ? message.sender.display_name : "";
    parts.push(
      h(
        "div",
        { class: "d-flex gap-2" },
        thread.button(thread.t("chat.accept"), "btn-success", () => answer(thread, d, true), {
          "aria-label": thread.t("chat.accept_named", { name: from }),
          dataset: { action: "accept" },
        }),
        thread.button(thread.t("chat.decline"), "btn-outline-light", () => answer(thread, d, false), {
          "aria-label": thread.t("chat.decline_named", { name: from }),
          dataset: { action: "decline" },
        }),
      ),
    );
  } else {
    const key = { pending: "chat.invite_pending", accepted: "chat.invite_accepted", declined: "chat.invite_declined" }[status] || "chat.invite_expired";
    const note = h("p", { class: "small mb-0 chat-invite-status", dataset: { status }, text: thread.t(key) });
    parts.push(note);
    if (status === "accepted" && d.game_id && thread.store.isPong(d)) {
      const link = h("a", { class: "btn btn-sm btn-outline-info mt-1", href: `/play/games/${encodeURIComponent(d.game_id)}`, text: thread.t("chat.open_game") });
      parts.push(link);
      showGameOutcome(thread, d.game_id, note, link);
    }
  }
  return h("div", { class: "chat-invite", dataset: { inviteId: String(d.invite_id), status } }, parts);
}

/** An accepted invitation's game may be long over: say so instead of "the game is on". */
async function showGameOutcome(thread, gameId, note, link) {
  if (!thread.store.pongEnabled()) return;
  const status = await thread.store.gameStatus(gameId);
  if (!status || status === "running") return;
  note.dataset.game = status;
  if (status === "finished") {
    note.textContent = thread.t("chat.invite_played");
    link.textContent = thread.t("chat.see_result");
  } else {
    note.textContent = thread.t("chat.invite_called_off");
    link.remove();
  }
}

/** Answer an invitation (its message's `data`), for the game it names. */
async function answer(thread, invitation, accept) {
  const path = `/api/chat/chats/${thread.chat.id}/invites/${invitation.invite_id}/answer`;
  const answer = await thread.shell.api.post(path, { game: invitation.game || "pong", accept });
  if (answer.message) thread.replaceMessage(answer.message);
  if (accept && answer.game_id && thread.store.isPong(invitation)) thread.store.goToGame(answer.game_id);
}
