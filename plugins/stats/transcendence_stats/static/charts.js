// Charts for the stats views: Chart.js (vendored at web/vendor/chartjs/, see web/vendor/README)
// loaded once with a <script src> under the versioned /static/<version>/ root, and a figure
// that pairs every chart with a table holding the same figures (for screen readers, and for
// anyone who prefers numbers: "Show the data as a table").

import { h } from "@transcendence/shell";

let loading = null;

/** window.Chart, loading the vendored UMD build the first time. */
export function loadChartJs(shell) {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      // shell.assetBase is /static/<version>/: cached for a year, renamed by each change.
      script.src = new URL("vendor/chartjs/chart.umd.min.js", shell.assetBase).href;
      script.dataset.owner = "stats";
      script.addEventListener("load", () => (window.Chart ? resolve(window.Chart) : reject(new Error("Chart.js did not load"))));
      script.addEventListener("error", () => {
        loading = null;
        script.remove();
        reject(new Error("the chart library could not be loaded"));
      });
      document.head.append(script);
    });
  }
  return loading;
}

// The theme's palette (web/css/app.css): the two paddles are cyan (left, wins) and pink.
export const COLORS = {
  cyan: "#22d3ee",
  pink: "#f472b6",
  green: "#22c55e",
  amber: "#f59e0b",
  grey: "#64748b",
  text: "#e2e8f0",
  muted: "#94a3b8",
  grid: "rgba(148, 163, 184, 0.16)",
};

function baseOptions(extra = {}) {
  const axis = (title) => ({
    ticks: { color: COLORS.muted, maxRotation: 0, autoSkip: true },
    grid: { color: COLORS.grid },
    border: { color: COLORS.grid },
    title: title ? { display: true, text: title, color: COLORS.muted } : { display: false },
  });
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false, // drawn at once: no motion to reduce, and what a screenshot shows
    color: COLORS.text,
    plugins: {
      legend: { labels: { color: COLORS.text, boxWidth: 14 } },
      tooltip: { enabled: true },
    },
    scales: { x: axis(extra.xTitle), y: { ...axis(extra.yTitle), beginAtZero: extra.beginAtZero ?? true } },
  };
}

/**
 * A <figure>: title, the chart's canvas (role="img" with a label pointing at the table),
 * and the table (visually hidden, in its box, until "Show the data as a table" is pressed).
 * `table` = {head: [..], rows: [[..], ..]}; `config` = a Chart.js config (type, data, options).
 * `view` owns the chart: it is destroyed when the view goes away.
 */
export function chartFigure(view, { id, title, config, table, xTitle, yTitle, beginAtZero }) {
  const tableId = `${id}-table`;
  const canvas = h("canvas", {
    id: `${id}-canvas`,
    class: "stats-canvas",
    role: "img",
    "aria-label": view.t("stats.chart_label", { title }),
    "aria-describedby": tableId,
  });
  const tableEl = h(
    "table",
    { class: "table table-sm table-striped stats-table mb-0", id: tableId, dataset: { chart: id } },
    h("caption", { class: "caption-top", text: title }),
    h("thead", {}, h("tr", {}, table.head.map((cell) => h("th", { scope: "col", text: cell })))),
    h(
      "tbody",
      {},
      table.rows.map((row) => h("tr", {}, row.map((cell, i) => (i === 0 ? h("th", { scope: "row", text: cell }) : h("td", { text: cell }))))),
    ),
  );
  // Hidden by its box, not by itself: a table is never narrower than its content, so a
  // visually-hidden table would still widen the page on a phone.
  const box = h("div", { class: "table-responsive mt-2 stats-table-box visually-hidden", id: `${tableId}-box` }, tableEl);
  const toggle = h("button", {
    class: "btn btn-link btn-sm p-0 stats-table-toggle",
    type: "button",
    "aria-controls": box.id,
    "aria-expanded": "false",
    text: view.t("stats.show_table"),
    onclick: () => {
      const shown = box.classList.toggle("visually-hidden") === false;
      toggle.setAttribute("aria-expanded", String(shown));
      toggle.textContent = view.t(shown ? "stats.hide_table" : "stats.show_table");
    },
  });
  const options = baseOptions({ xTitle, yTitle, beginAtZero });
  const merged = { ...config, options: deepMerge(options, config.options || {}) };
  const Chart = window.Chart;
  const chart = new Chart(canvas, merged);
  view.cleanups.push(() => chart.destroy());
  return h(
    "figure",
    { class: "card stats-figure mb-0 h-100", id, dataset: { chart: id } },
    h(
      "div",
      { class: "card-body" },
      h("figcaption", { class: "h6 mb-2", text: title }),
      h("div", { class: "stats-chart" }, canvas),
      box,
      toggle,
    ),
  );
}

function deepMerge(base, extra) {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    out[key] = value && typeof value === "object" && !Array.isArray(value) && base[key] && typeof base[key] === "object" ? deepMerge(base[key], value) : value;
  }
  return out;
}
