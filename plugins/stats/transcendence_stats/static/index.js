// The stats module's browser entry (docs/stats.md, "Browser"):
//   /stats                 my dashboard          /stats/users/:id   anyone's dashboard
//   /stats/matches/:id     a finished match      /leaderboard       ranked players (period, mode)
//   /stats/users/:id/matches   anyone's whole match history ("See all matches")
// plus the profile's "Statistics" section: totals and streaks, and the latest matches (each
// linking to its dashboard) from the profile's `extras`, which it claims from the shell.

import { COLORS, chartFigure, loadChartJs } from "./charts.js";

const MODES = ["local", "remote", "ai", "tournament"];
const PERIODS = ["all", "month", "week"];
// The main board ranks remote games by rating; the AI and tournament boards sit beside it.
const LEADERBOARD_MODES = ["remote", "ai", "tournament", "all"];

export async function register(shell) {
  await shell.loadStrings();
  shell.addStylesheet("stats.css");
  const { View, h } = shell;

  const lang = () => shell.i18n.lang;
  const num = (value, digits = 0) =>
    value === null || value === undefined ? "—" : new Intl.NumberFormat(lang(), { maximumFractionDigits: digits }).format(value);
  // A rating is a score, not a quantity: no thousands separator (1015, not 1,015).
  const rating = (value) => (value === null || value === undefined ? "—" : String(value));
  const pct = (value) =>
    value === null || value === undefined ? "—" : new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 1 }).format(value);
  const date = (iso) => (iso ? new Date(iso).toLocaleDateString(lang(), { year: "numeric", month: "short", day: "numeric" }) : "—");
  const shortDate = (iso) => (iso ? new Date(iso).toLocaleDateString(lang(), { dateStyle: "short" }) : "—");
  const dateTime = (iso) => (iso ? new Date(iso).toLocaleString(lang(), { dateStyle: "medium", timeStyle: "short" }) : "—");
  const duration = (seconds) => {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.round(seconds);
    const hours = Math.floor(s / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
  };
  const modeName = (mode) => (shell.i18n.has(`stats.mode.${mode}`) ? shell.t(`stats.mode.${mode}`) : mode);
  // A match's settings in the order of pong's lobby, each value in words and units.
  const SETTINGS = ["score_limit", "ball_speed", "ball_speed_max", "acceleration", "paddle_height", "powerups", "theme"];
  const settingValue = (key, value) => {
    if (typeof value === "boolean") return shell.t(value ? "stats.yes" : "stats.no");
    if (key === "ball_speed" || key === "ball_speed_max") return shell.t("stats.value.speed", { value: num(value) });
    if (key === "paddle_height") return shell.t("stats.value.units", { value: num(value) });
    if (key === "acceleration") return shell.t("stats.value.factor", { value: num(value, 2) });
    // Themes are pong's (this module requires it): its names for them.
    if (key === "theme" && shell.i18n.has(`pong.theme_${value}`)) return shell.t(`pong.theme_${value}`);
    return typeof value === "number" ? num(value, 2) : String(value);
  };
  const settingLabel = (key) => (shell.i18n.has(`stats.setting.${key}`) ? shell.t(`stats.setting.${key}`) : key);
  const settingOrder = (key) => (SETTINGS.includes(key) ? SETTINGS.indexOf(key) : SETTINGS.length);

  function tile(label, value, id, cols = "col-6 col-md-4 col-xl-3") {
    return h(
      "div",
      { class: cols },
      h("div", { class: "stat-tile h-100", dataset: id ? { stat: id } : {} }, h("div", { class: "stat-value", text: value }), h("div", { class: "stat-label", text: label })),
    );
  }

  function userLink(ref, text) {
    if (ref?.user_id) return h("a", { href: `/stats/users/${ref.user_id}`, text: text || shell.playerName(ref) });
    return h("span", { text: text || (ref ? shell.playerName(ref) : "—") });
  }

  function streakText(t, streak) {
    if (!streak?.result || !streak.length) return t("stats.streak_none");
    return t(streak.result === "win" ? "stats.streak_wins" : "stats.streak_losses", { count: streak.length });
  }

  /** "Win", "Loss by forfeit", "Not counted": a result said in words, with its colour. */
  function resultBadge(t, result, forfeit) {
    const colour = result === "won" ? "text-bg-success" : result === "lost" ? "text-bg-danger" : "text-bg-secondary";
    const key = result === "played" ? "stats.history.played" : `stats.history.${result}${forfeit ? "_forfeit" : ""}`;
    return h("span", { class: `badge text-wrap ${colour}`, dataset: { result, forfeit: String(Boolean(forfeit)) }, text: t(key) });
  }

  // Columns a phone has no room for: the date and mode go, and the score itself links to the
  // match's details instead of a button (only one of the two links is ever displayed).
  const WIDE = "d-none d-sm-table-cell";

  /** History lines (the profile's `extras.matches`, `/matches` pages) as table rows. */
  function historyRows(t, lines) {
    return lines.map((m) => {
      const href = `/stats/matches/${m.match_id}`;
      const opponent = shell.playerName({ user_id: m.opponent_user_id, name: m.opponent });
      const label = t("stats.match_details", { opponent, date: date(m.ended_at) });
      const score = `${m.points.scored}\u2013${m.points.conceded}`;
      return h(
        "tr",
        { dataset: { match: m.match_id } },
        h("td", { class: `text-nowrap ${WIDE}`, text: shortDate(m.ended_at) }),
        h("td", {}, m.opponent_user_id ? h("a", { href: `/users/${m.opponent_user_id}`, text: opponent }) : h("span", { text: opponent })),
        h("td", { class: "d-none d-md-table-cell", text: modeName(m.mode) }),
        h("td", { class: "text-nowrap" }, h("span", { class: "d-none d-sm-inline", text: score }), h("a", { class: "d-sm-none", href, "aria-label": label, text: score })),
        h("td", {}, resultBadge(t, m.result, m.forfeit)),
        h("td", { class: WIDE }, h("a", { class: "btn btn-sm btn-outline-light", href, text: t("stats.details"), "aria-label": label })),
      );
    });
  }

  function historyTable(t, lines, { id, caption }) {
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

  function recentTable(view, matches, caption) {
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
                  "aria-label": t("stats.match_details", { opponent: shell.playerName(m.opponent), date: date(m.ended_at) }),
                }),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // --- the user dashboard ----------------------------------------------------------------

  class UserStatsView extends View {
    userId() {
      return this.params.id ? Number(this.params.id) : this.user.id;
    }

    title() {
      return this.data && !this.mine ? this.t("stats.user_title", { name: this.data.user.display_name }) : this.t("stats.my_title");
    }

    async render() {
      const [data] = await Promise.all([this.api.get(`/api/stats/users/${this.userId()}`), loadChartJs(shell)]);
      this.data = data;
      this.mine = data.user.id === this.user.id;
      const t = (k, p) => this.t(k, p);
      const heading = this.mine ? t("stats.my_title") : t("stats.user_title", { name: data.user.display_name });
      document.title = `${heading} · Transcendence`;
      const header = this.header(heading, t("stats.user_lead"), h("a", { class: "btn btn-outline-light", href: `/users/${data.user.id}`, text: t("stats.profile_link") }));
      const tiles = h(
        "div",
        { class: "row g-3 mb-4", id: "stats-tiles" },
        tile(t("stats.games"), num(data.games), "games"),
        tile(t("stats.wins"), num(data.wins), "wins"),
        tile(t("stats.losses"), num(data.losses), "losses"),
        tile(t("stats.win_rate"), pct(data.win_rate), "win_rate"),
        tile(t("stats.current_streak"), streakText(t, data.current_streak), "current_streak"),
        tile(t("stats.best_streak"), num(data.best_streak), "best_streak"),
        tile(t("stats.points_scored"), num(data.points.scored), "points_scored"),
        tile(t("stats.points_conceded"), num(data.points.conceded), "points_conceded"),
        tile(t("stats.average_rally"), num(data.rallies.average_hits, 1), "average_rally"),
        tile(t("stats.longest_rally"), num(data.rallies.longest_hits), "longest_rally"),
        tile(t("stats.play_time"), duration(data.play_seconds), "play_time"),
        tile(t("stats.rating"), rating(data.rating.current), "rating"),
      );
      if (!data.games) {
        return h(
          "section",
          { class: "stats-page" },
          header,
          tiles,
          h("div", { class: "empty-state", id: "stats-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true", text: "▣" }), h("p", { class: "mb-0 text-body-secondary", text: t("stats.no_games") })),
        );
      }
      const charts = [this.ratingChart(data), this.modeChart(data), this.opponentChart(data)];
      return h(
        "section",
        { class: "stats-page" },
        header,
        tiles,
        h(
          "div",
          { class: "row g-3 mb-4" },
          charts.map((figure, i) => h("div", { class: i === 0 ? "col-12" : "col-12 col-lg-6" }, figure)),
        ),
        h(
          "div",
          { class: "card" },
          h("h2", { class: "card-header h6 mb-0", text: t("stats.recent_title") }),
          h("div", { class: "card-body" }, recentTable(this, data.recent_matches, t("stats.recent_title"))),
        ),
      );
    }

    ratingChart(data) {
      const t = (k, p) => this.t(k, p);
      const points = data.rating.points;
      const title = t("stats.rating_title");
      // The baseline first (the starting rating), then one point per remote game.
      const series = [{ rating: data.rating.initial }, ...points.map((p) => ({ rating: p.rating, at: p.at }))];
      const years = new Set(points.map((p) => new Date(p.at).getFullYear()));
      const thisYear = years.size === 1 && years.has(new Date().getFullYear());
      const dayFormat = new Intl.DateTimeFormat(lang(), thisYear ? { month: "short", day: "numeric" } : { dateStyle: "medium" });
      const day = (iso) => new Date(iso).toDateString(); // the reader's calendar day
      // One label per day, under its first game (several games a day would repeat it), and
      // no more labels than the axis has room for: the tooltips give each game's time.
      const firstOfDay = series.flatMap((p, i) => (i > 0 && (i === 1 || day(p.at) !== day(series[i - 1].at)) ? [i] : []));
      const figure = chartFigure(this, {
        id: "chart-rating",
        title,
        yTitle: t("stats.rating"),
        beginAtZero: false,
        config: {
          type: "line",
          data: {
            labels: series.map((p, i) => (i === 0 ? "" : dayFormat.format(new Date(p.at)))),
            datasets: [
              {
                label: t("stats.rating"),
                data: series.map((p) => p.rating),
                borderColor: COLORS.cyan,
                backgroundColor: "rgba(34, 211, 238, 0.15)",
                fill: true,
                tension: 0,
                pointRadius: points.length > 60 ? 0 : 3,
              },
            ],
          },
          options: {
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { title: (items) => (items[0].dataIndex === 0 ? t("stats.rating_start") : dateTime(series[items[0].dataIndex].at)) } },
            },
            scales: {
              y: { ticks: { callback: (value) => rating(value) } }, // 1015, not 1,015
              x: {
                ticks: { autoSkip: false },
                afterBuildTicks: (axis) => {
                  const room = Math.max(2, Math.floor((axis.width || 600) / 96));
                  const step = Math.ceil(firstOfDay.length / room);
                  axis.ticks = firstOfDay.filter((_, k) => k % step === 0).map((value) => ({ value }));
                },
              },
            },
          },
        },
        table: {
          head: [t("stats.date"), t("stats.rating")],
          rows: points.length ? points.map((p) => [dateTime(p.at), rating(p.rating)]) : [[t("stats.rating_none", { initial: data.rating.initial }), "—"]],
        },
      });
      return figure;
    }

    modeChart(data) {
      const t = (k, p) => this.t(k, p);
      const modes = data.by_mode.filter((m) => MODES.includes(m.mode));
      return chartFigure(this, {
        id: "chart-modes",
        title: t("stats.by_mode_title"),
        config: {
          type: "bar",
          data: {
            labels: modes.map((m) => modeName(m.mode)),
            datasets: [
              { label: t("stats.wins"), data: modes.map((m) => m.wins), backgroundColor: COLORS.cyan },
              { label: t("stats.losses"), data: modes.map((m) => m.losses), backgroundColor: COLORS.pink },
            ],
          },
          options: { scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } } },
        },
        table: {
          head: [t("stats.mode"), t("stats.games"), t("stats.wins"), t("stats.losses"), t("stats.win_rate")],
          rows: modes.map((m) => [modeName(m.mode), num(m.games), num(m.wins), num(m.losses), pct(m.win_rate)]),
        },
      });
    }

    opponentChart(data) {
      const t = (k, p) => this.t(k, p);
      const rows = data.top_opponents;
      return chartFigure(this, {
        id: "chart-opponents",
        title: t("stats.by_opponent_title"),
        config: {
          type: "bar",
          data: {
            labels: rows.map((o) => shell.playerName(o)),
            datasets: [
              { label: t("stats.wins"), data: rows.map((o) => o.wins), backgroundColor: COLORS.cyan },
              { label: t("stats.losses"), data: rows.map((o) => o.losses), backgroundColor: COLORS.pink },
            ],
          },
          options: { indexAxis: "y", scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } } },
        },
        table: {
          head: [t("stats.opponent"), t("stats.games"), t("stats.wins"), t("stats.losses"), t("stats.win_rate")],
          rows: rows.length ? rows.map((o) => [shell.playerName(o), num(o.games), num(o.wins), num(o.losses), pct(o.win_rate)]) : [[t("stats.no_opponents"), "", "", "", ""]],
        },
      });
    }
  }

  // --- the game-session dashboard --------------------------------------------------------

  class MatchStatsView extends View {
    title() {
      return this.data ? this.t("stats.match_title", { left: shell.playerName(this.data.match.left), right: shell.playerName(this.data.match.right) }) : this.t("stats.nav");
    }

    async render() {
      const [data] = await Promise.all([this.api.get(`/api/stats/matches/${encodeURIComponent(this.params.id)}`), loadChartJs(shell)]);
      this.data = data;
      const t = (k, p) => this.t(k, p);
      const m = data.match;
      const heading = t("stats.match_title", { left: shell.playerName(m.left), right: shell.playerName(m.right) });
      document.title = `${heading} · Transcendence`;
      const winner = m.winner ? shell.playerName(m[m.winner]) : "—";
      const settings = Object.entries(data.settings || {}).sort(([a], [b]) => settingOrder(a) - settingOrder(b));
      const side = (s, which) =>
        h(
          "div",
          { class: `stats-side stats-side-${which}` },
          h("div", { class: "stats-side-name" }, userLink(s)),
          h("div", { class: "stats-side-score", text: String(m.score[which]) }),
        );
      return h(
        "section",
        { class: "stats-page" },
        this.header(heading, t("stats.match_lead", { mode: modeName(m.mode), date: dateTime(m.ended_at) })),
        h(
          "div",
          { class: "card mb-4 stats-scoreboard", id: "stats-scoreboard" },
          h(
            "div",
            { class: "card-body d-flex align-items-center justify-content-center gap-4" },
            side(m.left, "left"),
            h("div", { class: "stats-vs", "aria-hidden": "true", text: "–" }),
            side(m.right, "right"),
          ),
        ),
        h(
          "div",
          { class: "row g-3 mb-4", id: "stats-tiles" },
          tile(t("stats.winner"), m.forfeit && m.winner ? t("stats.winner_forfeit", { name: winner }) : winner, "winner"),
          tile(t("stats.duration"), duration(data.duration_seconds), "duration"),
          tile(t("stats.wall_time"), duration(data.wall_seconds), "wall_time"),
          tile(t("stats.rallies"), num(data.summary.rallies), "rallies"),
          tile(t("stats.total_hits"), num(data.summary.total_hits), "total_hits"),
          tile(t("stats.longest_rally"), num(data.summary.longest_rally_hits), "longest_rally"),
          tile(t("stats.average_rally"), num(data.summary.average_rally_hits, 1), "average_rally"),
          tile(t("stats.max_speed"), num(data.summary.max_speed), "max_speed"),
        ),
        h(
          "div",
          { class: "row g-3 mb-4" },
          [this.scoreChart(data), this.rallyChart(data), this.speedChart(data), this.hitsChart(data)].map((f) => h("div", { class: "col-12 col-lg-6" }, f)),
        ),
        settings.length
          ? h(
              "div",
              { class: "card" },
              h("h2", { class: "card-header h6 mb-0", text: t("stats.settings_title") }),
              h(
                "div",
                { class: "card-body" },
                h(
                  "table",
                  { class: "table table-sm mb-0", id: "stats-settings" },
                  h("caption", { class: "visually-hidden", text: t("stats.settings_title") }),
                  h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("stats.setting") }), h("th", { scope: "col", text: t("stats.value") }))),
                  h(
                    "tbody",
                    {},
                    settings.map(([key, value]) =>
                      h(
                        "tr",
                        {},
                        h("th", { scope: "row", class: "fw-normal", text: settingLabel(key) }),
                        h("td", { dataset: { setting: key }, text: settingValue(key, value) }),
                      ),
                    ),
                  ),
                ),
              ),
            )
          : null,
      );
    }

    scoreChart(data) {
      const t = (k, p) => this.t(k, p);
      const m = data.match;
      const points = data.score_over_time;
      return chartFigure(this, {
        id: "chart-score",
        title: t("stats.score_title"),
        xTitle: t("stats.time"),
        config: {
          type: "line",
          data: {
            labels: points.map((p) => num(p.t, 1)),
            datasets: [
              { label: shell.playerName(m.left), data: points.map((p) => p.left), borderColor: COLORS.cyan, backgroundColor: COLORS.cyan, stepped: true },
              { label: shell.playerName(m.right), data: points.map((p) => p.right), borderColor: COLORS.pink, backgroundColor: COLORS.pink, stepped: true },
            ],
          },
          options: { scales: { y: { ticks: { precision: 0 } } } },
        },
        table: {
          head: [t("stats.rally_number"), t("stats.time"), shell.playerName(m.left), shell.playerName(m.right)],
          rows: points.map((p) => [String(p.rally), num(p.t, 1), String(p.left), String(p.right)]),
        },
      });
    }

    rallyChart(data) {
      const t = (k, p) => this.t(k, p);
      const rallies = data.rallies;
      return chartFigure(this, {
        id: "chart-rallies",
        title: t("stats.rally_title"),
        xTitle: t("stats.rally_number"),
        yTitle: t("stats.hits"),
        config: {
          type: "bar",
          data: {
            labels: rallies.map((r) => String(r.rally)),
            datasets: [
              {
                label: t("stats.hits"),
                data: rallies.map((r) => r.hits),
                backgroundColor: rallies.map((r) => (r.winner === "right" ? COLORS.pink : r.winner === "left" ? COLORS.cyan : COLORS.grey)),
              },
            ],
          },
          options: { plugins: { legend: { display: false } }, scales: { y: { ticks: { precision: 0 } } } },
        },
        table: {
          head: [t("stats.rally_number"), t("stats.hits"), t("stats.seconds"), t("stats.winner")],
          rows: rallies.map((r) => [String(r.rally), num(r.hits), num(r.seconds, 1), r.winner ? shell.playerName(data.match[r.winner]) : "—"]),
        },
      });
    }

    speedChart(data) {
      const t = (k, p) => this.t(k, p);
      const rallies = data.rallies;
      return chartFigure(this, {
        id: "chart-speed",
        title: t("stats.speed_title"),
        xTitle: t("stats.rally_number"),
        yTitle: t("stats.speed"),
        config: {
          type: "line",
          data: {
            labels: rallies.map((r) => String(r.rally)),
            datasets: [{ label: t("stats.speed"), data: rallies.map((r) => r.max_speed), borderColor: COLORS.amber, backgroundColor: COLORS.amber }],
          },
          options: { plugins: { legend: { display: false } } },
        },
        table: {
          head: [t("stats.rally_number"), t("stats.speed")],
          rows: rallies.map((r) => [String(r.rally), num(r.max_speed)]),
        },
      });
    }

    hitsChart(data) {
      const t = (k, p) => this.t(k, p);
      const m = data.match;
      return chartFigure(this, {
        id: "chart-hits",
        title: t("stats.hits_title"),
        config: {
          type: "bar",
          data: {
            labels: [shell.playerName(m.left), shell.playerName(m.right)],
            datasets: [{ label: t("stats.hits"), data: [data.hits.left, data.hits.right], backgroundColor: [COLORS.cyan, COLORS.pink] }],
          },
          options: { plugins: { legend: { display: false } }, scales: { y: { ticks: { precision: 0 } } } },
        },
        table: {
          head: [t("stats.player"), t("stats.hits")],
          rows: [
            [shell.playerName(m.left), num(data.hits.left)],
            [shell.playerName(m.right), num(data.hits.right)],
          ],
        },
      });
    }
  }

  // --- the leaderboard -------------------------------------------------------------------

  class LeaderboardView extends View {
    title() {
      return this.t("stats.leaderboard_title");
    }

    async render() {
      const t = (k, p) => this.t(k, p);
      this.period = PERIODS.includes(this.query.get("period")) ? this.query.get("period") : "all";
      this.mode = LEADERBOARD_MODES.includes(this.query.get("mode")) ? this.query.get("mode") : "remote";
      const page = await this.fetchPage(null);
      const select = (name, label, values, current, text) => {
        const id = `leaderboard-${name}`;
        return h(
          "div",
          { class: "col-12 col-sm-6 col-md-4" },
          h("label", { class: "form-label", for: id, text: label }),
          h(
            "select",
            { class: "form-select", id, name, onchange: () => this.filtersChanged() },
            values.map((v) => h("option", { value: v, selected: v === current, text: text(v) })),
          ),
        );
      };
      this.form = h(
        "form",
        { class: "row g-3 mb-4 stats-filters", "aria-label": t("stats.leaderboard_title"), onsubmit: (e) => e.preventDefault() },
        select("period", t("stats.period"), PERIODS, this.period, (v) => t(`stats.period.${v}`)),
        select("mode", t("stats.mode"), LEADERBOARD_MODES, this.mode, (v) => t(`stats.mode_filter.${v}`)),
      );
      this.body = h("tbody", {});
      this.more = h("button", { class: "btn btn-outline-light", type: "button", id: "leaderboard-more", text: t("stats.more"), onclick: () => this.loadMore() });
      this.appendRows(page);
      const byRating = page.ranked_by === "rating";
      const table = h(
        "table",
        { class: "table align-middle stats-leaderboard mb-0", id: "leaderboard" },
        h("caption", { class: "visually-hidden", text: `${t("stats.leaderboard_title")}: ${t(`stats.period.${this.period}`)}, ${t(`stats.mode_filter.${this.mode}`)}` }),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            [t("stats.rank"), t("stats.player"), t("stats.rating"), t("stats.games"), t("stats.wins"), t("stats.losses"), t("stats.win_rate")].map((c) => h("th", { scope: "col", text: c })),
          ),
        ),
        this.body,
      );
      return h(
        "section",
        { class: "stats-page" },
        this.header(t("stats.leaderboard_title"), t(byRating ? "stats.leaderboard_lead_rating" : "stats.leaderboard_lead_wins")),
        this.form,
        page.items.length
          ? h("div", { class: "card" }, h("div", { class: "card-body table-responsive" }, table), h("div", { class: "card-footer text-center" }, this.more))
          : h("div", { class: "empty-state", id: "leaderboard-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true", text: "▣" }), h("p", { class: "mb-0 text-body-secondary", text: t("stats.leaderboard_empty") })),
      );
    }

    fetchPage(cursor) {
      const query = { period: this.period, mode: this.mode, limit: 20 };
      if (cursor) query.cursor = cursor;
      return this.api.get("/api/stats/leaderboard", { query });
    }

    appendRows(page) {
      const me = this.user.id;
      for (const row of page.items) {
        this.body.append(
          h(
            "tr",
            { class: row.user.id === me ? "table-active" : null, dataset: { user: String(row.user.id) } },
            h("th", { scope: "row", text: `#${row.rank}` }),
            h(
              "td",
              {},
              h("a", { href: `/stats/users/${row.user.id}`, text: row.user.display_name }),
              row.user.id === me ? h("span", { class: "badge text-bg-secondary ms-2", text: this.t("stats.you") }) : null,
            ),
            h("td", { text: rating(row.rating) }),
            h("td", { text: num(row.games) }),
            h("td", { text: num(row.wins) }),
            h("td", { text: num(row.losses) }),
            h("td", { text: pct(row.win_rate) }),
          ),
        );
      }
      this.cursor = page.next_cursor;
      this.more.hidden = !this.cursor;
    }

    async loadMore() {
      this.more.disabled = true;
      try {
        this.appendRows(await this.fetchPage(this.cursor));
      } catch (error) {
        shell.toast({ title: this.t("errors.title"), body: shell.errorMessage(error), kind: "danger" });
      } finally {
        this.more.disabled = false;
      }
    }

    filtersChanged() {
      const period = this.form.elements.period.value;
      const mode = this.form.elements.mode.value;
      const query = new URLSearchParams();
      if (period !== "all") query.set("period", period);
      if (mode !== "remote") query.set("mode", mode);
      const qs = query.toString();
      shell.navigate(`/leaderboard${qs ? `?${qs}` : ""}`, { replace: true });
    }
  }

  // --- the whole match history --------------------------------------------------------

  class MatchHistoryView extends View {
    title() {
      return this.data && !this.mine ? this.t("stats.history_user_title", { name: this.data.user.display_name }) : this.t("stats.history_my_title");
    }

    async render() {
      const t = (k, p) => this.t(k, p);
      const page = await this.fetchPage(null);
      this.data = page;
      this.mine = page.user.id === this.user.id;
      const heading = this.title();
      document.title = `${heading} · Transcendence`;
      const header = this.header(
        heading,
        t("stats.history_lead", { count: page.total }),
        h("a", { class: "btn btn-outline-light", href: `/users/${page.user.id}`, text: t("stats.profile_link") }),
        h("a", { class: "btn btn-outline-light", href: this.mine ? "/stats" : `/stats/users/${page.user.id}`, text: t("stats.dashboard_link") }),
      );
      if (!page.items.length) {
        return h(
          "section",
          { class: "stats-page" },
          header,
          h("div", { class: "empty-state", id: "stats-history-empty" }, h("div", { class: "empty-icon", "aria-hidden": "true", text: "▣" }), h("p", { class: "mb-0 text-body-secondary", text: t("stats.history_none") })),
        );
      }
      const { box, body } = historyTable(t, page.items, { id: "stats-history", caption: heading });
      this.body = body;
      this.more = h("button", { class: "btn btn-outline-light", type: "button", id: "stats-history-more", text: t("stats.more"), onclick: () => this.loadMore() });
      this.footer = h("div", { class: "card-footer text-center" }, this.more);
      this.footer.hidden = !page.next_cursor;
      this.cursor = page.next_cursor;
      return h("section", { class: "stats-page" }, header, h("div", { class: "card" }, h("div", { class: "card-body" }, box), this.footer));
    }

    fetchPage(cursor) {
      const query = { limit: 20 };
      if (cursor) query.cursor = cursor;
      return this.api.get(`/api/stats/users/${Number(this.params.id)}/matches`, { query });
    }

    async loadMore() {
      this.more.disabled = true;
      try {
        const page = await this.fetchPage(this.cursor);
        this.body.append(...historyRows((k, p) => this.t(k, p), page.items));
        this.cursor = page.next_cursor;
        this.footer.hidden = !this.cursor;
      } catch (error) {
        shell.toast({ title: this.t("errors.title"), body: shell.errorMessage(error), kind: "danger" });
      } finally {
        this.more.disabled = false;
      }
    }
  }

  // --- the profile section ---------------------------------------------------------------

  // What this module puts in the profile's `extras` (hooks.py), shown here, not by the shell.
  const PROFILE_EXTRAS = ["stats", "matches", "matches_total"];

  shell.addProfileSection(
    (profile) => {
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
    },
    { extras: PROFILE_EXTRAS },
  );

  shell.addRoute("/stats", UserStatsView);
  shell.addRoute("/stats/users/:id(\\d+)", UserStatsView);
  shell.addRoute("/stats/users/:id(\\d+)/matches", MatchHistoryView);
  shell.addRoute("/stats/matches/:id", MatchStatsView);
  shell.addRoute("/leaderboard", LeaderboardView);
  shell.addNav({ href: "/stats", label: "stats.nav", order: 30 });
  shell.addNav({ href: "/leaderboard", label: "stats.leaderboard_nav", order: 35 });
}
