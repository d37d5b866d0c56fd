// The chat module's browser entry (see docs/chat.md, "Browser"): the /chat view, the chat
// pop-up on every other page, and a "Message" button on other people's profiles.

import { ChatDock } from "./popup.js";
import { ChatStore } from "./store.js";
import { ChatView } from "./view.js";

let store = null;
let dock = null;

export async function register(shell) {
  await shell.loadStrings();
  shell.addStylesheet("chat.css");

  store = new ChatStore(shell);
  const mine = store;
  shell.addRoute("/chat", ChatView, { context: { store: mine } });
  shell.addRoute("/chat/:id(\\d+)", ChatView, { context: { store: mine } });
  shell.addNav({ href: "/chat", label: "chat.nav", order: 20 });

  shell.addProfileSection((profile) => messageButton(shell, profile));

  // The unread counts follow the session: start with it, forget them at logout (the
  // registrar removes this listener when the module is switched off).
  shell.onSession(({ user }) => (user ? mine.start() : mine.stop()));
  if (shell.user) mine.start();

  dock = new ChatDock(shell, mine);
  dock.mount();
}

export function unregister() {
  if (dock) dock.unmount();
  if (store) store.stop();
  document.body.classList.remove("chat-dock-shown");
  dock = null;
  store = null;
}

/** On someone else's profile: open (or create) our direct chat. */
function messageButton(shell, profile) {
  return shell.profileAction(profile, {
    id: "chat-message-button",
    className: "chat-profile-section",
    label: shell.t("chat.message_button"),
    ariaLabel: shell.t("chat.message_named", { name: profile.display_name }),
    run: async () => {
      const chat = await shell.api.post("/api/chats/create_private/", { user_id: profile.id });
      shell.navigate(`/chat/${chat.id}`);
    },
    errorMessage: (e) => (store ? store.errorMessage(e) : shell.errorMessage(e)),
  });
}
