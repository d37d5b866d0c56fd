// Client-side prediction of the paddle(s) this browser drives, with reconciliation.
//
// The browser sends only key presses and releases (with increasing sequence numbers); the
// server moves the paddle and says, in every snapshot, the last sequence it applied
// (`acks[side]`). Waiting for the server would make the paddle answer a key one round trip
// late, so the client moves it at once, and corrects itself on every snapshot:
//
//   A snapshot received at local time r shows the server's paddle as it was when the
//   server sent it. The server applies a key one-way-latency after the press and the
//   snapshot travels back another one-way latency, so the server's paddle in that snapshot
//   is where our own prediction stood at local time r − RTT, with every input up to `ack`
//   applied and none after it. So: take the server's y as the truth at r − RTT, with the
//   direction the acknowledged keys give, and replay the inputs the server has not applied
//   yet (their local times) up to now. The RTT is learnt from the acks themselves (the time
//   from sending an input to the first snapshot that acknowledges it).
//
// A correction is not shown as a jump: the difference between the old and new prediction
// is kept as an offset that decays over ~100 ms (a jump larger than SNAP units is shown at
// once). Pure: no DOM, no clock (times are passed in, in milliseconds).

import { HEIGHT, PADDLE_SPEED } from "../constants.js";

const SMOOTHING_MS = 100;
const SNAP = 120;
const MAX_PENDING = 256;

export class PaddlePredictor {
  constructor({ y = HEIGHT / 2, height = 100, speed = PADDLE_SPEED, fieldHeight = HEIGHT, rtt = 100, now = 0 } = {}) {
    this.speed = speed;
    this.fieldHeight = fieldHeight;
    this.height = height;
    this.up = false;
    this.down = false;
    this.pending = []; // inputs the server has not acknowledged: {seq, t, dir}
    this.ackedDir = 0; // the direction the server's paddle has (acknowledged keys)
    this.base = { t: now, y, dir: 0 }; // the server's truth, at a local time
    this.rtt = rtt;
    this.rttSamples = 0;
    this.lastAck = 0;
    this.offset = 0;
    this.offsetAt = now;
    this.frozen = false; // paused, counting down, or finished: the server moves nothing
  }

  get direction() {
    return (this.down ? 1 : 0) - (this.up ? 1 : 0);
  }

  /** A key of ours changed (already sent with `seq` at local time `t`). */
  input(key, pressed, seq, t) {
    if (key === "up") this.up = pressed;
    else if (key === "down") this.down = pressed;
    else return;
    this.pending.push({ seq, t, dir: this.direction });
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  clamp(y) {
    const half = Math.min(this.height, this.fieldHeight) / 2;
    return Math.min(Math.max(y, half), this.fieldHeight - half);
  }

  /** Where our paddle is at local time `t` according to the server's truth and our inputs. */
  predict(t) {
    if (this.frozen) return this.base.y;
    let y = this.base.y;
    let at = this.base.t;
    let dir = this.base.dir;
    for (const input of this.pending) {
      const when = Math.min(Math.max(input.t, at), t);
      y = this.clamp(y + (dir * this.speed * (when - at)) / 1000);
      at = when;
      dir = input.dir;
    }
    if (t > at) y = this.clamp(y + (dir * this.speed * (t - at)) / 1000);
    return y;
  }

  /** What to draw at local time `t`: the prediction plus what is left of the last correction. */
  display(t) {
    const left = this.offset * Math.exp(-Math.max(0, t - this.offsetAt) / SMOOTHING_MS);
    return this.clamp(this.predict(t) + (Math.abs(left) < 0.05 ? 0 : left));
  }

  /**
   * A snapshot arrived at local time `t`: the server's paddle `y` and `height`, and the last
   * of our inputs it applied (`ack`). `frozen`: the server is not moving paddles now.
   */
  reconcile({ y, height, ack = 0, frozen = false }, t) {
    const shown = this.display(t);
    if (height) this.height = height;
    if (ack > this.lastAck) {
      // The newest input this snapshot is the first to acknowledge gives an RTT sample.
      const input = [...this.pending].reverse().find((each) => each.seq <= ack && each.seq > this.lastAck);
      if (input) {
        const sample = Math.max(0, t - input.t);
        this.rtt = this.rttSamples ? this.rtt * 0.8 + sample * 0.2 : sample;
        this.rttSamples += 1;
      }
      this.lastAck = ack;
    }
    const applied = this.pending.filter((each) => each.seq <= ack);
    if (applied.length) this.ackedDir = applied[applied.length - 1].dir;
    this.pending = this.pending.filter((each) => each.seq > ack);
    this.frozen = frozen;
    this.base = { t: frozen ? t : t - this.rtt, y, dir: this.ackedDir };
    const predicted = this.predict(t);
    const error = shown - predicted;
    this.offset = Math.abs(error) > SNAP || frozen ? 0 : error;
    this.offsetAt = t;
    return predicted;
  }
}
