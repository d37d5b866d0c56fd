// /tournaments/<id>: one tournament. The announcement ("Next: A vs B" and Play, or the
// called match and "Go to match", or the winner), the seats of an online one (join, leave,
// start, AI seat), the bracket and the standings. Followed live: `tournament.watch`, then
// every `tournament.updated`; a local tournament also re-reads itself when the owner is
// told of its next match (notification `tournament.next` / `tournament.finished`).

import { View, h } from "@transcendence/shell";
import { bracketElement, playingGame, standingsElement } from "./bracket.js";

const KINDS = ["tournament.next", "tournament.finished", "tournament.match_ready", "tournament.cancelled"];

/** The game page of a match, coming back to the tournament afterwards. */
export function matchUrl(tournamentId, matchId) {
  return `/play/games/${encodeURIComponent(matchId)}?next=${encodeURIComponent(`/tournaments/${tournamentId}`)}`;
}

export class TournamentView extends View {
  title() {
    return this.data ? this.data.name : this.t("tournament.title");
  }

  /** This page follows its tournament live: its notifications need no toast here. */
  showsNotification(n) {
    return KINDS.includes(n?.kind) && Number(n.data?.tournament_id) === this.id;
  }

  /** Why it cannot be shown, in words (the router's error page uses it). */
  errorText(error) {
    if (error?.status === 404 && error.code === "not_found") return { title: this.t("tournament.not_found_title"), text: this.t("tournament.not_found_text") };
    if (error?.status === 403 && error.code === "forbidden") {
      return { title: this.t("tournament.not_yours_title"), text: this.t("tournament.not_yours_text") };
    }
    return null;
  }

  async render() {
    this.id = Number(this.params.id);
    // Subscribed before reading, so no change falls between the read and the frames.
    this.onRealtime("tournament.updated", (data) => {
      if (data?.tournament && data.tournament.id === this.id) this.draw(data.tournament);
    });
    this.onRealtime("notify", (n) => {
      if (n && KINDS.includes(n.kind) && n.data && Number(n.data.tournament_id) === this.id) this.reload();
    });
    const watch = () => this.watch();
    this.listen(this.shell.realtime, "connected", watch);
    this.cleanups.push(() => {
      if (this.watching) this.shell.realtime.request("tournament.unwatch", { id: this.id }).catch(() => {});
    });
    const data = await this.api.get(`/api/tournament/${this.id}`);
    this.body = h("div", { class: "tournament-body" });
    this.heading = h("h1", { class: "h2 mb-1", text: data.name });
    this.lead = h("p", { class: "text-body-secondary mb-0", id: "tournament-lead" });
    this.error = h("div", { class: "alert alert-danger", role: "alert", hidden: true });
    this.draw(data);
    this.page = h(
      "section",
      { class: "tournament-page", id: "tournament-page", dataset: { id: String(this.id), watching: "false" } },
      h(
        "div",
        { class: "page-header d-flex flex-wrap align-items-end justify-content-between gap-3 mb-4" },
        h("div", {}, this.heading, this.lead),
        h("a", { class: "btn btn-outline-light btn-sm", href: "/tournaments", text: `← ${this.t("tournament.all")}` }),
      ),
      this.error,
      this.body,
    );
    this.watch();
    return this.page;
  }

  async watch() {
    if (this.shell.realtime.state !== "online") return; // "connected" calls us again
    try {
      const answer = await this.shell.realtime.request("tournament.watch", { id: this.id });
      this.watching = true;
      if (answer?.tournament) this.draw(answer.tournament);
      if (this.page) this.page.dataset.watching = "true"; // live from here (tests wait for it)
    } catch (error) {
      if (error.code !== "closed" && error.code !== "offline") console.warn("tournament.watch", error);
    }
  }

  async reload() {
    try {
      this.draw(await this.api.get(`/api/tournament/${this.id}`));
    } catch (error) {
      this.showError(error);
    }
  }

