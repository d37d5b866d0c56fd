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

import { h, safeNext } from "@transcendence/shell";
import { Sounds } from "./sound.js";
import { holdButton, listenKeys } from "./input.js";
import { SnapshotBuffer } from "./net/interpolation.js";
import { PaddlePredictor } from "./net/prediction.js";
import { Renderer } from "./render.js";

export function mountGame(shell, container, { matchId, next } = {}) {
  const game = new Game(shell, container, { matchId, next: safeNext(next, null) });
  mounted.set(game.matchId, (mounted.get(game.matchId) || 0) + 1);
  game.start();
  return game;
}

// How many views show each game: a re-render (a language change) mounts the new view
// before the old one is destroyed, and the spectator must keep following the game.
const mounted = new Map();

const SIDES = ["left", "right"];

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
    this.renderNames();
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
      this.showResult({ winner: null, scores: this.info.score, forfeit: null, cancelled: true });
      return true;
    }
    this.showResult({
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
      this.setStatus("pong.connecting");
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
    if (firstJoin) this.setUpControls();
  }

  /** The socket dropped: the server released our keys and pauses a remote game. */
  connectionLost() {
    if (this.finished || this.destroyed) return;
    this.setStatus("pong.reconnecting");
    if (this.stopKeys) {
      this.stopKeys(); // forget held keys: a key still down is pressed again after a new keydown
      this.stopKeys = this.listen();
    }
    for (const predictor of Object.values(this.predictors)) {
      predictor.up = predictor.down = false;
      predictor.pending = [];
      predictor.ackedDir = 0;
      predictor.frozen = true;
    }
  }

  listen() {
    return listenKeys(this.role === "local" ? "local" : "remote", (side, key, pressed) => this.key(side || this.side, key, pressed));
  }

  fail(error) {
    this.setStatus(null, this.shell.errorMessage(error));
    this.root.dataset.phase = "error";
  }

  // --- controls ---------------------------------------------------------------------------

  controlledSides() {
    if (this.role === "local") return SIDES;
    return this.side ? [this.side] : [];
  }

  setUpControls() {
    const sides = this.controlledSides();
    const latest = this.buffer.latest;
    for (const side of sides) {
      const paddle = latest ? latest.paddles[side] : null;
      this.predictors[side] = new PaddlePredictor({
        y: paddle ? paddle.y : undefined,
        height: paddle ? paddle.height : this.info.options?.paddle_height,
        now: performance.now(),
      });
    }
    this.renderNames();
    this.renderHelp();
    if (!sides.length) return;
    this.stopKeys = this.listen();
    this.renderTouch(sides);
    this.leaveButton.hidden = false;
    // P or Escape pauses a local or AI game (a remote one has no pause but the reconnection's).
    if (this.role === "local" || this.mode === "ai") {
      const onKey = (event) => {
        if (event.repeat || event.target.closest("input, textarea, select")) return;
        if (event.key !== "p" && event.key !== "P" && event.key !== "Escape") return;
        event.preventDefault();
        this.togglePause();
      };
      window.addEventListener("keydown", onKey);
      this.cleanups.push(() => window.removeEventListener("keydown", onKey));
    }
  }

  togglePause() {
    if (this.finished) return;
    const paused = !this.last?.paused;
    this.shell.realtime.request("pong.pause", { game_id: this.matchId, paused }).catch(() => {});
  }

  fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (this.root.requestFullscreen) this.root.requestFullscreen().catch(() => {});
  }

  key(side, key, pressed) {
    if (this.finished || !this.predictors[side]) return;
    if (key === "power" && !pressed) return; // a power-up is used on the press
    this.seq += 1;
    const sent = this.shell.realtime.send("pong.input", {
      game_id: this.matchId,
      key,
      pressed,
      seq: this.seq,
      ...(this.role === "local" ? { side } : {}),
    });
    if (sent && key !== "power") this.predictors[side].input(key, pressed, this.seq, performance.now());
  }

  async leave() {
    this.leaveConfirm.hidden = true;
    try {
      await this.shell.realtime.request("pong.leave", { game_id: this.matchId });
    } catch (error) {
      this.setStatus(null, this.shell.errorMessage(error));
      return;
    }
    // Leaving stops the game's frames to this socket: the result is known, show it.
    const loser = this.side || "left";
    this.showResult({ winner: otherSide(loser), scores: this.last ? this.last.scores : null, forfeit: loser });
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
    this.expose(state);
    this.renderScores(state);
    this.renderPhase(state);
    if (state.cancelled) {
      this.showResult({ winner: null, scores: state.scores, forfeit: null, cancelled: state.cancelled });
    } else if (state.phase === "finished") {
      const forfeit = (state.events || []).find((e) => e.kind === "forfeit");
      this.showResult({ winner: state.winner, scores: state.scores, forfeit: forfeit ? forfeit.side : null });
    } else if (state.interrupted) {
      this.showResult({ winner: null, scores: state.scores, forfeit: null, interrupted: true });
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

  toggleMute() {
    this.sounds.setMuted(!this.sounds.muted);
    this.renderMute();
  }

  renderMute() {
    const muted = this.sounds.muted;
    this.muteButton.setAttribute("aria-pressed", String(muted));
    this.muteButton.textContent = this.t(muted ? "pong.sound_off" : "pong.sound_on");
    this.root.dataset.muted = String(muted);
  }

  expose(state) {
    const data = this.root.dataset;
    data.phase = state.phase;
    data.scoreLeft = String(state.scores.left);
    data.scoreRight = String(state.scores.right);
    data.ballDirection = state.phase === "playing" && state.ball.vx ? (state.ball.vx > 0 ? "right" : "left") : "none";
    data.hitsLeft = String(this.hits.left);
    data.hitsRight = String(this.hits.right);
    data.leftY = String(Math.round(state.paddles.left.y));
    data.rightY = String(Math.round(state.paddles.right.y));
    data.paused = state.paused ? "true" : "false";
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
    this.muteButton = h("button", { type: "button", class: "btn btn-outline-light btn-sm", "data-testid": "pong-mute", onclick: () => this.toggleMute() });
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
        h("button", { type: "button", class: "btn btn-outline-light btn-sm", "data-testid": "pong-fullscreen", text: this.t("pong.fullscreen"), onclick: () => this.fullscreen() }),
        this.leaveButton,
      ),
      this.leaveConfirm,
    );
    this.root.pongSounds = this.sounds; // the audio graph, for tests
    this.renderMute();
  }

  nameOf(side) {
    const player = this.info ? this.info[side] : null;
    return player ? player.name : side;
  }

  renderNames() {
    const h = this.h;
    for (const side of SIDES) {
      const player = this.info ? this.info[side] : null;
      const name = player ? player.name : "…";
      // At one keyboard the left seat is the account's own only in a plain local game: a
      // local tournament's aliases are the people around the keyboard, none of them "you".
      const you = this.role === "local" ? side === "left" && this.info?.mode === "local" : this.side === side;
      const label = player?.user_id ? h("a", { href: `/users/${player.user_id}`, text: name }) : h("span", { text: name });
      this.names[side].replaceChildren(...[label, you ? h("span", { class: "pong-you", text: ` ${this.t("pong.you")}` }) : null].filter(Boolean));
    }
    if (this.role === "spectator") {
      this.names.left.parentElement.parentElement.dataset.spectating = "true";
    }
  }

  renderHelp() {
    const powerups = Boolean(this.info?.options?.powerups);
    let key = null;
    if (this.role === "local") key = powerups ? "pong.help_local_power" : "pong.help_local";
    else if (this.role === "spectator") key = "pong.spectating";
    else if (this.role) key = powerups ? "pong.help_remote_power" : "pong.help_remote";
    this.help.textContent = key ? this.t(key) : "";
    if (key && this.role !== "spectator") this.firstGameControls(key);
  }

  /** Before a player's first game (per user, remembered in localStorage): the controls,
   * over the field, until "Got it". */
  firstGameControls(key) {
    const user = this.shell.session?.user;
    const seen = `transcendence.pong.controls_seen.${user ? user.id : "anonymous"}`;
    if (localStorage.getItem(seen) || this.controlsCard) return;
    const h = this.h;
    this.controlsCard = h(
      "section",
      { class: "pong-controls-card card", "data-testid": "pong-controls", role: "dialog", "aria-label": this.t("pong.controls_title") },
      h(
        "div",
        { class: "card-body text-center" },
        h("h2", { class: "h5", text: this.t("pong.controls_title") }),
        h("p", { class: "mb-1", text: this.t(key) }),
        h("p", { class: "small text-body-secondary", text: this.t("pong.controls_more") }),
        h("button", {
          type: "button",
          class: "btn btn-primary btn-sm",
          text: this.t("pong.controls_ok"),
          onclick: () => {
            localStorage.setItem(seen, "1");
            this.controlsCard.remove();
          },
        }),
      ),
    );
    this.stage.append(this.controlsCard);
  }

  renderTouch(sides) {
    const h = this.h;
    const powerups = Boolean(this.info.options?.powerups);
    this.touchReleases = [];
    const groups = sides.map((side) => {
      const label = (key) => (this.role === "local" ? this.t(`pong.touch_${key}_${side}`) : this.t(`pong.touch_${key}`));
      const buttons = ["up", "down", ...(powerups ? ["power"] : [])].map((key) => {
        const button = h("button", {
          type: "button",
          class: `btn btn-outline-light pong-touch-${key}`,
          "aria-label": label(key),
          dataset: { side, key },
          text: key === "up" ? "▲" : key === "down" ? "▼" : "⚡",
        });
        this.touchReleases.push(holdButton(button, (pressed) => this.key(side, key, pressed)));
        return button;
      });
      return h("div", { class: `pong-touch-group pong-touch-${side}`, role: "group", "aria-label": label("group") }, buttons);
    });
    this.touch.replaceChildren(...groups);
    this.touch.hidden = false;
  }

  renderScores(state) {
    for (const side of SIDES) {
      this.scores[side].textContent = String(state.scores[side]);
      const power = state.paddles[side].power;
      this.powers[side].hidden = !power;
      this.powers[side].textContent = power ? this.t(`pong.power_${power}`) : "";
    }
    const text = this.t("pong.score_text", {
      left: this.nameOf("left"),
      right: this.nameOf("right"),
      a: state.scores.left,
      b: state.scores.right,
    });
    if (this.scoreText.textContent !== text) this.scoreText.textContent = text;
    this.canvas.setAttribute("aria-label", `${this.t("pong.canvas_label")} ${text}`);
    // How many watch without a seat (players and spectators both see it).
    const count = state.spectators || 0;
    this.watching.hidden = !count;
    const watching = count ? this.t("pong.spectators", { count }) : "";
    if (this.watching.textContent !== watching) this.watching.textContent = watching;
  }

  renderPhase(state) {
    if (state.phase === "finished") {
      this.overlay.textContent = "";
      this.setStatus(null, "");
      return;
    }
    if (state.paused && state.paused.seconds_left === null) {
      // Paused by its player (a local or AI game): no deadline.
      this.setStatus("pong.paused_by_you");
      this.overlay.textContent = this.t("pong.paused_short");
      this.overlay.dataset.kind = "paused";
      return;
    }
    if (state.paused) {
      const seconds = Math.max(0, Math.ceil(state.paused.seconds_left));
      if (state.paused.side === this.side) this.setStatus("pong.reconnecting");
      else this.setStatus("pong.paused", { name: this.nameOf(state.paused.side), seconds });
      this.overlay.textContent = String(seconds);
      this.overlay.dataset.kind = "paused";
      return;
    }
    const waiting = (state.waiting || []).filter((side) => side !== this.side);
    this.root.dataset.waiting = waiting.join(" ");
    if (waiting.length) {
      // Held until every player has opened the game: no serve, no point until then.
      const name = waiting.map((side) => this.nameOf(side)).join(", ");
      const left = state.waiting_seconds_left;
      if (typeof left === "number") this.setStatus("pong.waiting_for_seconds", { name, seconds: Math.ceil(left) });
      else this.setStatus("pong.waiting_for", { name });
      this.overlay.textContent = this.t("pong.waiting_short");
      this.overlay.dataset.kind = "waiting";
      return;
    }
    if (state.countdown !== null && state.countdown !== undefined) {
      const seconds = Math.max(1, Math.ceil(state.countdown));
      this.setStatus(state.tick === 0 ? "pong.starting" : "pong.resuming", { seconds });
      this.overlay.textContent = String(seconds);
      this.overlay.dataset.kind = "countdown";
      return;
    }
    this.overlay.dataset.kind = state.phase === "serving" ? "ready" : "";
    if (state.phase === "serving") {
      this.setStatus("pong.get_ready");
      this.overlay.textContent = this.t("pong.get_ready");
    } else {
      this.setStatus(null, "");
      this.overlay.textContent = "";
    }
  }

  /** The status line (a live region): only set when it changes, not at every snapshot. */
  setStatus(key, params) {
    const text = key ? this.t(key, params) : params || "";
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  async rematch(button) {
    button.disabled = true;
    try {
      const reply = await this.shell.realtime.request("pong.rematch", { game_id: this.matchId });
      if (reply.status === "started" && reply.game_id) {
        this.shell.navigate(`/play/games/${encodeURIComponent(reply.game_id)}`);
        return;
      }
      // Offered: the opponent's answer brings both to the new game (`pong.matched`).
      button.textContent = this.t("pong.rematch_offered", { name: this.nameOf(otherSide(this.side)) });
    } catch (error) {
      button.disabled = false;
      this.shell.toast({ title: this.t("errors.title"), body: this.shell.errorMessage(error), kind: "danger" });
    }
  }

  showResult({ winner, scores, forfeit, interrupted = false, cancelled = null }) {
    if (this.finished && this.result.childElementCount) return;
    this.finished = true;
    this.endedAt = this.last?.server_time ? this.last.server_time * 1000 : 0;
    this.root.dataset.phase = "finished";
    // Whatever the field last said ("Get ready…", "Reconnecting…") is over.
    this.overlay.textContent = "";
    this.overlay.dataset.kind = "";
    this.setStatus(null, "");
    if (this.stopKeys) {
      this.stopKeys();
      this.stopKeys = null;
    }
    for (const release of this.touchReleases || []) release();
    this.touch.hidden = true;
    this.leaveButton.hidden = true;
    this.leaveConfirm.hidden = true;
    const h = this.h;
    const mine = this.role !== "spectator" && this.role !== "local" && this.side;
    if (mine && winner && !this.resultSounded) {
      this.resultSounded = true;
      this.sound(winner === this.side ? "win" : "lose");
    } else if (winner && !this.resultSounded && this.last) {
      this.resultSounded = true;
      this.sound("point");
    }
    const headline = cancelled
      ? this.t("pong.cancelled")
      : interrupted
      ? this.t("pong.interrupted")
      : !winner
      ? this.t("pong.no_winner")
      : mine
        ? this.t(winner === this.side ? "pong.you_win" : "pong.you_lose")
        : this.t("pong.wins", { name: this.nameOf(winner) });
    const score = scores ? `${this.nameOf("left")} ${scores.left} – ${scores.right} ${this.nameOf("right")}` : "";
    const actions = [];
    if (this.next) {
      actions.push(
        h("button", {
          type: "button",
          class: "btn btn-primary",
          "data-testid": "pong-continue",
          text: this.t("pong.continue"),
          onclick: () => this.shell.navigate(this.next),
        }),
      );
    }
    // Rematch: the same options again (local and AI: at once; remote: offered to the
    // opponent, who accepts or declines). A tournament's match has none.
    const player = this.role !== "spectator" && this.role !== null && this.role !== undefined;
    if (player && !cancelled && !interrupted && ["local", "ai", "remote"].includes(this.mode)) {
      actions.push(
        h("button", { type: "button", class: "btn btn-success", "data-testid": "pong-rematch", text: this.t("pong.rematch"), onclick: (event) => this.rematch(event.currentTarget) }),
      );
    }
    actions.push(h("a", { class: this.next ? "btn btn-outline-light" : "btn btn-primary", href: "/play", "data-testid": "pong-lobby", text: this.t("pong.back_to_lobby") }));
    this.result.replaceChildren(
      h(
        "div",
        { class: "card-body text-center" },
        h("h2", { class: "h3 mb-2", text: headline, dataset: { winner: winner || "" } }),
        winner ? h("p", { class: "mb-1 pong-winner", text: this.t("pong.winner_is", { name: this.nameOf(winner) }) }) : null,
        h("p", { class: "mb-2 text-body-secondary", text: score }),
        forfeit ? h("p", { class: "small text-body-secondary", text: this.t("pong.forfeit", { name: this.nameOf(forfeit) }) }) : null,
        interrupted ? h("p", { class: "small text-body-secondary", "data-testid": "pong-interrupted", text: this.t("pong.interrupted_why") }) : null,
        cancelled
          ? h("p", {
              class: "small text-body-secondary",
              "data-testid": "pong-cancelled",
              text:
                cancelled.reason === "no_show"
                  ? this.t("pong.cancelled_no_show", { name: (cancelled.sides || []).map((side) => this.nameOf(side)).join(", ") })
                  : this.t("pong.cancelled_abandoned"),
            })
          : null,
        h("div", { class: "d-flex justify-content-center gap-2" }, actions),
      ),
    );
    this.result.dataset.winner = winner || "";
    this.result.hidden = false;
    const first = this.result.querySelector("button, a.btn");
    if (first) first.focus();
  }
}

function otherSide(side) {
  return side === "left" ? "right" : side === "right" ? "left" : null;
}
