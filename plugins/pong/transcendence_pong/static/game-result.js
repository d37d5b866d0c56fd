// The end of a game (see game.js): the result panel over the field, and the rematch.

import { otherSide } from "./constants.js";
import { nameOf, setStatus } from "./game-hud.js";

export function showResult(game, { winner, scores, forfeit, interrupted = false, cancelled = null }) {
  if (game.finished && game.result.childElementCount) return;
  game.finished = true;
  game.endedAt = game.last?.server_time ? game.last.server_time * 1000 : 0;
  game.root.dataset.phase = "finished";
  // Whatever the field last said ("Get ready…", "Reconnecting…") is over.
  game.overlay.textContent = "";
  game.overlay.dataset.kind = "";
  setStatus(game, null, "");
  if (game.stopKeys) {
    game.stopKeys();
    game.stopKeys = null;
  }
  for (const release of game.touchReleases || []) release();
  game.touch.hidden = true;
  game.leaveButton.hidden = true;
  game.leaveConfirm.hidden = true;
  const h = game.h;
  const mine = game.role !== "spectator" && game.role !== "local" && game.side;
  if (mine && winner && !game.resultSounded) {
    game.resultSounded = true;
    game.sound(winner === game.side ? "win" : "lose");
  } else if (winner && !game.resultSounded && game.last) {
    game.resultSounded = true;
    game.sound("point");
  }
  const headline = cancelled
    ? game.t("pong.cancelled")
    : interrupted
    ? game.t("pong.interrupted")
    : !winner
    ? game.t("pong.no_winner")
    : mine
      ? game.t(winner === game.side ? "pong.you_win" : "pong.you_lose")
      : game.t("pong.wins", { name: nameOf(game, winner) });
  const score = scores ? `${nameOf(game, "left")} ${scores.left} – ${scores.right} ${nameOf(game, "right")}` : "";
  const actions = [];
  if (game.next) {
    actions.push(
      h("button", {
        type: "button",
        class: "btn btn-primary",
        "data-testid": "pong-continue",
        text: game.t("pong.continue"),
        onclick: () => game.shell.navigate(game.next),
      }),
    );
  }
  // Rematch: the same options again (local and AI: at once; remote: offered to the
  // opponent, who accepts or declines). A tournament's match has none.
  const player = game.role !== "spectator" && game.role !== null && game.role !== undefined;
  if (player && !cancelled && !interrupted && ["local", "ai", "remote"].includes(game.mode)) {
    actions.push(
      h("button", { type: "button", class: "btn btn-success", "data-testid": "pong-rematch", text: game.t("pong.rematch"), onclick: (event) => rematch(game, event.currentTarget) }),
    );
  }
  actions.push(h("a", { class: game.next ? "btn btn-outline-light" : "btn btn-primary", href: "/play", "data-testid": "pong-lobby", text: game.t("pong.back_to_lobby") }));
  game.result.replaceChildren(
    h(
      "div",
      { class: "card-body text-center" },
      h("h2", { class: "h3 mb-2", text: headline, dataset: { winner: winner || "" } }),
      winner ? h("p", { class: "mb-1 pong-winner", text: game.t("pong.winner_is", { name: nameOf(game, winner) }) }) : null,
      h("p", { class: "mb-2 text-body-secondary", text: score }),
      forfeit ? h("p", { class: "small text-body-secondary", text: game.t("pong.forfeit", { name: nameOf(game, forfeit) }) }) : null,
      interrupted ? h("p", { class: "small text-body-secondary", "data-testid": "pong-interrupted", text: game.t("pong.interrupted_why") }) : null,
      cancelled
        ? h("p", {
            class: "small text-body-secondary",
            "data-testid": "pong-cancelled",
            text:
              cancelled.reason === "no_show"
                ? game.t("pong.cancelled_no_show", { name: (cancelled.sides || []).map((side) => nameOf(game, side)).join(", ") })
                : game.t("pong.cancelled_abandoned"),
          })
        : null,
      h("div", { class: "d-flex justify-content-center gap-2" }, actions),
    ),
  );
  game.result.dataset.winner = winner || "";
  game.result.hidden = false;
  const first = game.result.querySelector("button, a.btn");
  if (first) first.focus();
}

async function rematch(game, button) {
  button.disabled = true;
  try {
    const reply = await game.shell.realtime.request("pong.rematch", { game_id: game.matchId });
    if (reply.status === "started" && reply.game_id) {
      game.shell.navigate(`/play/games/${encodeURIComponent(reply.game_id)}`);
      return;
    }
    // Offered: the opponent's answer brings both to the new game (`pong.matched`).
    button.textContent = game.t("pong.rematch_offered", { name: nameOf(game, otherSide(game.side)) });
  } catch (error) {
    button.disabled = false;
    game.shell.toast({ title: game.t("errors.title"), body: game.shell.errorMessage(error), kind: "danger" });
  }
}
