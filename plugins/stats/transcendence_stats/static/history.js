// /stats/users/:id/matches: anyone's whole match history, a page at a time.

import { h, View } from "@transcendence/shell";

import { historyRows, historyTable } from "./parts.js";

export class MatchHistoryView extends View {
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
      this.shell.toast({ title: this.t("errors.title"), body: this.shell.errorMessage(error), kind: "danger" });
    } finally {
      this.more.disabled = false;
    }
  }
}
