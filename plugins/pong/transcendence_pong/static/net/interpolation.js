// Interpolation of what this browser does not drive (the ball, the opponent's paddle):
// snapshots are buffered and drawn DELAY ms in the past, between the two snapshots that
// surround that moment, so 30 snapshots a second become smooth 60 fps motion and a late
// or bunched snapshot changes nothing visible.
//
// Snapshots carry the server's time (`server_time`, Unix seconds). The offset between the
// server's clock and ours is the smallest (receive time − server time) seen lately: the
// snapshot that travelled fastest. Past the newest snapshot, the ball is extrapolated from
// its velocity (with wall bounces) for at most MAX_EXTRAPOLATION ms. Pure: no DOM, no clock.

import { BALL_RADIUS, HEIGHT, WIDTH } from "../constants.js";

export const DELAY = 100;
const MAX_EXTRAPOLATION = 100;
const KEEP = 40;
const OFFSET_WINDOW = 90; // snapshots (about 3 s at 30 Hz)
const TELEPORT = WIDTH / 4; // farther than this between two snapshots: a point, not motion

export class SnapshotBuffer {
  constructor({ delay = DELAY } = {}) {
    this.delay = delay;
    this.items = []; // {at: server ms, state}
    this.offsets = []; // local ms − server ms, of the latest snapshots
    this.offset = null;
  }

  get latest() {
    return this.items.length ? this.items[this.items.length - 1].state : null;
  }

  /** A snapshot received at local time `receivedAt` (ms). */
  push(state, receivedAt) {
    const at = typeof state.server_time === "number" ? state.server_time * 1000 : receivedAt;
    const last = this.items[this.items.length - 1];
    if (last && at < last.at) return; // out of order: older than what we have
    this.items.push({ at, state });
    if (this.items.length > KEEP) this.items.shift();
    this.offsets.push(receivedAt - at);
    if (this.offsets.length > OFFSET_WINDOW) this.offsets.shift();
    this.offset = Math.min(...this.offsets);
  }

  /** The server time (ms) to draw at local time `now`. */
  renderTime(now) {
    return now - (this.offset ?? 0) - this.delay;
  }

  /** {ball, paddles, powerup, state} to draw at local time `now` (null before any snapshot). */
  sample(now) {
    if (!this.items.length) return null;
    const t = this.renderTime(now);
    const items = this.items;
    if (t <= items[0].at) return view(items[0].state);
    for (let i = items.length - 1; i > 0; i -= 1) {
      const a = items[i - 1];
      const b = items[i];
      if (a.at <= t && t <= b.at) {
        const alpha = b.at > a.at ? (t - a.at) / (b.at - a.at) : 1;
        return between(a.state, b.state, alpha);
      }
    }
    const last = items[items.length - 1];
    return extrapolate(last.state, Math.min(t - last.at, MAX_EXTRAPOLATION));
  }
}

function lerp(a, b, alpha) {
  return a + (b - a) * alpha;
}

function view(state) {
  return { ball: { ...state.ball }, paddles: state.paddles, powerup: state.powerup, state };
}

export function between(a, b, alpha) {
  const jump = Math.abs(b.ball.x - a.ball.x) > TELEPORT || Math.abs(b.ball.y - a.ball.y) > TELEPORT;
  const ball = jump
    ? { ...(alpha < 1 ? a.ball : b.ball) }
    : { x: lerp(a.ball.x, b.ball.x, alpha), y: lerp(a.ball.y, b.ball.y, alpha), vx: b.ball.vx, vy: b.ball.vy };
  const paddles = {};
  for (const side of ["left", "right"]) {
    const pa = a.paddles[side];
    const pb = b.paddles[side];
    paddles[side] = { ...pb, y: lerp(pa.y, pb.y, alpha), height: lerp(pa.height, pb.height, alpha) };
  }
  return { ball, paddles, powerup: b.powerup, state: b };
}

export function extrapolate(state, ms) {
  const ball = { ...state.ball };
  if (state.phase === "playing" && ms > 0) {
    ball.x += (ball.vx * ms) / 1000;
    let y = ball.y + (ball.vy * ms) / 1000;
    const low = BALL_RADIUS;
    const high = HEIGHT - BALL_RADIUS;
    // Fold the path back into the field (a bounce on a wall).
    for (let i = 0; i < 4 && (y < low || y > high); i += 1) y = y < low ? 2 * low - y : 2 * high - y;
    ball.y = y;
  }
  return { ball, paddles: state.paddles, powerup: state.powerup, state };
}
