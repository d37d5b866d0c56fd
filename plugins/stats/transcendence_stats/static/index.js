// The stats module's browser entry (docs/stats.md, "Browser"):
//   /stats                 my dashboard          /stats/users/:id   anyone's dashboard
//   /stats/matches/:id     a finished match      /leaderboard       ranked players (period, mode)
//   /stats/users/:id/matches   anyone's whole match history ("See all matches")
// plus the profile's "Statistics" section: totals and streaks, and the latest matches (each
// linking to its dashboard) from the profile's `extras`, which it claims from the shell.
// One file per view (dashboard.js, match.js, leaderboard.js, history.js), the profile section
// (profile.js) and what they share (parts.js, charts.js).

import { MatchStatsView } from "./match.js";
import { LeaderboardView } from "./leaderboard.js";
import { MatchHistoryView } from "./history.js";
import { PROFILE_EXTRAS, profileSection } from "./profile.js";
import { UserStatsView } from "./dashboard.js";

export async function register(shell) {
  await shell.loadStrings();
  shell.addStylesheet("stats.css");
  shell.addProfileSection((profile) => profileSection(shell, profile), { extras: PROFILE_EXTRAS });
  shell.addRoute("/stats", UserStatsView);
  shell.addRoute("/stats/users/:id(\\d+)", UserStatsView);
  shell.addRoute("/stats/users/:id(\\d+)/matches", MatchHistoryView);
  shell.addRoute("/stats/matches/:id", MatchStatsView);
  shell.addRoute("/leaderboard", LeaderboardView);
  shell.addNav({ href: "/stats", label: "stats.nav", order: 30 });
  shell.addNav({ href: "/leaderboard", label: "stats.leaderboard_nav", order: 35 });
}
