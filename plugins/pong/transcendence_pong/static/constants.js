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

/** The "classic" options: the default of every field of a game's options. */
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
export const LEVELS = ["easy", "normal", "hard"];
