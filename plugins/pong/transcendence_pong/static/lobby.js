// /play: the lobby. Game options (with a one-click "Classic"), a local game on one
// keyboard, a game against the AI (when the ai module is on), the matchmaking queue with
// its waiting indicator, and the live games anyone can watch.
//
// The live list is pushed, not polled: the view follows the `pong.live` topic
// (`pong.live.watch`), reads GET /api/pong/games once, and applies each `pong.live` frame
// ({event: "started" | "ended", game}). After a `resync` or a reconnection it reads again.

import { View, h } from "@transcendence/shell";
import { LEVELS } from "./constants.js";

const STORAGE = "transcendence.pong.options";
const LIVE_LIMIT = 20;

/** The options last used here, over `defaults` (the server's, GET /api/pong/options). */
export function loadOptions(defaults) {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE) || "{}");
    return { ...defaults, ...(saved && typeof saved === "object" ? saved : {}) };
  } catch {
    return { ...defaults };
  }
}

function saveOptions(options) {
  try {
    localStorage.setItem(STORAGE, JSON.stringify(options));
  } catch {
    // private mode: the options are simply not remembered
  }
}

export class LobbyView extends View {
  title() {
    return this.t("pong.lobby_title");
  }

  async render() {
    this.waiting = false;
    // The options offered (defaults, ranges, themes, presets): the engine's, served.
    this.definition = await this.api.get("/api/pong/options");
    const aiOn = this.shell.enabledModules().some((m) => m.name === "ai");
    this.error = h("div", { class: "alert d-none", role: "alert" });
    const page = h(
      "section",
      { class: "pong-lobby" },
      this.header(this.t("pong.lobby_title"), this.t("pong.lobby_lead")),
      this.error,
      h(
        "div",
        { class: "row g-4" },
        h("div", { class: "col-12 col-lg-7" }, this.playCard(aiOn), this.optionsCard()),
        h("div", { class: "col-12 col-lg-5" }, this.liveCard()),
      ),
    );
    this.onRealtime("pong.matched", (data) => {
      if (data?.game_id) this.enter(data.game_id);
    });
    // Frames are handled before the first read, so none falls between the read and them.
    this.games = new Map();
    this.onRealtime("pong.live", (data) => this.applyLive(data));
    this.onRealtime("resync", () => this.refreshLive());
    this.listen(this.shell.realtime, "connected", () => this.watchLive());
    this.cleanups.push(() => {
      if (this.watching) this.shell.realtime.request("pong.live.unwatch", {}).catch(() => {});
    });
    await this.watchLive();
    this.cleanups.push(() => this.cancelQueue(true));
    return page;
  }

  showError(error) {
    this.error.className = "alert alert-danger";
    this.error.textContent = typeof error === "string" ? error : this.shell.errorMessage(error);
  }

  clearError() {
    this.error.className = "alert d-none";
    this.error.textContent = "";
  }

  // --- options ------------------------------------------------------------------------

  optionsCard() {
    const { defaults, limits, themes, presets } = this.definition;
    const options = loadOptions(defaults);
    const number = (name) => {
      const { min, max, step } = limits[name];
      const id = `pong-opt-${name}`;
      const input = h("input", { class: "form-control", type: "number", id, name, min, max, step, value: String(options[name]), required: true });
      this.inputs[name] = input;
      return h(
        "div",
        { class: "col-12 col-sm-4" },
        h("label", { class: "form-label", htmlFor: id, text: this.t(`pong.opt_${name}`) }),
        input,
        h("div", { class: "form-text", text: this.t("pong.opt_range", { min, max }) }),
      );
    };
    this.inputs = {};
    const fields = [number("ball_speed"), number("paddle_height"), number("score_limit")];
    const powerups = h("input", { class: "form-check-input", type: "checkbox", id: "pong-opt-powerups", name: "powerups", checked: Boolean(options.powerups) });
    this.inputs.powerups = powerups;
    const theme = h(
      "select",
      { class: "form-select", id: "pong-opt-theme", name: "theme" },
      themes.map((name) => h("option", { value: name, selected: options.theme === name, text: this.t(`pong.theme_${name}`) })),
    );
    this.inputs.theme = theme;
    this.form = h(
      "form",
      { class: "row g-3", id: "pong-options", novalidate: false, onsubmit: (e) => e.preventDefault() },
      fields,
      h(
        "div",
        { class: "col-12 col-sm-6" },
        h("label", { class: "form-label", htmlFor: "pong-opt-theme", text: this.t("pong.opt_theme") }),
        theme,
      ),
      h(
        "div",
        { class: "col-12 col-sm-6 d-flex align-items-end" },
        h("div", { class: "form-check mb-2" }, powerups, h("label", { class: "form-check-label", htmlFor: "pong-opt-powerups", text: this.t("pong.opt_powerups") })),
      ),
    );
    const classic = h("button", {
      type: "button",
      class: "btn btn-outline-light btn-sm",
      text: this.t("pong.classic"),
      "aria-label": this.t("pong.classic_label"),
      onclick: () => this.setOptions(presets.classic),
    });
    return h(
      "div",
      { class: "card mt-4" },
      h("div", { class: "card-header d-flex justify-content-between align-items-center" }, h("h2", { class: "h6 mb-0", text: this.t("pong.options_title") }), classic),
      h("div", { class: "card-body" }, this.form),
    );
  }

