// The pong options of a tournament's games: a small form with a one-click "Classic".
// Nothing is remembered between tournaments (a new one starts from the classic game).

import { h } from "@transcendence/shell";

/** The "classic" game: the default of every option (as pong's constants.js). */
export const CLASSIC = Object.freeze({
  ball_speed: 360,
  ball_speed_max: 1100,
  acceleration: 1.06,
  paddle_height: 100,
  score_limit: 5,
  powerups: false,
  theme: "classic",
});

export const THEMES = ["classic", "neon", "forest", "retro"];

/**
 * optionsFieldset(shell, prefix) → {el, value(), reset()}: the fields (ball speed, paddle
 * size, points to win, power-ups, theme) inside a <fieldset> with a legend and a "Classic"
 * button. value() is the options as the server takes them (call after reportValidity()).
 */
export function optionsFieldset(shell, prefix = "tournament-opt") {
  const t = (key, params) => shell.t(key, params);
  const inputs = {};
  const number = (name, min, max, step) => {
    const id = `${prefix}-${name}`;
    const help = `${id}-help`;
    inputs[name] = h("input", {
      class: "form-control",
      type: "number",
      id,
      name,
      min,
      max,
      step,
      value: String(CLASSIC[name]),
      required: true,
      "aria-describedby": help,
    });
    return h(
      "div",
      { class: "col-12 col-sm-4" },
      h("label", { class: "form-label", htmlFor: id, text: t(`tournament.opt_${name}`) }),
      inputs[name],
      h("div", { class: "form-text", id: help, text: t("tournament.opt_range", { min, max }) }),
    );
  };
  const fields = [number("score_limit", 1, 21, 1), number("ball_speed", 100, 2000, 10), number("paddle_height", 20, 600, 5)];
  inputs.powerups = h("input", { class: "form-check-input", type: "checkbox", id: `${prefix}-powerups`, name: "powerups" });
  inputs.theme = h(
    "select",
    { class: "form-select", id: `${prefix}-theme`, name: "theme" },
    THEMES.map((name) => h("option", { value: name, selected: name === CLASSIC.theme, text: t(`tournament.theme_${name}`) })),
  );
  const reset = () => {
    for (const name of ["score_limit", "ball_speed", "paddle_height"]) inputs[name].value = String(CLASSIC[name]);
    inputs.powerups.checked = CLASSIC.powerups;
    inputs.theme.value = CLASSIC.theme;
  };
  const el = h(
    "fieldset",
    { class: "tournament-options card mb-3" },
    h(
      "div",
      { class: "card-header d-flex justify-content-between align-items-center gap-2" },
      h("legend", { class: "h6 mb-0 float-none w-auto", text: t("tournament.options_title") }),
      h("button", { type: "button", class: "btn btn-outline-light btn-sm", text: t("tournament.classic"), "aria-label": t("tournament.classic_label"), onclick: reset }),
    ),
    h(
      "div",
      { class: "card-body row g-3" },
      fields,
      h(
        "div",
        { class: "col-12 col-sm-6" },
        h("label", { class: "form-label", htmlFor: `${prefix}-theme`, text: t("tournament.opt_theme") }),
        inputs.theme,
      ),
      h(
        "div",
        { class: "col-12 col-sm-6 d-flex align-items-end" },
        h("div", { class: "form-check mb-2" }, inputs.powerups, h("label", { class: "form-check-label", htmlFor: `${prefix}-powerups`, text: t("tournament.opt_powerups") })),
      ),
    ),
  );
  const value = () => {
    const ball = Number(inputs.ball_speed.value);
    return {
      ...CLASSIC,
      ball_speed: ball,
      ball_speed_max: Math.max(CLASSIC.ball_speed_max, ball),
      paddle_height: Number(inputs.paddle_height.value),
      score_limit: Number(inputs.score_limit.value),
      powerups: inputs.powerups.checked,
      theme: inputs.theme.value,
    };
  };
  return { el, value, reset, inputs };
}
