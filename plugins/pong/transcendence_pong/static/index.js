// The pong module's browser entry: the /play lobby and the /play/games/:id game view.
// URL contract (other modules rely on it): /play/games/<id>?next=<same-site path> shows a
// "Continue" button to `next` when the game ends.

import { mountGame } from "./game.js";
import { STRINGS } from "./i18n.js";
import { lobbyView } from "./lobby.js";

export { mountGame };

let stopMatched = null;

export function unregister() {
  if (stopMatched) stopMatched();
  stopMatched = null;
}

export function register(shell) {
  unregister();
  for (const [lang, entries] of Object.entries(STRINGS)) shell.addTranslations(lang, entries);
  shell.addStylesheet("pong.css");
  const { View, h } = shell;

  class GameView extends View {
    title() {
      return this.t("pong.game_title");
    }

    async render() {
      const holder = h("div", { class: "pong-holder" });
      const section = h("section", { class: "pong-page" }, h("h1", { class: "h4 mb-3", text: this.t("pong.game_title") }), holder);
      const game = mountGame(shell, holder, { matchId: this.params.id, next: this.query.get("next") });
      this.cleanups.push(() => game.destroy());
      return section;
    }
  }

  // Paired by the queue or an accepted invitation while on another page: say where the
  // game is (the lobby and the chat take the player there themselves).
  stopMatched = shell.realtime.on("pong.matched", (data) => {
    if (!data || !data.game_id || location.pathname.startsWith("/play")) return;
    shell.toast({
      title: shell.t("pong.matched_title"),
      body: shell.t("pong.matched_body", { name: (data.opponent && data.opponent.display_name) || "?" }),
      href: `/play/games/${encodeURIComponent(data.game_id)}`,
    });
  });

  shell.addRoute("/play", lobbyView(shell));
  shell.addRoute("/play/games/:id", GameView);
  shell.addNav({ href: "/play", label: "pong.nav", order: 10 });
}