  setOptions(options) {
    for (const name of ["ball_speed", "paddle_height", "score_limit"]) this.inputs[name].value = String(options[name]);
    this.inputs.powerups.checked = Boolean(options.powerups);
    this.inputs.theme.value = options.theme;
    saveOptions(options);
  }

  /** The options as the server takes them, or null (and the form says why) when invalid. */
  options() {
    if (!this.form.reportValidity()) return null;
    const ball = Number(this.inputs.ball_speed.value);
    const { defaults } = this.definition;
    const options = {
      ...defaults,
      ball_speed: ball,
      ball_speed_max: Math.max(defaults.ball_speed_max, ball),
      paddle_height: Number(this.inputs.paddle_height.value),
      score_limit: Number(this.inputs.score_limit.value),
      powerups: this.inputs.powerups.checked,
      theme: this.inputs.theme.value,
    };
    saveOptions(options);
    return options;
  }

  // --- starting a game ----------------------------------------------------------------

  playCard(aiOn) {
    this.queueButton = h("button", { type: "button", class: "btn btn-outline-info", id: "pong-queue", text: this.t("pong.find_opponent"), onclick: () => this.queue() });
    this.waitingText = h("span", { text: this.t("pong.waiting", { seconds: 0 }) });
    this.waitingBox = h(
      "div",
      { class: "pong-waiting alert alert-info mt-3 mb-0", hidden: true, role: "status" },
      h("span", { class: "spinner-border spinner-border-sm", "aria-hidden": "true" }),
      this.waitingText,
      h("button", { type: "button", class: "btn btn-sm btn-outline-light ms-auto", text: this.t("pong.cancel_queue"), onclick: () => this.cancelQueue() }),
    );
    let ai = null;
    if (aiOn) {
      this.level = h(
        "select",
        { class: "form-select", id: "pong-level", name: "level" },
        LEVELS.map((level) => h("option", { value: level, selected: level === "normal", text: this.t(`pong.level_${level}`) })),
      );
      ai = h(
        "div",
        { class: "pong-ai d-flex flex-wrap align-items-end gap-2" },
        h("div", {}, h("label", { class: "form-label small mb-1", htmlFor: "pong-level", text: this.t("pong.difficulty") }), this.level),
        h("button", { type: "button", class: "btn btn-outline-warning", id: "pong-ai", text: this.t("pong.play_ai"), onclick: (e) => this.create("ai", e.currentTarget) }),
      );
    }
    return h(
      "div",
      { class: "card" },
      h("div", { class: "card-header" }, h("h2", { class: "h6 mb-0", text: this.t("pong.start_title") })),
      h(
        "div",
        { class: "card-body" },
        h(
          "div",
          { class: "d-flex flex-wrap align-items-end gap-3" },
          h("button", { type: "button", class: "btn btn-primary", id: "pong-local", text: this.t("pong.local"), onclick: (e) => this.create("local", e.currentTarget) }),
          ai,
          this.queueButton,
        ),
        this.waitingBox,
      ),
    );
  }

  enter(gameId) {
    this.waiting = false;
    this.shell.navigate(`/play/games/${encodeURIComponent(gameId)}`);
  }

  async create(mode, button) {
    const options = this.options();
    if (!options) return;
    this.clearError();
    button.disabled = true;
    try {
      const body = { mode, options };
      if (mode === "ai") body.level = this.level.value;
      const game = await this.api.post("/api/pong/games", body);
      this.enter(game.game_id);
    } catch (error) {
      button.disabled = false;
      this.showError(error);
    }
  }

