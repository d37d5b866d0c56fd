// What the stats views and the profile section share: numbers, dates and durations in the
// reader's language, match settings in words, tiles, links and the match-history tables.

import { h, i18n, t } from "@transcendence/shell";

export const MODES = ["local", "remote", "ai", "tournament"];
export const PERIODS = ["all", "month", "week"];
// The main board ranks remote games by rating; the AI and tournament boards sit beside it.
export const LEADERBOARD_MODES = ["remote", "ai", "tournament", "all"];

export const lang = () => i18n.lang;
export const num = (value, digits = 0) =>
  value === null || value === undefined ? "—" : new Intl.NumberFormat(lang(), { maximumFractionDigits: digits }).format(value);
// A rating is a score, not a quantity: no thousands separator (1015, not 1,015).
export const rating = (value) => (value === null || value === undefined ? "—" : String(value));
export const pct = (value) =>
  value === null || value === undefined ? "—" : new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 1 }).format(value);
export const date = (iso) => (iso ? new Date(iso).toLocaleDateString(lang(), { year: "numeric", month: "short", day: "numeric" }) : "—");
export const shortDate = (iso) => (iso ? new Date(iso).toLocaleDateString(lang(), { dateStyle: "short" }) : "—");
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString(lang(), { dateStyle: "medium", timeStyle: "short" }) : "—");
export const duration = (seconds) => {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
};
export const modeName = (mode) => (i18n.has(`stats.mode.${mode}`) ? t(`stats.mode.${mode}`) : mode);
// A match's settings in the order of pong's lobby, each value in words and units.
export const SETTINGS = ["score_limit", "ball_speed", "ball_speed_max", "acceleration", "paddle_height", "powerups", "theme"];
export const settingValue = (key, value) => {
  if (typeof value === "boolean") return t(value ? "stats.yes" : "stats.no");
  if (key === "ball_speed" || key === "ball_speed_max") return t("stats.value.speed", { value: num(value) });
  if (key === "paddle_height") return t("stats.value.units", { value: num(value) });
  if (key === "acceleration") return t("stats.value.factor", { value: num(value, 2) });
  // Themes are pong's (this module requires it): its names for them.
  if (key === "theme" && i18n.has(`pong.theme_${value}`)) return t(`pong.theme_${value}`);
  return typeof value === "number" ? num(value, 2) : String(value);
};
export const settingLabel = (key) => (i18n.has(`stats.setting.${key}`) ? t(`stats.setting.${key}`) : key);
export const settingOrder = (key) => (SETTINGS.includes(key) ? SETTINGS.indexOf(key) : SETTINGS.length);

export function tile(label, value, id, cols = "col-6 col-md-4 col-xl-3") {
  return h(
    "div",
    { class: cols },
    h("div", { class: "stat-tile h-100", dataset: id ? { stat: id } : {} }, h("div", { class: "stat-value", text: value }), h("div", { class: "stat-label", text: label })),
  );
}

export function userLink(ref, text) {
  if (ref?.user_id) return h("a", { href: `/stats/users/${ref.user_id}`, text: text || ref.name });
  return h("span", { text: text || (ref ? ref.name : "—") });
}

export function streakText(t, streak) {
  if (!streak?.result || !streak.length) return t("stats.streak_none");
  return t(streak.result === "win" ? "stats.streak_wins" : "stats.streak_losses", { count: streak.length });
}

/** "Win", "Loss by forfeit", "Not counted": a result said in words, with its colour. */
export function resultBadge(t, result, forfeit) {
  const colour = result === "won" ? "text-bg-success" : result === "lost" ? "text-bg-danger" : "text-bg-secondary";
  const key = result === "played" ? "stats.history.played" : `stats.history.${result}${forfeit ? "_forfeit" : ""}`;
  return h("span", { class: `badge text-wrap ${colour}`, dataset: { result, forfeit: String(Boolean(forfeit)) }, text: t(key) });
}

// Columns a phone has no room for: the date and mode go, and the score itself links to the
// match's details instead of a button (only one of the two links is ever displayed).
export const WIDE = "d-none d-sm-table-cell";

/** History lines (the profile's `extras.matches`, `/matches` pages) as table rows. */
export function historyRows(t, lines) {
  return lines.map((m) => {
    const href = `/stats/matches/${m.match_id}`;
    const label = t("stats.match_details", { opponent: m.opponent, date: date(m.ended_at) });
    const score = `${m.points.scored}\u2013${m.points.conceded}`;
    return h(
      "tr",
      { dataset: { match: m.match_id } },
      h("td", { class: `text-nowrap ${WIDE}`, text: shortDate(m.ended_at) }),
      h("td", {}, m.opponent_user_id ? h("a", { href: `/users/${m.opponent_user_id}`, text: m.opponent }) : h("span", { text: m.opponent })),
      h("td", { class: "d-none d-md-table-cell", text: modeName(m.mode) }),
      h("td", { class: "text-nowrap" }, h("span", { class: "d-none d-sm-inline", text: score }), h("a", { class: "d-sm-none", href, "aria-label": label, text: score })),
      h("td", {}, resultBadge(t, m.result, m.forfeit)),
      h("td", { class: WIDE }, h("a", { class: "btn btn-sm btn-outline-light", href, text: t("stats.details"), "aria-label": label })),
    );
  });
}

export function historyTable(t, lines, { id, caption }) {
  const body = h("tbody", {}, historyRows(t, lines));
  const table = h(
    "table",
    { class: "table table-sm align-middle stats-recent mb-0", id },
    h("caption", { class: "visually-hidden", text: caption }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [t("stats.date"), t("stats.opponent"), t("stats.mode"), t("stats.score"), t("stats.result"), t("stats.details")].map((c, i) =>
          h("th", { scope: "col", class: i === 2 ? "d-none d-md-table-cell" : i === 0 || i === 5 ? WIDE : null, text: c }),
        ),
      ),
    ),
    body,
  );
  return { box: h("div", { class: "table-responsive" }, table), body };
}

export function recentTable(view, matches, caption) {
  const t = (k, p) => view.t(k, p);
  return h(
    "div",
    { class: "table-responsive" },
    h(
      "table",
      { class: "table table-sm align-middle stats-recent mb-0", id: "stats-recent" },
      h("caption", { class: "visually-hidden", text: caption }),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [t("stats.date"), t("stats.opponent"), t("stats.mode"), t("stats.score"), t("stats.result"), t("stats.details")].map((c, i) =>
            h("th", { scope: "col", class: i === 2 ? "d-none d-md-table-cell" : null, text: c }),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        matches.map((m) =>
          h(
            "tr",
            { dataset: { match: m.match_id } },
            h("td", { class: "text-nowrap", text: shortDate(m.ended_at) }),
            h("td", {}, userLink(m.opponent)),
            h("td", { class: "d-none d-md-table-cell", text: modeName(m.mode) }),
            h("td", { class: "text-nowrap", text: `${m.score.scored}–${m.score.conceded}` }),
            h("td", {}, resultBadge(t, m.result === "win" ? "won" : "lost", m.forfeit)),
            h(
              "td",
              {},
              h("a", {
                class: "btn btn-sm btn-outline-light",
                href: `/stats/matches/${m.match_id}`,
                text: t("stats.details"),
                "aria-label": t("stats.match_details", { opponent: m.opponent.name, date: date(m.ended_at) }),
              }),
            ),
          ),
        ),
      ),
    ),
  );
}
