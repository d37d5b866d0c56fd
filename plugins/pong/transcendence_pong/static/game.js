// The game view's engine room: mountGame(shell, container, {matchId, next}) follows a game
// over the realtime socket and draws it at the screen's frame rate. Other modules may embed
// it (the tournament does, through the /play/games/:id URL); it returns {destroy()}.
//
// - Players send key presses/releases (pong.input with increasing `seq`), never positions.
// - Our own paddle is predicted and reconciled (net/prediction.js); the ball and the
//   opponent are interpolated ~100 ms in the past (net/interpolation.js).
// - A spectator (someone who has no seat) only watches.
// The element exposes what a player sees as data attributes (phase, scores, ball direction,
// returns per side), which the browser tests read.
//
// This file holds the view and its lifecycle (connection, join, leave, snapshots, drawing);
// the rest takes the game as its first argument: game-controls.js (keys, touch buttons, pause,
// full screen), game-hud.js (names, scores, phase, status line, help, sound toggle) and
// game-result.js (the result panel and the rematch).

import { h, safeNext } from "@transcendence/shell";
import { otherSide, SIDES } from "./constants.js";
import { fullscreen, listen, setUpControls } from "./game-controls.js";
import { expose, renderMute, renderNames, renderPhase, renderScores, setStatus, toggleMute } from "./game-hud.js";
import { showResult } from "./game-result.js";
import { SnapshotBuffer } from "./net/interpolation.js";
import { Renderer } from "./render.js";
import { Sounds } from "./sound.js";

export function mountGame(shell, container, { matchId, next } = {}) {
  const game = new Game(shell, container, { matchId, next: safeNext(next, null) });
  mounted.set(game.matchId, (mounted.get(game.matchId) || 0) + 1);
  game.start();
  return game;
}

// How many views show each game: a re-render (a language change) mounts the new view
// before the old one is destroyed, and the spectator must keep following the game.
const mounted = new Map();

class Game {
  constructor(shell, container, { matchId, next }) {
    this.shell = shell;
    this.h = h;
    this.container = container;
    this.matchId = String(matchId);
    this.next = next;
    this.info = null; // GET /api/pong/games/<id>
    this.side = null; // our seat, null for a spectator
    this.mode = null;
    this.buffer = new SnapshotBuffer();
    this.predictors = {}; // side → PaddlePredictor, for the sides this browser drives
    this.seq = Date.now(); // above whatever an earlier tab of ours sent in this game
    this.last = null;
    this.hits = { left: 0, right: 0 };
    this.finished = false;
    this.cleanups = [];
    this.frame = 0;
    this.destroyed = false;
    this.statusKey = "";
  }

  t(key, params) {
    return this.shell.t(key, params);
  }

  // --- lifecycle --------------------------------------------------------------------------

  start() {
    this.build();
    this.container.append(this.root);
    const off = this.shell.realtime.on("pong.state", (state) => this.onState(state));
    this.cleanups.push(off);
    const reconnected = () => this.join();
    const disconnected = () => this.connectionLost();
    this.shell.realtime.addEventListener("connected", reconnected);
    this.shell.realtime.addEventListener("disconnected", disconnected);
    this.cleanups.push(() => {
      this.shell.realtime.removeEventListener("connected", reconnected);
      this.shell.realtime.removeEventListener("disconnected", disconnected);
    });
    if (typeof ResizeObserver === "function") {
      const observer = new ResizeObserver(() => this.resize());
      observer.observe(this.stage);
      this.cleanups.push(() => observer.disconnect());
    }
    const onResize = () => this.resize();
    window.addEventListener("resize", onResize);
    this.cleanups.push(() => window.removeEventListener("resize", onResize));
    this.resize();
    const loop = () => {
      if (this.destroyed) return;
      this.draw();
      // Once the game is over and its last frame is drawn, stop (resize() still redraws).
      if (this.finished && this.buffer.renderTime(performance.now()) > this.endedAt) return;
      this.frame = requestAnimationFrame(loop);
    };
    this.frame = requestAnimationFrame(loop);
    this.load();
  }

