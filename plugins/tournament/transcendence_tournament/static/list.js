// /tournaments: mine, open online ones to join, running ones, finished ones.

import { View, h } from "@transcendence/shell";

export class TournamentListView extends View {
  title() {
    return this.t("tournament.title");
  }

  async render() {
    const online = (status) => this.api.get("/api/tournament/online", { query: { status, limit: 20 } }).then((page) => page.items);
    const [mine, open, running, finished] = await Promise.all([
      this.api.get("/api/tournament/").then((page) => page.items),
      online("open"),
      online("running"),
      online("finished"),
    ]);
    return h(
      "section",
      { class: "tournament-page", id: "tournament-list-page" },
      this.header(
        this.t("tournament.title"),
        this.t("tournament.lead"),
        h("a", { class: "btn btn-primary", href: "/tournaments/local/new", id: "tournament-new-local", text: this.t("tournament.new_local") }),
        h("a", { class: "btn btn-outline-info", href: "/tournaments/online/new", id: "tournament-new-online", text: this.t("tournament.new_online") }),
      ),
      h(
        "div",
        { class: "row g-4" },
        this.card("mine", this.t("tournament.mine"), mine, this.t("tournament.mine_empty")),
        this.card("open", this.t("tournament.open"), open, this.t("tournament.open_empty")),
        this.card("running", this.t("tournament.running"), running, this.t("tournament.running_empty")),
        this.card("finished", this.t("tournament.finished"), finished, this.t("tournament.finished_empty")),
      ),
    );
  }

  card(id, title, items, empty) {
    const titleId = `tournament-${id}-title`;
    return h(
      "div",
      { class: "col-12 col-lg-6" },
      h(
        "section",
        { class: "card h-100", "aria-labelledby": titleId },
        h("div", { class: "card-header" }, h("h2", { class: "h6 mb-0", id: titleId, text: title })),
        items.length
          ? h("ul", { class: "list-group list-group-flush tournament-list", id: `tournament-${id}` }, items.map((item) => this.item(item)))
          : h("p", { class: "card-body mb-0 text-body-secondary", id: `tournament-${id}`, text: empty }),
      ),
    );
  }

  item(item) {
    const badges = [
      item.kind ? h("span", { class: "badge text-bg-secondary", text: this.t(`tournament.kind_${item.kind}`) }) : null,
      h("span", { class: "badge text-bg-dark border", text: this.t(`tournament.format_${item.format}`) }),
      h("span", { class: `badge tournament-status tournament-status-${item.status}`, text: this.t(`tournament.status_${item.status}`) }),
    ];
    const facts = [];
    if (typeof item.players === "number") facts.push(this.t("tournament.seats", { count: item.players, size: item.size }));
    if (item.owner) facts.push(this.t("tournament.by", { name: item.owner.display_name || item.owner.username }));
    if (item.starts_at && item.status === "open") facts.push(this.t("tournament.starts_at", { time: new Date(item.starts_at).toLocaleString(this.shell.i18n.lang) }));
    if (item.winner) facts.push(this.t("tournament.won_by", { name: item.winner }));
    return h(
      "li",
      { class: "list-group-item position-relative", dataset: { id: String(item.id) } },
      h("a", { class: "stretched-link fw-semibold tournament-link", href: `/tournaments/${item.id}`, text: item.name }),
      h("div", { class: "d-flex flex-wrap gap-1 mt-1" }, badges),
      facts.length ? h("div", { class: "small text-body-secondary mt-1", text: facts.join(" · ") }) : null,
    );
  }
}
