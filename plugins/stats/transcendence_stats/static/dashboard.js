// /stats and /stats/users/:id: a player's dashboard (totals, rating over time, modes, recent
// matches).

import { h, View } from "@transcendence/shell";

import { COLORS, chartFigure, loadChartJs } from "./charts.js";
import { MODES, lang, num, rating, pct, dateTime, duration, modeName, tile, streakText, recentTable } from "./parts.js";

export class UserStatsView extends View {
  userId() {
    return this.params.id ? Number(this.params.id) : this.user.id;
  }

  title() {
    return this.data && !this.mine ? this.t("stats.user_title", { name: this.data.user.display_name }) : this.t("stats.my_title");
  }

  async render() {
    const [data] = await Promise.all([this.api.get(`/api/stats/users/${this.userId()}`), loadChartJs(this.shell)]);
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
          labels: rows.map((o) => o.name),
          datasets: [
            { label: t("stats.wins"), data: rows.map((o) => o.wins), backgroundColor: COLORS.cyan },
            { label: t("stats.losses"), data: rows.map((o) => o.losses), backgroundColor: COLORS.pink },
          ],
        },
        options: { indexAxis: "y", scales: { x: { stacked: true, ticks: { precision: 0 } }, y: { stacked: true } } },
      },
      table: {
        head: [t("stats.opponent"), t("stats.games"), t("stats.wins"), t("stats.losses"), t("stats.win_rate")],
        rows: rows.length ? rows.map((o) => [o.name, num(o.games), num(o.wins), num(o.losses), pct(o.win_rate)]) : [[t("stats.no_opponents"), "", "", "", ""]],
      },
    });
  }
}