  showError(error) {
    this.error.textContent = this.shell.errorMessage(error);
    this.error.hidden = false;
  }

  /** My seat: `me` when the server says, else found by my user id (broadcasts). */
  mine(data) {
    if (data.me) return data.me;
    const user = this.user;
    const seat = user && (data.players || []).find((p) => p.user_id === user.id);
    return seat ? { seed: seat.seed, alias: seat.alias } : null;
  }

  draw(data) {
    if (!this.body) return;
    this.data = data;
    const online = data.kind === "online";
    this.heading.textContent = data.name;
    document.title = `${data.name} · Transcendence`;
    const parts = [
      this.t(online ? "tournament.kind_online" : "tournament.kind_local"),
      this.t(`tournament.format_${data.format}`),
      this.t(`tournament.status_${data.status}`),
    ];
    if (online) parts.push(this.t("tournament.seats", { count: (data.players || []).length, size: data.size }));
    this.lead.textContent = parts.join(" · ");
    const sections = [this.announcement(data)];
    if (online) sections.push(this.seats(data));
    if ((data.games || []).length) {
      sections.push(
        h(
          "section",
          { class: "card mb-4", "aria-labelledby": "tournament-bracket-title" },
          h("div", { class: "card-header" }, h("h2", { class: "h6 mb-0", id: "tournament-bracket-title", text: this.t(data.format === "single" ? "tournament.bracket" : "tournament.rounds") })),
          h("div", { class: "card-body" }, bracketElement(this.shell, data, { playUrl: (matchId) => matchUrl(this.id, matchId) })),
        ),
      );
    }
    sections.push(standingsElement(this.shell, data));
    if (!online) sections.push(this.playersCard(data));
    // Forms survive a redraw (a live update while someone types): same elements, focus kept.
    const active = document.activeElement;
    this.body.replaceChildren(...sections.filter(Boolean));
    if (active && active !== document.activeElement && active.isConnected && this.body.contains(active)) active.focus();
  }

  // --- the announcement: what happens now -----------------------------------------------

  announcement(data) {
    const box = (kind, ...children) =>
      h("div", { class: `tournament-announce alert alert-${kind}`, id: "tournament-announce", role: "status", "aria-live": "polite", dataset: { status: data.status } }, ...children);
    if (data.status === "finished") {
      return box(
        "success",
        h("p", { class: "tournament-winner h4 mb-0", id: "tournament-winner", text: this.t("tournament.winner", { name: data.winner || "" }) }),
      );
    }
    if (data.status === "cancelled" || data.status === "abandoned") {
      return box("secondary", h("p", { class: "mb-0", text: this.t(`tournament.status_${data.status}_long`) }));
    }
    if (data.kind === "online") return this.onlineAnnouncement(data, box);
    const playing = playingGame(data);
    if (playing) {
      const [a, b] = playing.players;
      return box(
        "info",
        h("p", { class: "h5 mb-2", id: "tournament-next", text: this.t("tournament.now_playing", { left: a, right: b }) }),
        h("a", { class: "btn btn-primary", href: matchUrl(this.id, playing.match_id), id: "tournament-resume", text: this.t("tournament.resume") }),
      );
    }
    if (data.next) {
      const [a, b] = data.next.players;
      return box(
        "info",
        h("p", { class: "h5 mb-2", id: "tournament-next", text: this.t("tournament.next", { left: a, right: b }) }),
        h("p", { class: "small mb-2", text: this.t("tournament.keys_help", { left: a, right: b }) }),
        h("button", {
          type: "button",
          class: "btn btn-primary",
          id: "tournament-play",
          text: this.t("tournament.play"),
          "aria-label": this.t("tournament.play_label", { left: a, right: b }),
          onclick: (event) => this.playNext(event.currentTarget),
        }),
      );
    }
    return box("secondary", h("p", { class: "mb-0", text: this.t("tournament.waiting_results") }));
  }

