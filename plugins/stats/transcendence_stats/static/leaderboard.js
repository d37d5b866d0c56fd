// /leaderboard: ranked players, by period and mode.

import { h, View } from "@transcendence/shell";

import { PERIODS, LEADERBOARD_MODES, num, rating, pct } from "./parts.js";

export class LeaderboardView extends View {
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
      this.shell.toast({ title: this.t("errors.title"), body: this.shell.errorMessage(error), kind: "danger" });
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
    this.shell.navigate(`/leaderboard${qs ? `?${qs}` : ""}`, { replace: true });
  }
}
