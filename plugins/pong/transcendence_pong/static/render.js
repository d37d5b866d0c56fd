// Drawing a frame on the canvas: the field in engine units, scaled to the element's size
// and to the screen's pixel density (crisp on HiDPI), in the colours of the game's theme.

import { BALL_RADIUS, HEIGHT, PADDLE_INSET, PADDLE_WIDTH, POWERUP_RADIUS, WIDTH } from "./constants.js";

export const PALETTES = {
  classic: { bg: "#0b1020", line: "rgba(148,163,184,0.35)", left: "#22d3ee", right: "#f472b6", ball: "#f8fafc", power: "#f59e0b", glow: 0 },
  neon: { bg: "#07010f", line: "rgba(217,70,239,0.45)", left: "#39ff14", right: "#ff2bd6", ball: "#fdfd96", power: "#00e5ff", glow: 14 },
  forest: { bg: "#0e1f14", line: "rgba(163,230,53,0.3)", left: "#a3e635", right: "#fbbf24", ball: "#ecfccb", power: "#f97316", glow: 0 },
  retro: { bg: "#000000", line: "rgba(255,255,255,0.55)", left: "#ffffff", right: "#ffffff", ball: "#ffffff", power: "#ffffff", glow: 0 },
};
// The app's high-contrast theme (Settings → Appearance) wins over the game's: a black field,
// a yellow and a white paddle, a white ball.
const HIGH_CONTRAST = { bg: "#000000", line: "rgba(255,255,255,0.7)", left: "#ffe14d", right: "#ffffff", ball: "#ffffff", power: "#ffe14d", glow: 0 };

export class Renderer {
  constructor(canvas, theme = "classic") {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.theme = PALETTES[theme] ? theme : "classic";
    this.scale = 1;
  }

  /** Fit the canvas to `cssWidth` CSS pixels wide (the field's 4:3 shape), at device resolution. */
  resize(cssWidth) {
    const width = Math.max(160, Math.floor(cssWidth));
    const height = Math.round((width * HEIGHT) / WIDTH);
    const ratio = window.devicePixelRatio || 1;
    const pixels = [Math.round(width * ratio), Math.round(height * ratio)];
    if (this.canvas.width !== pixels[0] || this.canvas.height !== pixels[1]) {
      this.canvas.width = pixels[0];
      this.canvas.height = pixels[1];
    }
    this.scale = (width * ratio) / WIDTH;
  }

  /** frame: {ball: {x, y}, paddles: {left: {y, height}, right: {...}}, powerup, phase}. */
  draw(frame) {
    const { ctx, scale } = this;
    const colours = document.documentElement.dataset.theme === "high-contrast" ? HIGH_CONTRAST : PALETTES[this.theme];
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.shadowBlur = 0;
    ctx.fillStyle = colours.bg;
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    // The net.
    ctx.fillStyle = colours.line;
    for (let y = 10; y < HEIGHT; y += 30) ctx.fillRect(WIDTH / 2 - 2, y, 4, 16);
    if (!frame) return;
    ctx.shadowBlur = colours.glow;
    for (const side of ["left", "right"]) {
      const paddle = frame.paddles?.[side];
      if (!paddle?.height) continue;
      const x = side === "left" ? PADDLE_INSET : WIDTH - PADDLE_INSET - PADDLE_WIDTH;
      ctx.fillStyle = colours[side];
      ctx.shadowColor = colours[side];
      ctx.fillRect(x, paddle.y - paddle.height / 2, PADDLE_WIDTH, paddle.height);
    }
    if (frame.powerup) {
      const { x, y, kind } = frame.powerup;
      ctx.strokeStyle = colours.power;
      ctx.shadowColor = colours.power;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(x, y, POWERUP_RADIUS, 0, Math.PI * 2);
      ctx.stroke();
      ctx.fillStyle = colours.power;
      ctx.font = "bold 22px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(kind === "grow" ? "+" : "−", x, y + 1);
    }
    if (frame.ball && frame.phase !== "finished") {
      ctx.fillStyle = colours.ball;
      ctx.shadowColor = colours.ball;
      if (this.theme === "retro") {
        ctx.fillRect(frame.ball.x - BALL_RADIUS, frame.ball.y - BALL_RADIUS, BALL_RADIUS * 2, BALL_RADIUS * 2);
      } else {
        ctx.beginPath();
        ctx.arc(frame.ball.x, frame.ball.y, BALL_RADIUS, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    ctx.shadowBlur = 0;
  }
}
