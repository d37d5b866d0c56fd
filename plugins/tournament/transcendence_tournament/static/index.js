// The tournament module's browser entry (see docs/tournament.md, "Browser"):
//   /tournaments                the list: mine, open online ones, running, finished
//   /tournaments/local/new      a local tournament at one keyboard (3–16 aliases)
//   /tournaments/online/new     an online tournament
//   /tournaments/<id>           the bracket or round-robin table, the next match, the winner
// and, on every page, a toast when one of my online matches is called.

import { makeCreateView } from "./create.js";
import { STRINGS } from "./i18n.js";
import { makeListView } from "./list.js";
import { makeLocalView } from "./local.js";
import { makeTournamentView, matchUrl } from "./view.js";

let stopCalls = null;

export function register(shell) {
  for (const [lang, entries] of Object.entries(STRINGS)) shell.addTranslations(lang, entries);
  shell.addStylesheet("tournament.css");
  shell.addRoute("/tournaments", makeListView(shell));
  shell.addRoute("/tournaments/local/new", makeLocalView(shell));
  shell.addRoute("/tournaments/online/new", makeCreateView(shell));
  shell.addRoute("/tournaments/:id(\\d+)", makeTournamentView(shell));
  shell.addNav({ href: "/tournaments", label: "tournament.nav", order: 15 });

  // "Your match against X is ready": a toast leading to the game, wherever I am.
  if (stopCalls) stopCalls();
  stopCalls = shell.realtime.on("tournament.match_ready", (data) => {
    if (!data || !data.match_id) return;
    shell.toast({
      title: shell.t("tournament.match_ready_title"),
      body: shell.t("tournament.match_ready", { opponent: data.opponent || "" }),
      href: matchUrl(data.tournament_id, data.match_id),
      kind: "success",
      delay: 30_000,
    });
  });
}

export function unregister() {
  if (stopCalls) stopCalls();
  stopCalls = null;
}