  onlineAnnouncement(data, box) {
    const me = this.mine(data);
    if (data.status === "open") {
      const when = data.starts_at
        ? this.t("tournament.starts_at", { time: new Date(data.starts_at).toLocaleString(this.shell.i18n.lang) })
        : this.t("tournament.starts_when_full");
      return box(
        "secondary",
        h("p", { class: "mb-1", text: this.t("tournament.waiting_players", { count: (data.players || []).length, size: data.size }) }),
        h("p", { class: "small mb-0", text: when }),
      );
    }
    const mine = me
      ? (data.matches || []).find(
          (m) => (m.status === "ready" || m.status === "playing") && m.match_id && [m.left, m.right].some((side) => side && side.alias === me.alias),
        )
      : null;
    if (mine) {
      const opponent = [mine.left, mine.right].find((side) => side && side.alias !== me.alias);
      return box(
        "warning",
        h("p", { class: "h5 mb-2", id: "tournament-next", text: this.t("tournament.your_match", { name: opponent ? opponent.alias : "" }) }),
        mine.ready_deadline && mine.status === "ready"
          ? h("p", { class: "small mb-2", text: this.t("tournament.deadline", { time: new Date(mine.ready_deadline).toLocaleTimeString(this.shell.i18n.lang) }) })
          : null,
        h("a", { class: "btn btn-primary", id: "tournament-go", href: matchUrl(this.id, mine.match_id), text: this.t("tournament.go_to_match") }),
      );
    }
    const live = (data.matches || []).filter((m) => m.status === "ready" || m.status === "playing");
    return box(
      "info",
      h("p", { class: "mb-0", id: "tournament-next", text: live.length ? this.t("tournament.in_progress", { count: live.length }) : this.t("tournament.waiting_results") }),
    );
  }

  async playNext(button) {
    button.disabled = true;
    this.error.hidden = true;
    try {
      const started = await this.api.post(`/api/tournament/${this.id}/next`, {});
      this.shell.navigate(matchUrl(this.id, started.match_id));
    } catch (error) {
      button.disabled = false;
      this.showError(error);
      this.reload();
    }
  }

  // --- seats of an online tournament ------------------------------------------------------

  seats(data) {
    const me = this.mine(data);
    const owner = this.user && data.owner && data.owner.id === this.user.id;
    const open = data.status === "open";
    const players = data.players || [];
    const list = h(
      "ol",
      { class: "list-group list-group-flush tournament-seats", id: "tournament-players" },
      players.map((p) =>
        h(
          "li",
          { class: "list-group-item d-flex align-items-center gap-2", dataset: { alias: p.alias } },
          h("span", { class: "badge text-bg-secondary", text: p.seed ? `#${p.seed}` : "·" }),
          h("span", { class: "flex-grow-1", text: p.alias }),
          p.ai ? h("span", { class: "badge text-bg-info", text: this.t("tournament.ai_seat", { level: this.t(`tournament.level_${p.ai}`) }) }) : null,
          me && me.alias === p.alias ? h("span", { class: "badge text-bg-primary", text: this.t("tournament.you") }) : null,
          p.place ? h("span", { class: "badge text-bg-success", text: this.t("tournament.place", { n: p.place }) }) : null,
        ),
      ),
    );
    const actions = [];
    if (open && !me && players.length < data.size) actions.push(this.joinForm(data));
    if (open && me) {
      actions.push(
        h("button", { type: "button", class: "btn btn-outline-danger", id: "tournament-leave", text: this.t("tournament.leave"), onclick: (e) => this.act(e.currentTarget, "leave") }),
      );
    }
    if (open && owner) {
      actions.push(
        h("button", {
          type: "button",
          class: "btn btn-primary",
          id: "tournament-start",
          disabled: players.length < 3,
          text: this.t("tournament.start"),
          onclick: (e) => this.act(e.currentTarget, "start"),
        }),
      );
      if (players.length < data.size && this.shell.modules.get("ai")) actions.push(this.aiForm());
    }
    return h(
      "section",
      { class: "card mb-4", "aria-labelledby": "tournament-seats-title" },
      h("div", { class: "card-header" }, h("h2", { class: "h6 mb-0", id: "tournament-seats-title", text: this.t("tournament.players_title", { count: players.length, size: data.size }) })),
      players.length ? list : h("p", { class: "card-body mb-0 text-body-secondary", text: this.t("tournament.no_players") }),
      actions.length ? h("div", { class: "card-body d-flex flex-wrap gap-2 align-items-end border-top" }, actions) : null,
    );
  }

