// The tournament module's browser entry (see docs/tournament.md, "Browser"):
//   /tournaments                the list: mine, open online ones, running, finished
//   /tournaments/local/new      a local tournament at one keyboard (3–16 aliases)
//   /tournaments/online/new     an online tournament
//   /tournaments/<id>           the bracket or round-robin table, the next match, the winner
// and, on every page, the toast of the notification that one of my online matches is called
// (leading to the game).

import { CreateOnlineView } from "./create.js";
import { TournamentListView } from "./list.js";
import { LocalTournamentView } from "./local.js";
import { matchUrl, TournamentView } from "./view.js";

export async function register(shell) {
  await shell.loadStrings();
  shell.addStylesheet("tournament.css");
  shell.addRoute("/tournaments", TournamentListView);
  shell.addRoute("/tournaments/local/new", LocalTournamentView);
  shell.addRoute("/tournaments/online/new", CreateOnlineView);
  shell.addRoute("/tournaments/:id(\\d+)", TournamentView);
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
  shell.onRealtime("tournament.match_ready", (data) => {
    if (!data?.match_id) return;
    const url = matchUrl(data.tournament_id, data.match_id);
    if (location.pathname !== url.split("?")[0]) shell.navigate(url);
  });
}
