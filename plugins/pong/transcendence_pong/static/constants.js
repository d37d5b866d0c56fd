// The field as the server's engine sees it (plugins/pong/transcendence_pong/engine.py).
// The client draws in these units and scales them to the canvas.

export const WIDTH = 800;
export const HEIGHT = 600;
export const PADDLE_WIDTH = 12;
export const PADDLE_INSET = 24;
export const BALL_RADIUS = 8;
export const POWERUP_RADIUS = 18;
/** Units per second, the same for every paddle (human or AI). */
export const PADDLE_SPEED = 420;

// The game options (defaults, ranges, themes, presets) are the server's: the forms read them
// from GET /api/pong/options (the engine's definition, engine.py).
export const LEVELS = ["easy", "normal", "hard"];

export const SIDES = ["left", "right"];

export function otherSide(side) {
  return side === "left" ? "right" : side === "right" ? "left" : null;
}
