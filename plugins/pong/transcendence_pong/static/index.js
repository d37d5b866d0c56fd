// The pong module's browser entry (the canvas game view arrives with the SPA work).
export function register(shell) {
  if (shell && typeof shell.addNav === "function") {
    shell.addNav({ path: "/play", label: "nav.play" });
  }
}