  destroy() {
    if (this.destroyed) return;
    const wasPlaying = this.playing();
    if (this.stopKeys) this.stopKeys();
    for (const release of this.touchReleases || []) release();
    this.destroyed = true;
    cancelAnimationFrame(this.frame);
    if (this.sounds) this.sounds.close();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    const views = (mounted.get(this.matchId) || 1) - 1;
    if (views) mounted.set(this.matchId, views);
    else mounted.delete(this.matchId);
    // A spectator stops receiving the game (a player's seat stays: leaving is explicit).
    if (this.role === "spectator" && !this.finished && !views) {
      this.shell.realtime.request("pong.leave", { game_id: this.matchId }).catch(() => {});
    }
    // A remote player who leaves the view is away: the game pauses (grace, then forfeit)
    // and every page shows the "Resume" banner while it does.
    if (wasPlaying && this.role !== "local" && !views) {
      this.shell.realtime.request("pong.away", { game_id: this.matchId }).catch(() => {});
    }
    this.root.remove();
  }

  /** A player's game is on (leaving the view asks to confirm). */
  playing() {
    return Boolean(this.side) && this.role !== "spectator" && !this.finished && !this.destroyed && Boolean(this.info) && this.info.status === "running";
  }

  async load() {
    try {
      this.info = await this.shell.api.get(`/api/pong/games/${encodeURIComponent(this.matchId)}`);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.destroyed) return;
    this.mode = this.info.mode;
    this.renderer.theme = this.info.options?.theme || "classic";
    this.root.dataset.mode = this.mode;
    renderNames(this);
    if (this.showRecorded()) return;
    if (this.info.live) this.onState(this.info.live);
    await this.join();
  }

  /** A game that is over (finished or interrupted): show its record. True when it was. */
  showRecorded() {
    if (this.info.status === "running") return false;
    // The final score on the scoreboard too, not the 0–0 of a game never followed here.
    if (this.info.score) {
      for (const side of SIDES) this.scores[side].textContent = String(this.info.score[side]);
      this.root.dataset.scoreLeft = String(this.info.score.left);
      this.root.dataset.scoreRight = String(this.info.score.right);
    }
    if (this.info.status === "cancelled") {
      showResult(this, { winner: null, scores: this.info.score, forfeit: null, cancelled: true });
      return true;
    }
    showResult(this, {
      winner: this.info.winner,
      scores: this.info.score,
      forfeit: this.info.forfeit ? otherSide(this.info.winner) : null,
      interrupted: this.info.status === "interrupted",
    });
    return true;
  }

  async join() {
    if (this.destroyed || this.finished || !this.info) return;
    if (this.shell.realtime.state !== "online") {
      setStatus(this, "pong.connecting");
      return; // the "connected" event calls join() again
    }
    let answer;
    try {
      answer = await this.shell.realtime.request("pong.join", { game_id: this.matchId });
    } catch (error) {
      if (error.code === "not_found") {
        // It ended meanwhile: show the recorded result.
        try {
          this.info = await this.shell.api.get(`/api/pong/games/${encodeURIComponent(this.matchId)}`);
          if (this.showRecorded()) return;
        } catch {
          // fall through to the message
        }
      }
      if (error.code !== "closed" && error.code !== "offline") this.fail(error);
      return;
    }
    if (this.destroyed) return;
    const firstJoin = this.role === undefined;
    this.side = answer.side || null;
    this.mode = answer.mode || this.mode;
    const oneKeyboard = answer.keyboard || this.mode === "local";
    this.role = this.side === null ? "spectator" : oneKeyboard ? "local" : `player-${this.side}`;
    this.root.dataset.role = this.role;
    if (firstJoin) setUpControls(this);
  }

  /** The socket dropped: the server released our keys and pauses a remote game. */
  connectionLost() {
    if (this.finished || this.destroyed) return;
    setStatus(this, "pong.reconnecting");
    if (this.stopKeys) {
      this.stopKeys(); // forget held keys: a key still down is pressed again after a new keydown
      this.stopKeys = listen(this);
    }
    for (const predictor of Object.values(this.predictors)) {
      predictor.up = predictor.down = false;
      predictor.pending = [];
      predictor.ackedDir = 0;
      predictor.frozen = true;
    }
  }