  joinForm(data) {
    if (this.joinEl) return this.joinEl;
    const input = h("input", {
      class: "form-control",
      id: "tournament-join-alias",
      name: "alias",
      maxlength: 32,
      placeholder: this.user ? this.user.display_name || this.user.username : "",
      "aria-describedby": "tournament-join-help",
    });
    this.joinEl = h(
      "form",
      {
        class: "d-flex flex-wrap gap-2 align-items-end",
        id: "tournament-join",
        onsubmit: (event) => {
          event.preventDefault();
          const alias = input.value.trim();
          this.act(event.submitter || event.currentTarget.querySelector("button"), "join", alias ? { alias } : {});
        },
      },
      h(
        "div",
        {},
        h("label", { class: "form-label", htmlFor: "tournament-join-alias", text: this.t("tournament.alias") }),
        input,
        h("div", { class: "form-text", id: "tournament-join-help", text: this.t("tournament.alias_help") }),
      ),
      h("button", { type: "submit", class: "btn btn-primary mb-4", text: this.t("tournament.join"), "aria-label": this.t("tournament.join_named", { name: data.name }) }),
    );
    return this.joinEl;
  }

  aiForm() {
    if (this.aiEl) return this.aiEl;
    const level = h(
      "select",
      { class: "form-select", id: "tournament-ai-level", name: "level" },
      ["easy", "normal", "hard"].map((name) => h("option", { value: name, selected: name === "normal", text: this.t(`tournament.level_${name}`) })),
    );
    this.aiEl = h(
      "div",
      { class: "d-flex flex-wrap gap-2 align-items-end" },
      h("div", {}, h("label", { class: "form-label", htmlFor: "tournament-ai-level", text: this.t("tournament.ai_level") }), level),
      h("button", { type: "button", class: "btn btn-outline-info", id: "tournament-add-ai", text: this.t("tournament.add_ai"), onclick: (e) => this.act(e.currentTarget, "ai", { level: level.value }) }),
    );
    return this.aiEl;
  }

  async act(button, action, body = {}) {
    if (button) button.disabled = true;
    this.error.hidden = true;
    try {
      this.draw(await this.api.post(`/api/tournament/${this.id}/${action}`, body));
    } catch (error) {
      this.showError(error);
    } finally {
      if (button) button.disabled = false; // the join and AI forms are kept across redraws
    }
  }

  // --- a local tournament's players --------------------------------------------------------

  playersCard(data) {
    return h(
      "section",
      { class: "card mb-4", "aria-labelledby": "tournament-players-title" },
      h("div", { class: "card-header" }, h("h2", { class: "h6 mb-0", id: "tournament-players-title", text: this.t("tournament.players_local", { count: (data.players || []).length }) })),
      h(
        "ol",
        { class: "list-group list-group-flush", id: "tournament-players" },
        (data.players || []).map((p) =>
          h(
            "li",
            { class: "list-group-item d-flex gap-2", dataset: { alias: p.alias } },
            h("span", { class: "badge text-bg-secondary", text: `#${p.seed}` }),
            h("span", { class: "flex-grow-1", text: p.alias }),
            p.place ? h("span", { class: "badge text-bg-success", text: this.t("tournament.place", { n: p.place }) }) : null,
          ),
        ),
      ),
    );
  }
}
