// /stats/matches/:id: one finished match (score, rallies, speed, hits, its settings).

import { h, View } from "@transcendence/shell";

import { COLORS, chartFigure, loadChartJs } from "./charts.js";
import { num, dateTime, duration, modeName, settingValue, settingLabel, settingOrder, tile, userLink } from "./parts.js";

export class MatchStatsView extends View {
  title() {
    return this.data ? this.t("stats.match_title", { left: this.data.match.left.name, right: this.data.match.right.name }) : this.t("stats.nav");
  }

  async render() {
    const [data] = await Promise.all([this.api.get(`/api/stats/matches/${encodeURIComponent(this.params.id)}`), loadChartJs(this.shell)]);
    this.data = data;
    const t = (k, p) => this.t(k, p);
    const m = data.match;
    const heading = t("stats.match_title", { left: m.left.name, right: m.right.name });
    document.title = `${heading} · Transcendence`;
    const winner = m.winner ? m[m.winner].name : "—";
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
            { label: m.left.name, data: points.map((p) => p.left), borderColor: COLORS.cyan, backgroundColor: COLORS.cyan, stepped: true },
            { label: m.right.name, data: points.map((p) => p.right), borderColor: COLORS.pink, backgroundColor: COLORS.pink, stepped: true },
          ],
        },
        options: { scales: { y: { ticks: { precision: 0 } } } },
      },
      table: {
        head: [t("stats.rally_number"), t("stats.time"), m.left.name, m.right.name],
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
        rows: rallies.map((r) => [String(r.rally), num(r.hits), num(r.seconds, 1), r.winner ? data.match[r.winner].name : "—"]),
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
          labels: [m.left.name, m.right.name],
          datasets: [{ label: t("stats.hits"), data: [data.hits.left, data.hits.right], backgroundColor: [COLORS.cyan, COLORS.pink] }],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { ticks: { precision: 0 } } } },
      },
      table: {
        head: [t("stats.player"), t("stats.hits")],
        rows: [
          [m.left.name, num(data.hits.left)],
          [m.right.name, num(data.hits.right)],
        ],
      },
    });
  }
}