  fail(error) {
    setStatus(this, null, this.shell.errorMessage(error));
    this.root.dataset.phase = "error";
  }

  async leave() {
    this.leaveConfirm.hidden = true;
    try {
      await this.shell.realtime.request("pong.leave", { game_id: this.matchId });
    } catch (error) {
      setStatus(this, null, this.shell.errorMessage(error));
      return;
    }
    // Leaving stops the game's frames to this socket: the result is known, show it.
    const loser = this.side || "left";
    showResult(this, { winner: otherSide(loser), scores: this.last ? this.last.scores : null, forfeit: loser });
  }

  // --- snapshots --------------------------------------------------------------------------

  onState(state) {
    if (!state || String(state.game_id) !== this.matchId || this.destroyed) return;
    const now = performance.now();
    const previous = this.last;
    if (previous && typeof state.tick === "number" && state.tick < previous.tick) return;
    this.buffer.push(state, now);
    this.last = state;
    const frozen = state.phase === "finished" || Boolean(state.paused) || state.countdown !== null && state.countdown !== undefined;
    for (const [side, predictor] of Object.entries(this.predictors)) {
      const paddle = state.paddles[side];
      const ack = state.acks ? state.acks[side] || 0 : 0;
      if (ack > this.seq) this.seq = ack;
      predictor.reconcile({ y: paddle.y, height: paddle.height, ack, frozen }, now);
    }
    this.countHits(previous, state);
    if ((state.events || []).some((e) => e.kind === "point") && state.phase !== "finished") this.sound("point");
    expose(this, state);
    renderScores(this, state);
    renderPhase(this, state);
    if (state.cancelled) {
      showResult(this, { winner: null, scores: state.scores, forfeit: null, cancelled: state.cancelled });
    } else if (state.phase === "finished") {
      const forfeit = (state.events || []).find((e) => e.kind === "forfeit");
      showResult(this, { winner: state.winner, scores: state.scores, forfeit: forfeit ? forfeit.side : null });
    } else if (state.interrupted) {
      showResult(this, { winner: null, scores: state.scores, forfeit: null, interrupted: true });
    }
  }

  /** A return is the ball's horizontal direction flipping during a rally. */
  countHits(previous, state) {
    if (previous?.phase !== "playing" || state.phase !== "playing") return;
    const same = previous.scores.left === state.scores.left && previous.scores.right === state.scores.right;
    if (!same || !previous.ball.vx || !state.ball.vx) return;
    if (Math.sign(previous.ball.vx) !== Math.sign(state.ball.vx)) {
      this.hits[state.ball.vx > 0 ? "left" : "right"] += 1;
      this.sound("paddle");
    } else if (previous.ball.vy && state.ball.vy && Math.sign(previous.ball.vy) !== Math.sign(state.ball.vy)) {
      this.sound("wall");
    }
  }

  sound(name) {
    if (this.sounds && !this.destroyed) this.sounds.play(name);
    this.root.dataset.sounds = String(this.sounds ? this.sounds.played : 0);
  }

  // --- drawing ----------------------------------------------------------------------------

  resize() {
    if (!this.stage) return;
    this.renderer.resize(this.stage.clientWidth || 320);
    this.draw();
  }

  draw() {
    const now = performance.now();
    const frame = this.buffer.sample(now);
    if (!frame) {
      this.renderer.draw(null);
      return;
    }
    const paddles = { ...frame.paddles };
    for (const [side, predictor] of Object.entries(this.predictors)) {
      paddles[side] = { ...paddles[side], y: predictor.display(now), height: predictor.height };
    }
    this.renderer.draw({ ball: frame.ball, paddles, powerup: frame.powerup, phase: this.last ? this.last.phase : "serving" });
  }

  // --- the page around the canvas ---------------------------------------------------------

