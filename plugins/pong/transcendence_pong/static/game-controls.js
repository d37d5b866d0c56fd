// The game's controls (see game.js): the keys and touch buttons of the sides this browser
// drives, sent as pong.input with our own paddle predicted; pause and full screen.

import { SIDES } from "./constants.js";
import { renderHelp, renderNames } from "./game-hud.js";
import { holdButton, listenKeys } from "./input.js";
import { PaddlePredictor } from "./net/prediction.js";

function controlledSides(game) {
  if (game.role === "local") return SIDES;
  return game.side ? [game.side] : [];
}

export function setUpControls(game) {
  const sides = controlledSides(game);
  const latest = game.buffer.latest;
  for (const side of sides) {
    const paddle = latest ? latest.paddles[side] : null;
    game.predictors[side] = new PaddlePredictor({
      y: paddle ? paddle.y : undefined,
      height: paddle ? paddle.height : game.info.options?.paddle_height,
      now: performance.now(),
    });
  }
  renderNames(game);
  renderHelp(game);
  if (!sides.length) return;
  game.stopKeys = listen(game);
  renderTouch(game, sides);
  game.leaveButton.hidden = false;
  // P or Escape pauses a local or AI game (a remote one has no pause but the reconnection's).
  if (game.role === "local" || game.mode === "ai") {
    const onKey = (event) => {
      if (event.repeat || event.target.closest("input, textarea, select")) return;
      if (event.key !== "p" && event.key !== "P" && event.key !== "Escape") return;
      event.preventDefault();
      togglePause(game);
    };
    window.addEventListener("keydown", onKey);
    game.cleanups.push(() => window.removeEventListener("keydown", onKey));
  }
}

export function listen(game) {
  return listenKeys(game.role === "local" ? "local" : "remote", (side, key, pressed) => sendKey(game, side || game.side, key, pressed));
}

function sendKey(game, side, key, pressed) {
  if (game.finished || !game.predictors[side]) return;
  if (key === "power" && !pressed) return; // a power-up is used on the press
  game.seq += 1;
  const sent = game.shell.realtime.send("pong.input", {
    game_id: game.matchId,
    key,
    pressed,
    seq: game.seq,
    ...(game.role === "local" ? { side } : {}),
  });
  if (sent && key !== "power") game.predictors[side].input(key, pressed, game.seq, performance.now());
}

function togglePause(game) {
  if (game.finished) return;
  const paused = !game.last?.paused;
  game.shell.realtime.request("pong.pause", { game_id: game.matchId, paused }).catch(() => {});
}

export function fullscreen(game) {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else if (game.root.requestFullscreen) game.root.requestFullscreen().catch(() => {});
}

function renderTouch(game, sides) {
  const h = game.h;
  const powerups = Boolean(game.info.options?.powerups);
  game.touchReleases = [];
  const groups = sides.map((side) => {
    const label = (key) => (game.role === "local" ? game.t(`pong.touch_${key}_${side}`) : game.t(`pong.touch_${key}`));
    const buttons = ["up", "down", ...(powerups ? ["power"] : [])].map((key) => {
      const button = h("button", {
        type: "button",
        class: `btn btn-outline-light pong-touch-${key}`,
        "aria-label": label(key),
        dataset: { side, key },
        text: key === "up" ? "▲" : key === "down" ? "▼" : "⚡",
      });
      game.touchReleases.push(holdButton(button, (pressed) => sendKey(game, side, key, pressed)));
      return button;
    });
    return h("div", { class: `pong-touch-group pong-touch-${side}`, role: "group", "aria-label": label("group") }, buttons);
  });
  game.touch.replaceChildren(...groups);
  game.touch.hidden = false;
}
