// A conversation's composer (see thread.js): the text box, its counter, "typing…" and
// sending.

import { MAX_TEXT } from "./parts.js";

const TYPING_EVERY_MS = 3000;

export function composer(thread) {
  const h = thread.h;
  const chat = thread.chat;
  const rel = thread.relationship || {};
  const peer = thread.peer;
  if (chat.kind === "system") {
    return h("p", { class: "chat-readonly small text-body-secondary mb-0", text: thread.t("chat.read_only") });
  }
  const notes = [];
  if (peer && rel.blocked) notes.push(thread.t("chat.you_block", { name: peer.display_name }));
  else if (peer && rel.blocked_by) notes.push(thread.t("chat.blocks_you", { name: peer.display_name }));
  const id = `chat-text-${chat.id}${thread.compact ? "-popup" : ""}`;
  thread.input = h("textarea", {
    class: "form-control chat-input",
    id,
    name: "text",
    rows: thread.compact ? "1" : "2",
    maxlength: String(MAX_TEXT),
    placeholder: thread.t(thread.compact ? "chat.placeholder_short" : "chat.placeholder"),
    autocomplete: "off",
  });
  thread.counter = h("span", { class: "chat-counter small text-body-secondary", "aria-live": "off" });
  thread.input.addEventListener("input", () => {
    updateCounter(thread);
    sendTyping(thread);
  });
  thread.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(thread);
    }
  });
  updateCounter(thread);
  return h(
    "form",
    {
      class: "chat-composer",
      onsubmit: (event) => {
        event.preventDefault();
        send(thread);
      },
    },
    notes.map((text) => h("p", { class: "small text-warning mb-1 chat-block-note", text })),
    h("label", { class: "visually-hidden", htmlFor: id, text: thread.t("chat.message_label") }),
    h(
      "div",
      { class: "d-flex gap-2 align-items-end" },
      thread.input,
      h("button", { class: "btn btn-primary chat-send", type: "submit", text: thread.t("chat.send") }),
    ),
    thread.compact ? null : h("div", { class: "text-end" }, thread.counter),
  );
}

export function updateCounter(thread) {
  if (!thread.counter || !thread.input) return;
  const count = [...thread.input.value].length;
  thread.counter.textContent = thread.t("chat.counter", { count, max: MAX_TEXT });
  thread.counter.classList.toggle("text-danger", count > MAX_TEXT);
}

function sendTyping(thread) {
  const now = Date.now();
  if (now - thread.lastTypingSent < TYPING_EVERY_MS || thread.shell.realtime.state !== "online") return;
  thread.lastTypingSent = now;
  thread.shell.realtime.send("chat.typing", { chat_id: thread.chat.id });
}

async function send(thread) {
  if (!thread.input) return;
  const text = thread.input.value;
  thread.clearError();
  if (!text.trim()) {
    thread.showError(thread.t("chat.error.empty"));
    thread.input.focus();
    return;
  }
  const count = [...text].length;
  if (count > MAX_TEXT) {
    thread.showError(thread.t("chat.error.too_long", { max: MAX_TEXT, count }));
    thread.input.focus();
    return;
  }
  const clientId = thread.store.clientId();
  try {
    const message = await thread.shell.api.post("/api/messages/", { chat: thread.chat.id, text, client_id: clientId });
    if (thread.input.value === text) thread.input.value = "";
    updateCounter(thread);
    thread.add(message);
  } catch (error) {
    thread.showError(error);
  }
  thread.input.focus();
}
