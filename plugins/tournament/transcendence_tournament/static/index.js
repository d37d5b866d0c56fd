// The tournament module's browser entry (see docs/tournament.md, "Browser"):
//   /tournaments                the list: mine, open online ones, running, finished
//   /tournaments/local/new      a local tournament at one keyboard (3–16 aliases)
//   /tournaments/online/new     an online tournament
//   /tournaments/<id>           the bracket or round-robin table, the next match, the winner
// and, on every page, the toast of the notification that one of my online matches is called
// (leading to the game).

import { makeCreateView } from "./create.js";
import { makeListView } from "./list.js";
import { makeLocalView } from "./local.js";
import { makeTournamentView, matchUrl } from "./view.js";

let stopCalled = null;

export function unregister() {
  if (stopCalled) stopCalled();
  stopCalled = null;
}

export async function register(shell) {
  unregister();
  await shell.loadStrings();
  shell.addStylesheet("tournament.css");
  shell.addRoute("/tournaments", makeListView(shell));
  shell.addRoute("/tournaments/local/new", makeLocalView(shell));
  shell.addRoute("/tournaments/online/new", makeCreateView(shell));
  shell.addRoute("/tournaments/:id(\\d+)", makeTournamentView(shell));
  shell.addNav({ href: "/tournaments", label: "tournament.nav", order: 15 });

  // "Your match against X is ready": the notification's toast leads to the game.
  shell.addNotificationToast("tournament.match_ready", ({ data = {} }) => ({
    title: shell.t("tournament.match_ready_title"),
    body: shell.t("tournament.match_ready", { opponent: data.opponent || "" }),
    href: data.match_id ? matchUrl(data.tournament_id, data.match_id) : `/tournaments/${data.tournament_id}`,
    kind: "success",
    delay: 30_000,
  }));
  // A local tournament's next match or winner: the toast leads to the tournament (and is
  // closed on arriving there, instead of covering its standings).
  for (const kind of ["tournament.next", "tournament.finished"]) {
    shell.addNotificationToast(kind, ({ data = {} }) => ({
      title: shell.t("notify.generic_title"),
      body: shell.t(`notify.kind.${kind}`, data),
      href: `/tournaments/${encodeURIComponent(data.tournament_id)}`,
    }));
  }
  // A called match takes every tab of the player to its game (held until both are in).
  stopCalled = shell.realtime.on("tournament.match_ready", (data) => {
    if (!data?.match_id) return;
    const url = matchUrl(data.tournament_id, data.match_id);
    if (location.pathname !== url.split("?")[0]) shell.navigate(url);
  });
}
