// The profile's "Statistics" section: totals and streaks, and the latest matches (each
// linking to its dashboard) from the profile's `extras`, which it claims from the shell.

import { h } from "@transcendence/shell";

import { num, pct, tile, streakText, historyTable } from "./parts.js";

// What this module puts in the profile's `extras` (hooks.py), shown here, not by the shell.
export const PROFILE_EXTRAS = ["stats", "matches", "matches_total"];

/** The profile's "Statistics" section, from the profile's `extras` (none without them). */
export function profileSection(shell, profile) {
  const extras = profile.extras || {};
  const summary = extras.stats;
  if (!summary) return null;
  const t = (k, p) => shell.t(k, p);
  const lines = extras.matches || [];
  const total = extras.matches_total ?? lines.length;
  const mine = profile.id === shell.user?.id;
  const holder = h("div", { class: "stats-profile", id: "stats-profile" });
  holder.append(
    h(
      "div",
      { class: "d-flex flex-wrap align-items-center justify-content-between gap-2 mb-3" },
      h("h2", { class: "h6 text-uppercase text-body-secondary mb-0", text: t("stats.profile_section") }),
      h("a", { class: "btn btn-sm btn-outline-light", href: mine ? "/stats" : `/stats/users/${profile.id}`, id: "stats-profile-link", text: t("stats.profile_open") }),
    ),
  );
  if (!total && !summary.games) {
    holder.append(h("p", { class: "text-body-secondary mb-0", id: "stats-profile-empty", text: t("stats.history_none") }));
    return holder;
  }
  if (summary.games) {
    const cols = "col-6 col-sm-4";
    const streak = summary.best_streak ? t("stats.streak_wins", { count: summary.best_streak }) : t("stats.streak_none");
    holder.append(
      h(
        "div",
        { class: "row g-2 mb-4", id: "stats-profile-tiles" },
        tile(t("stats.games"), num(summary.games), "games", cols),
        tile(t("stats.wins"), num(summary.wins), "wins", cols),
        tile(t("stats.losses"), num(summary.losses), "losses", cols),
        tile(t("stats.win_rate"), pct(summary.win_rate), "win_rate", cols),
        tile(t("stats.current_streak"), streakText(t, summary.current_streak), "current_streak", cols),
        tile(t("stats.best_streak"), streak, "best_streak", cols),
      ),
    );
  }
  holder.append(h("h2", { class: "h6 text-uppercase text-body-secondary", text: t("stats.history_title") }));
  if (lines.length) holder.append(historyTable(t, lines, { id: "stats-history", caption: t("stats.history_title") }).box);
  if (total > lines.length) {
    holder.append(
      h(
        "div",
        { class: "d-flex flex-wrap align-items-center justify-content-between gap-2 mt-2" },
        h("p", { class: "small text-body-secondary mb-0", id: "stats-history-count", text: t("stats.history_shown", { shown: lines.length, count: total }) }),
        h("a", { class: "btn btn-sm btn-primary", href: `/stats/users/${profile.id}/matches`, id: "stats-history-all", text: t("stats.history_all") }),
      ),
    );
  }
  return holder;
}
