// Sound effects made with the Web Audio API (no audio files): short tones for a paddle
// hit, a wall bounce, a point, a win and a loss. Every sound goes through one master gain,
// which the mute control sets to 0; muting is remembered per user (localStorage, not a
// secret). The graph is exposed on `Sounds.graph` for tests (they assert on it, not by ear).

const TONES = {
  paddle: [[440, 0.06]],
  wall: [[220, 0.05]],
  point: [[660, 0.1], [520, 0.12]],
  win: [[523, 0.12], [659, 0.12], [784, 0.2]],
  lose: [[392, 0.15], [311, 0.25]],
};

const key = (userId) => `transcendence.pong.muted.${userId || "anonymous"}`;

export class Sounds {
  constructor(userId) {
    this.userId = userId;
    this.muted = localStorage.getItem(key(userId)) === "1";
    this.context = null;
    this.master = null;
    this.played = 0;
  }

  /** The audio graph, built at the first sound (browsers start it after a gesture). */
  get graph() {
    if (!this.context) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      this.context = new Context();
      this.master = this.context.createGain();
      this.master.gain.value = this.muted ? 0 : 0.25;
      this.master.connect(this.context.destination);
    }
    return { context: this.context, master: this.master };
  }

  setMuted(muted) {
    this.muted = muted;
    localStorage.setItem(key(this.userId), muted ? "1" : "0");
    const graph = this.graph;
    if (graph) graph.master.gain.value = muted ? 0 : 0.25;
  }

  play(name) {
    const graph = this.graph;
    const tones = TONES[name];
    if (!graph || !tones) return;
    this.played += 1;
    let at = graph.context.currentTime;
    for (const [frequency, length] of tones) {
      const oscillator = graph.context.createOscillator();
      const envelope = graph.context.createGain();
      oscillator.type = "square";
      oscillator.frequency.value = frequency;
      envelope.gain.setValueAtTime(1, at);
      envelope.gain.exponentialRampToValueAtTime(0.001, at + length);
      oscillator.connect(envelope).connect(graph.master);
      oscillator.start(at);
      oscillator.stop(at + length);
      at += length;
    }
  }

  close() {
    if (this.context) this.context.close().catch(() => {});
    this.context = null;
  }
}
