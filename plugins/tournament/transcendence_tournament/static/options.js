// The pong options of a tournament's games: a small form with a one-click "Classic".
// Nothing is remembered between tournaments (a new one starts from the classic game). What
// is offered (defaults, ranges, themes, the "classic" preset) is pong's: `definition` is
// GET /api/pong/options (`loadDefinition`), the engine's own definition.

import { h } from "@transcendence/shell";

/** What the option forms offer, from the server (one request per view). */
export function loadDefinition(api) {
  return api.get("/api/pong/options");
}

/**
 * optionsFieldset(shell, definition, prefix) → {el, value(), reset()}: the fields (ball speed, paddle
 * size, points to win, power-ups, theme) inside a <fieldset> with a legend and a "Classic"
 * button. value() is the options as the server takes them (call after reportValidity()).
 */
export function optionsFieldset(shell, definition, prefix = "tournament-opt") {
  const { defaults, limits, themes, presets } = definition;
  const classic = presets.classic;
  const t = (key, params) => shell.t(key, params);
  const inputs = {};
  const number = (name) => {
    const { min, max, step } = limits[name];
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
      value: String(classic[name]),
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
  const fields = [number("score_limit"), number("ball_speed"), number("paddle_height")];
  inputs.powerups = h("input", { class: "form-check-input", type: "checkbox", id: `${prefix}-powerups`, name: "powerups", checked: Boolean(classic.powerups) });
  inputs.theme = h(
    "select",
    { class: "form-select", id: `${prefix}-theme`, name: "theme" },
    themes.map((name) => h("option", { value: name, selected: name === classic.theme, text: t(`tournament.theme_${name}`) })),
  );
  const reset = () => {
    for (const name of ["score_limit", "ball_speed", "paddle_height"]) inputs[name].value = String(classic[name]);
    inputs.powerups.checked = classic.powerups;
    inputs.theme.value = classic.theme;
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
      ...defaults,
      ball_speed: ball,
      ball_speed_max: Math.max(defaults.ball_speed_max, ball),
      paddle_height: Number(inputs.paddle_height.value),
      score_limit: Number(inputs.score_limit.value),
      powerups: inputs.powerups.checked,
      theme: inputs.theme.value,
    };
  };
  return { el, value, reset, inputs };
}
