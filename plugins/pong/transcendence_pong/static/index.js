// The pong module's browser entry: the /play lobby and the /play/games/:id game view.
// URL contract (other modules rely on it): /play/games/<id>?next=<same-site path> shows a
// "Continue" button to `next` when the game ends.

import { h, View } from "@transcendence/shell";

import { mountGame } from "./game.js";
import { LobbyView } from "./lobby.js";

export { mountGame };

export class GameView extends View {
  title() {
    return this.t("pong.game_title");
  }

  async render() {
    const holder = h("div", { class: "pong-holder" });
    const section = h("section", { class: "pong-page" }, h("h1", { class: "h4 mb-3", text: this.t("pong.game_title") }), holder);
    const game = mountGame(this.shell, holder, { matchId: this.params.id, next: this.query.get("next") });
    // Leaving while playing is never silent: in-app navigation asks, closing the tab gets
    // the browser's own prompt.
    const guard = () => !game.playing() || window.confirm(this.shell.t("pong.leave_view_confirm"));
    this.shell.router.leaveGuard = guard;
    const beforeUnload = (event) => {
      if (game.playing()) event.preventDefault();
    };
    window.addEventListener("beforeunload", beforeUnload);
    this.cleanups.push(() => {
      if (this.shell.router.leaveGuard === guard) this.shell.router.leaveGuard = null;
      window.removeEventListener("beforeunload", beforeUnload);
      if (game.playing()) awayFrom(this.shell, this.params.id, game.side);
      game.destroy();
    });
    return section;
  }
}

export function unregister() {
  dropBanner();
}

export async function register(shell) {
  await shell.loadStrings();
  shell.addStylesheet("pong.css");

  // Paired by the queue, an accepted invitation or rematch: every tab of both players goes
  // to the game, which the server holds until both are in (the lobby enters it itself).
  shell.onRealtime("pong.matched", (data) => {
    if (!data?.game_id) return;
    dropChallengeToast(); // its game starts: "Challenge sent" is old news
    const path = `/play/games/${encodeURIComponent(data.game_id)}`;
    if (location.pathname === path || location.pathname === "/play") return;
    shell.navigate(path);
    shell.toast({
      title: shell.t("pong.matched_title"),
      body: shell.t("pong.matched_body", { name: data.opponent?.display_name || "?" }),
      href: `/play/games/${encodeURIComponent(data.game_id)}`,
    });
  });

  // A game that counted for no one (a no-show, or abandoned before any point): every tab.
  shell.onRealtime("pong.cancelled", (data) => {
    dropChallengeToast();
    if (!data?.game_id || location.pathname === `/play/games/${encodeURIComponent(data.game_id)}`) return;
    shell.toast({
      title: shell.t("pong.cancelled_title"),
      body: shell.t(data.reason === "no_show" ? "pong.cancelled_nobody" : "pong.cancelled_abandoned"),
      kind: "warning",
    });
  });
  // A direct challenge (from a profile, the chat or `transcendence play --invite`): its
  // notification pops up with Accept and Decline.
  shell.addNotificationToast("pong.invite", ({ data = {} }) => ({
    title: shell.t(data.rematch_of ? "pong.rematch_title" : "pong.invite_title"),
    body: shell.t(data.rematch_of ? "pong.rematch_body" : "pong.invite_body", {
      name: data.from?.display_name || "?",
    }),
    delay: 60_000,
    actions: [
      { label: shell.t("pong.accept"), style: "success", run: () => answer(shell, data.invite_id, true) },
      { label: shell.t("pong.decline"), style: "outline-light", run: () => answer(shell, data.invite_id, false) },
    ],
  }));
  shell.addProfileSection((profile) => challengeButton(shell, profile));

  shell.addRoute("/play", LobbyView);
  shell.addRoute("/play/games/:id", GameView);
  shell.addNav({ href: "/play", label: "pong.nav", order: 10 });
}

// The game a player left while it runs: every page shows "Game in progress — Resume (N s)"
// while the server holds it paused for them (the socket still follows its snapshots).
let away = null;

function awayFrom(shell, gameId, side) {
  dropBanner();
  const link = h("a", { class: "btn btn-warning btn-sm", href: `/play/games/${encodeURIComponent(gameId)}`, "data-testid": "pong-resume" });
  const banner = h(
    "div",
    { class: "pong-banner alert alert-warning d-flex align-items-center gap-2", role: "status", "data-testid": "pong-banner", hidden: true },
    h("span", { text: shell.t("pong.banner") }),
    link,
  );
  document.body.append(banner);
  const stop = shell.realtime.on("pong.state", (state) => {
    if (!state || String(state.game_id) !== String(gameId)) return;
    if (state.phase === "finished" || state.cancelled || state.interrupted) return dropBanner();
    const paused = state.paused && state.paused.side === side;
    banner.hidden = !paused || location.pathname === link.getAttribute("href");
    if (paused) link.textContent = shell.t("pong.resume_seconds", { seconds: Math.max(0, Math.ceil(state.paused.seconds_left)) });
  });
  const onNavigated = () => {
    if (location.pathname === link.getAttribute("href")) dropBanner();
  };
  shell.addEventListener("navigated", onNavigated);
  away = () => {
    stop();
    shell.removeEventListener("navigated", onNavigated);
    banner.remove();
  };
}

function dropBanner() {
  if (away) away();
  away = null;
}

/** Accept (then go to the game) or decline a challenge; a refusal says why. */
async function answer(shell, inviteId, accept) {
  try {
    const reply = await shell.realtime.request("pong.answer", { invite_id: inviteId, accept });
    if (accept && reply.game_id) shell.navigate(`/play/games/${encodeURIComponent(reply.game_id)}`);
  } catch (error) {
    shell.toast({ title: shell.t("errors.title"), body: shell.errorMessage(error), kind: "danger" });
    throw error;
  }
}

// The "Challenge sent" toast of this tab: closed when the game it announced starts or is
// called off, so it never sits on screen through (or after) that game.
let challengeToast = null;

function dropChallengeToast() {
  const el = challengeToast;
  challengeToast = null;
  if (!el?.isConnected) return;
  const toast = window.bootstrap?.Toast?.getInstance(el);
  if (toast) toast.hide();
  else el.remove();
}

/** On someone else's profile: challenge them to a classic game. */
function challengeButton(shell, profile) {
  return shell.profileAction(profile, {
    id: "pong-challenge-button",
    className: "pong-profile-section",
    style: "outline-light",
    // Who is challenged, in the words shown too (a screen reader's name holds what is seen).
    label: shell.t("pong.challenge_named", { name: profile.display_name }),
    run: async () => {
      await shell.realtime.request("pong.invite", { user_id: profile.id, options: {} });
      dropChallengeToast();
      challengeToast = shell.toast({
        title: shell.t("pong.challenge_sent"),
        body: shell.t("pong.challenge_sent_body", { name: profile.display_name }),
        kind: "success",
      });
    },
  });
}