  async queue() {
    const options = this.options();
    if (!options || this.waiting) return;
    this.clearError();
    this.waiting = true;
    this.queueButton.disabled = true;
    this.waitingBox.hidden = false;
    const started = Date.now();
    const tick = () => {
      this.waitingText.textContent = this.t("pong.waiting", { seconds: Math.floor((Date.now() - started) / 1000) });
    };
    tick();
    clearInterval(this.waitTimer);
    this.waitTimer = setInterval(tick, 1000);
    try {
      const answer = await this.shell.realtime.request("pong.queue", { options });
      if (answer.status === "matched" && answer.game_id) this.enter(answer.game_id);
    } catch (error) {
      this.stopWaiting();
      this.showError(error);
    }
  }

  stopWaiting() {
    this.waiting = false;
    clearInterval(this.waitTimer);
    if (this.waitingBox) this.waitingBox.hidden = true;
    if (this.queueButton) {
      this.queueButton.disabled = false;
    }
  }

  async cancelQueue(leaving = false) {
    if (!this.waiting) return;
    this.stopWaiting();
    try {
      await this.shell.realtime.request("pong.unqueue", {});
    } catch (error) {
      if (!leaving) this.showError(error);
    }
    if (!leaving) this.queueButton.focus();
  }

  // --- live games ---------------------------------------------------------------------

  liveCard() {
    this.live = h("ul", { class: "list-group list-group-flush", id: "pong-live" });
    return h(
      "div",
      { class: "card" },
      h(
        "div",
        { class: "card-header d-flex justify-content-between align-items-center" },
        h("h2", { class: "h6 mb-0", text: this.t("pong.live_title") }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-light", text: this.t("pong.refresh"), onclick: () => this.refreshLive() }),
      ),
      this.live,
    );
  }

  /** Follow the live games on this socket (again after a reconnection), then read them. */
  async watchLive() {
    if (this.shell.realtime.state === "online") {
      try {
        await this.shell.realtime.request("pong.live.watch", {});
        this.watching = true;
      } catch (error) {
        if (error.code !== "closed" && error.code !== "offline") console.warn("pong.live.watch", error);
      }
    }
    await this.refreshLive(); // offline: the list as it is now; "connected" calls us again
  }

  /** Read the live games once; frames arriving meanwhile are applied after the read. */
  async refreshLive() {
    this.reading = {};
    const read = this.reading;
    this.pendingLive = [];
    let items;
    try {
      items = (await this.api.get(`/api/pong/games?limit=${LIVE_LIMIT}`)).items;
    } catch (error) {
      if (read !== this.reading) return;
      this.pendingLive = null;
      this.live.replaceChildren(h("li", { class: "list-group-item text-body-secondary", text: this.shell.errorMessage(error) }));
      return;
    }
    if (read !== this.reading) return; // a newer read is under way
    const pending = this.pendingLive;
    this.pendingLive = null;
    this.games = new Map(items.map((game) => [game.id, game]));
    for (const frame of pending) this.applyLive(frame, false);
    this.drawLive();
  }

  /** A `pong.live` frame: a game started (add it) or ended (remove it). */
  applyLive(frame, draw = true) {
    if (!frame?.game || typeof frame.game.id !== "string") return;
    if (this.pendingLive) {
      this.pendingLive.push(frame);
      return;
    }
    if (frame.event === "started") this.games.set(frame.game.id, frame.game);
    else if (frame.event === "ended") this.games.delete(frame.game.id);
    else return;
    if (draw) this.drawLive();
  }

  drawLive() {
    const items = [...this.games.values()]
      .sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0))
      .slice(0, LIVE_LIMIT);
    if (!items.length) {
      this.live.replaceChildren(h("li", { class: "list-group-item text-body-secondary", text: this.t("pong.live_empty") }));
      return;
    }
    const me = this.user?.id;
    this.live.replaceChildren(
      ...items.map((game) => {
        const players = `${game.left.name} – ${game.right.name}`;
        const mine = me && (game.left.user_id === me || game.right.user_id === me);
        return h(
          "li",
          { class: "list-group-item d-flex align-items-center gap-2", dataset: { gameId: game.id } },
          h(
            "div",
            { class: "me-auto" },
            h("div", { class: "fw-semibold", text: players }),
            h("div", { class: "small text-body-secondary", text: this.t(`pong.mode_${game.mode}`) }),
          ),
          h("a", {
            class: "btn btn-sm btn-outline-info",
            href: `/play/games/${encodeURIComponent(game.id)}`,
            text: this.t(mine ? "pong.resume" : "pong.watch"),
            "aria-label": this.t(mine ? "pong.resume_label" : "pong.watch_label", { players }),
          }),
        );
      }),
    );
  }
}
