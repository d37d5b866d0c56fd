// What the game shows around the canvas (see game.js): the players' names, the scores and
// power-ups, the phase over the field and the status line, the help, the sound toggle, and
// the data attributes the browser tests read.

import { playerName } from "@transcendence/shell";
import { SIDES } from "./constants.js";

export function expose(game, state) {
  const data = game.root.dataset;
  data.phase = state.phase;
  data.scoreLeft = String(state.scores.left);
  data.scoreRight = String(state.scores.right);
  data.ballDirection = state.phase === "playing" && state.ball.vx ? (state.ball.vx > 0 ? "right" : "left") : "none";
  data.hitsLeft = String(game.hits.left);
  data.hitsRight = String(game.hits.right);
  data.leftY = String(Math.round(state.paddles.left.y));
  data.rightY = String(Math.round(state.paddles.right.y));
  data.paused = state.paused ? "true" : "false";
}

export function nameOf(game, side) {
  const player = game.info ? game.info[side] : null;
  return player ? playerName(player) : side;
}

export function renderNames(game) {
  const h = game.h;
  for (const side of SIDES) {
    const player = game.info ? game.info[side] : null;
    const name = player ? playerName(player) : "…";
    // At one keyboard the left seat is the account's own only in a plain local game: a
    // local tournament's aliases are the people around the keyboard, none of them "you".
    const you = game.role === "local" ? side === "left" && game.info?.mode === "local" : game.side === side;
    const label = player?.user_id ? h("a", { href: `/users/${player.user_id}`, text: name }) : h("span", { text: name });
    game.names[side].replaceChildren(...[label, you ? h("span", { class: "pong-you", text: ` ${game.t("pong.you")}` }) : null].filter(Boolean));
  }
  if (game.role === "spectator") {
    game.names.left.parentElement.parentElement.dataset.spectating = "true";
  }
}

export function renderHelp(game) {
  const powerups = Boolean(game.info?.options?.powerups);
  let key = null;
  if (game.role === "local") key = powerups ? "pong.help_local_power" : "pong.help_local";
  else if (game.role === "spectator") key = "pong.spectating";
  else if (game.role) key = powerups ? "pong.help_remote_power" : "pong.help_remote";
  game.help.textContent = key ? game.t(key) : "";
  if (key && game.role !== "spectator") firstGameControls(game, key);
}

/** Before a player's first game (per user, remembered in localStorage): the controls,
 * over the field, until "Got it". */
function firstGameControls(game, key) {
  const user = game.shell.session?.user;
  const seen = `transcendence.pong.controls_seen.${user ? user.id : "anonymous"}`;
  if (localStorage.getItem(seen) || game.controlsCard) return;
  const h = game.h;
  game.controlsCard = h(
    "section",
    { class: "pong-controls-card card", "data-testid": "pong-controls", role: "dialog", "aria-label": game.t("pong.controls_title") },
    h(
      "div",
      { class: "card-body text-center" },
      h("h2", { class: "h5", text: game.t("pong.controls_title") }),
      h("p", { class: "mb-1", text: game.t(key) }),
      h("p", { class: "small text-body-secondary", text: game.t("pong.controls_more") }),
      h("button", {
        type: "button",
        class: "btn btn-primary btn-sm",
        text: game.t("pong.controls_ok"),
        onclick: () => {
          localStorage.setItem(seen, "1");
          game.controlsCard.remove();
        },
      }),
    ),
  );
  game.stage.append(game.controlsCard);
}

export function renderScores(game, state) {
  for (const side of SIDES) {
    game.scores[side].textContent = String(state.scores[side]);
    const power = state.paddles[side].power;
    game.powers[side].hidden = !power;
    game.powers[side].textContent = power ? game.t(`pong.power_${power}`) : "";
  }
  const text = game.t("pong.score_text", {
    left: nameOf(game, "left"),
    right: nameOf(game, "right"),
    a: state.scores.left,
    b: state.scores.right,
  });
  if (game.scoreText.textContent !== text) game.scoreText.textContent = text;
  game.canvas.setAttribute("aria-label", `${game.t("pong.canvas_label")} ${text}`);
  // How many watch without a seat (players and spectators both see it).
  const count = state.spectators || 0;
  game.watching.hidden = !count;
  const watching = count ? game.t("pong.spectators", { count }) : "";
  if (game.watching.textContent !== watching) game.watching.textContent = watching;
}

export function renderPhase(game, state) {
  if (state.phase === "finished") {
    game.overlay.textContent = "";
    setStatus(game, null, "");
    return;
  }
  if (state.paused && state.paused.seconds_left === null) {
    // Paused by its player (a local or AI game): no deadline.
    setStatus(game, "pong.paused_by_you");
    game.overlay.textContent = game.t("pong.paused_short");
    game.overlay.dataset.kind = "paused";
    return;
  }
  if (state.paused) {
    const seconds = Math.max(0, Math.ceil(state.paused.seconds_left));
    if (state.paused.side === game.side) setStatus(game, "pong.reconnecting");
    else setStatus(game, "pong.paused", { name: nameOf(game, state.paused.side), seconds });
    game.overlay.textContent = String(seconds);
    game.overlay.dataset.kind = "paused";
    return;
  }
  const waiting = (state.waiting || []).filter((side) => side !== game.side);
  game.root.dataset.waiting = waiting.join(" ");
  if (waiting.length) {
    // Held until every player has opened the game: no serve, no point until then.
    const name = waiting.map((side) => nameOf(game, side)).join(", ");
    const left = state.waiting_seconds_left;
    if (typeof left === "number") setStatus(game, "pong.waiting_for_seconds", { name, seconds: Math.ceil(left) });
    else setStatus(game, "pong.waiting_for", { name });
    game.overlay.textContent = game.t("pong.waiting_short");
    game.overlay.dataset.kind = "waiting";
    return;
  }
  if (state.countdown !== null && state.countdown !== undefined) {
    const seconds = Math.max(1, Math.ceil(state.countdown));
    setStatus(game, state.tick === 0 ? "pong.starting" : "pong.resuming", { seconds });
    game.overlay.textContent = String(seconds);
    game.overlay.dataset.kind = "countdown";
    return;
  }
  game.overlay.dataset.kind = state.phase === "serving" ? "ready" : "";
  if (state.phase === "serving") {
    setStatus(game, "pong.get_ready");
    game.overlay.textContent = game.t("pong.get_ready");
  } else {
    setStatus(game, null, "");
    game.overlay.textContent = "";
  }
}

/** The status line (a live region): only set when it changes, not at every snapshot. */
export function setStatus(game, key, params) {
  const text = key ? game.t(key, params) : params || "";
  if (game.status.textContent !== text) game.status.textContent = text;
}

export function toggleMute(game) {
  game.sounds.setMuted(!game.sounds.muted);
  renderMute(game);
}

export function renderMute(game) {
  const muted = game.sounds.muted;
  game.muteButton.setAttribute("aria-pressed", String(muted));
  game.muteButton.textContent = game.t(muted ? "pong.sound_off" : "pong.sound_on");
  game.root.dataset.muted = String(muted);
}