  build() {
    const h = this.h;
    this.names = { left: h("span", { class: "pong-name" }), right: h("span", { class: "pong-name" }) };
    this.scores = {
      left: h("span", { class: "pong-score", dataset: { testid: "pong-score-left" }, text: "0" }),
      right: h("span", { class: "pong-score", dataset: { testid: "pong-score-right" }, text: "0" }),
    };
    this.powers = { left: h("span", { class: "pong-power", hidden: true }), right: h("span", { class: "pong-power", hidden: true }) };
    this.scoreText = h("span", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true", "data-testid": "pong-score-live" });
    const board = h(
      "div",
      { class: "pong-scoreboard", "data-testid": "pong-scoreboard" },
      h("div", { class: "pong-player pong-left" }, this.names.left, this.powers.left),
      h("div", { class: "pong-scores", "aria-hidden": "true" }, this.scores.left, h("span", { class: "pong-dash", text: "–" }), this.scores.right),
      h("div", { class: "pong-player pong-right" }, this.powers.right, this.names.right),
      this.scoreText,
    );
    this.canvas = h("canvas", { class: "pong-canvas", role: "img", "aria-label": this.t("pong.canvas_label") });
    this.overlay = h("div", { class: "pong-overlay", "aria-hidden": "true" });
    this.stage = h("div", { class: "pong-stage" }, this.canvas, this.overlay);
    this.renderer = new Renderer(this.canvas);
    this.status = h("p", { class: "pong-status", role: "status", "data-testid": "pong-status" });
    this.watching = h("p", { class: "pong-watching small text-body-secondary", "data-testid": "pong-spectators", hidden: true });
    this.help = h("p", { class: "pong-help small text-body-secondary" });
    // Sound effects (Web Audio), with a mute control remembered per user.
    const user = this.shell.session?.user;
    this.sounds = new Sounds(user ? user.id : null);
    this.muteButton = h("button", { type: "button", class: "btn btn-outline-light btn-sm", "data-testid": "pong-mute", onclick: () => toggleMute(this) });
    this.touch = h("div", { class: "pong-touch", hidden: true });
    this.leaveConfirm = h(
      "div",
      { class: "pong-leave-confirm alert alert-warning", hidden: true, role: "alert" },
      h("p", { class: "mb-2", text: this.t("pong.leave_confirm") }),
      h(
        "div",
        { class: "d-flex gap-2" },
        h("button", { type: "button", class: "btn btn-danger btn-sm", text: this.t("pong.leave_yes"), onclick: () => this.leave() }),
        h("button", {
          type: "button",
          class: "btn btn-outline-light btn-sm",
          text: this.t("pong.leave_no"),
          onclick: () => {
            this.leaveConfirm.hidden = true;
            this.leaveButton.focus();
          },
        }),
      ),
    );
    this.leaveButton = h("button", {
      type: "button",
      class: "btn btn-outline-danger btn-sm",
      hidden: true,
      text: this.t("pong.leave"),
      onclick: () => {
        this.leaveConfirm.hidden = false;
        this.leaveConfirm.querySelector("button").focus();
      },
    });
    // The result sits over the field (the scoreboard stays in view), not below it.
    this.result = h("section", { class: "pong-result card", hidden: true, "data-testid": "pong-result", "aria-live": "polite" });
    this.stage.append(this.result);
    this.root = h(
      "div",
      { class: "pong-game", id: "pong-game", dataset: { phase: "loading", matchId: this.matchId, hitsLeft: "0", hitsRight: "0", ballDirection: "none" } },
      board,
      this.watching,
      this.status,
      this.stage,
      this.touch,
      h(
        "div",
        { class: "pong-actions d-flex flex-wrap align-items-center gap-2" },
        this.help,
        this.muteButton,
        h("button", { type: "button", class: "btn btn-outline-light btn-sm", "data-testid": "pong-fullscreen", text: this.t("pong.fullscreen"), onclick: () => fullscreen(this) }),
        this.leaveButton,
      ),
      this.leaveConfirm,
    );
    this.root.pongSounds = this.sounds; // the audio graph, for tests
    renderMute(this);
  }
}
