// Friends: find players, send / accept / decline requests, friends' online status live.

import { alertBox, busy, h, replace, uid } from "../dom.js";
import { View } from "../view.js";
import { statusBadge } from "./profile.js";

const SEARCH_DELAY_MS = 250;

export class FriendsView extends View {
  title() {
    return this.t("friends.title");
  }

  async render() {
    this.data = await this.api.get("/api/friends/");
    this.error = alertBox();
    this.lists = h("div", { class: "d-flex flex-column gap-4" });
    this.results = h("div", { class: "search-results", id: "search-results", "aria-live": "polite" });

    // Live: presence of friends, requests and acceptances from others, catching up after a
    // reconnection or a lost delivery.
    this.onRealtime("presence.changed", (data) => this.presenceChanged(data));
    this.onRealtime("resync", () => this.reload());
    this.listen(this.shell.realtime, "connected", () => this.reload());
    this.listen(this.shell, "notification", (event) => {
      if (String(event.detail.kind || "").startsWith("friend.")) this.reload();
    });

    this.drawLists();
    return h(
      "section",
      { class: "friends-page" },
      this.header(this.t("friends.title"), this.t("friends.lead")),
      this.error.el,
      h(
        "div",
        { class: "row g-4" },
        h("div", { class: "col-12 col-lg-5" }, this.searchCard()),
        h("div", { class: "col-12 col-lg-7" }, this.lists),
      ),
    );
  }

  async reload() {
    try {
      this.data = await this.api.get("/api/friends/");
      this.drawLists();
      if (this.lastQuery !== undefined) this.search(this.lastQuery);
    } catch (error) {
      this.error.show(this.shell.errorMessage(error));
    }
  }

  presenceChanged(data) {
    if (!data) return;
    const friend = this.data.friends.find((f) => f.id === Number(data.user_id));
    if (!friend) return;
    Object.assign(friend, { status: data.status, online: data.status !== "offline", last_seen: data.last_seen });
    const slot = this.lists.querySelector(`[data-presence-of="${friend.id}"]`);
    if (slot) slot.replaceChildren(statusBadge(this, friend));
    const note = this.lists.querySelector("#friends-list-note");
    if (note) note.textContent = this.onlineNote();
  }

  onlineNote() {
    const online = this.data.friends.filter((f) => f.status && f.status !== "offline").length;
    return this.t("friends.online_count", { count: online });
  }

  /** Where I stand with someone, from the lists already loaded. */
  relation(userId) {
    if (this.user && userId === this.user.id) return { state: "self" };
    const friend = this.data.friends.find((f) => f.id === userId);
    if (friend) return { state: "friends" };
    const incoming = this.data.incoming.find((r) => r.user.id === userId);
    if (incoming) return { state: "incoming", request: incoming };
    const outgoing = this.data.outgoing.find((r) => r.user.id === userId);
    if (outgoing) return { state: "outgoing", request: outgoing };
    return { state: "none" };
  }

  /** Run an action from a button, then re-read the lists; errors show above. */
  action(label, cls, fn, attrs = {}) {
    return h("button", {
      class: `btn btn-sm ${cls}`,
      type: "button",
      text: label,
      ...attrs,
      onclick: async (event) => {
        const done = busy(event.currentTarget);
        this.error.clear();
        try {
          await fn();
          await this.reload();
        } catch (e) {
          done();
          this.error.show(this.shell.errorMessage(e));
        }
      },
    });
  }

  person(user, ...extra) {
    return h(
      "div",
      { class: "d-flex align-items-center gap-3 min-w-0" },
      h("img", { class: "avatar avatar-md", src: user.avatar_url, alt: "" }),
      h(
        "div",
        { class: "min-w-0" },
        h("a", { class: "fw-semibold text-truncate d-block person-link", href: `/users/${user.id}`, text: user.display_name }),
        h("div", { class: "small text-body-secondary text-truncate", text: `@${user.username}` }),
        ...extra,
      ),
    );
  }

  row(user, actions, extra = [], attrs = {}) {
    return h(
      "li",
      { class: "list-group-item d-flex flex-wrap align-items-center justify-content-between gap-2 py-3", dataset: { userId: String(user.id) }, ...attrs },
      this.person(user, ...extra),
      h("div", { class: "d-flex flex-wrap gap-2 ms-auto" }, actions),
    );
  }

  searchCard() {
    const id = uid("search");
    const input = h("input", {
      class: "form-control",
      id,
      type: "search",
      name: "q",
      autocomplete: "off",
      spellcheck: "false",
      maxlength: "32",
      placeholder: this.t("friends.search_placeholder"),
    });
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.search(input.value.trim()), SEARCH_DELAY_MS);
    });
    this.cleanups.push(() => clearTimeout(timer));
    const form = h(
      "form",
      {
        role: "search",
        class: "mb-3",
        onsubmit: (event) => {
          event.preventDefault();
          clearTimeout(timer);
          this.search(input.value.trim());
        },
      },
      h("label", { class: "form-label", htmlFor: id, text: this.t("friends.search_label") }),
      input,
    );
    replace(this.results, h("p", { class: "small text-body-secondary mb-0", text: this.t("friends.search_hint") }));
    return h(
      "div",
      { class: "card" },
      h("div", { class: "card-header", text: this.t("friends.find_title") }),
      h("div", { class: "card-body" }, form, this.results),
    );
  }

  async search(q) {
    this.lastQuery = q;
    if (!q) {
      replace(this.results, h("p", { class: "small text-body-secondary mb-0", text: this.t("friends.search_hint") }));
      return;
    }
    let page;
    try {
      page = await this.api.get("/api/users/", { query: { q, limit: 10 } });
    } catch (error) {
      replace(this.results, h("p", { class: "small text-danger mb-0", text: this.shell.errorMessage(error) }));
      return;
    }
    if (q !== this.lastQuery) return; // a newer search is on its way
    if (!page.items.length) {
      replace(this.results, h("p", { class: "small text-body-secondary mb-0", text: this.t("friends.no_results", { q }) }));
      return;
    }
    replace(
      this.results,
      h(
        "ul",
        { class: "list-group list-group-flush", "aria-label": this.t("friends.results") },
        page.items.map((user) => this.row(user, this.searchActions(user))),
      ),
    );
  }

  searchActions(user) {
    const rel = this.relation(user.id);
    switch (rel.state) {
      case "self":
        return [h("span", { class: "badge text-bg-secondary", text: this.t("friends.you") })];
      case "friends":
        return [h("span", { class: "badge text-bg-success", text: this.t("friends.is_friend") })];
      case "outgoing":
        return [h("span", { class: "badge text-bg-secondary", text: this.t("friends.pending") })];
      case "incoming":
        return [
          this.action(this.t("friends.accept"), "btn-success", () => this.api.post(`/api/friends/requests/${rel.request.id}/accept`)),
        ];
      default:
        return [
          this.action(this.t("friends.add"), "btn-primary", () => this.api.post("/api/friends/requests", { user_id: user.id }), {
            "aria-label": this.t("friends.add_named", { name: user.display_name }),
          }),
        ];
    }
  }

  drawLists() {
    const { friends, incoming, outgoing } = this.data;
    const cards = [];
    if (incoming.length) {
      cards.push(
        this.listCard(
          "friends-incoming",
          this.t("friends.incoming_title"),
          incoming.length,
          incoming.map((r) =>
            this.row(r.user, [
              this.action(this.t("friends.accept"), "btn-success", () => this.api.post(`/api/friends/requests/${r.id}/accept`), {
                "aria-label": this.t("friends.accept_named", { name: r.user.display_name }),
              }),
              this.action(this.t("friends.decline"), "btn-outline-light", () => this.api.post(`/api/friends/requests/${r.id}/decline`), {
                "aria-label": this.t("friends.decline_named", { name: r.user.display_name }),
              }),
            ]),
          ),
        ),
      );
    }
    cards.push(
      this.listCard(
        "friends-list",
        this.t("friends.list_title"),
        friends.length,
        friends.map((f) =>
          this.row(
            f,
            [
              this.action(this.t("friends.remove"), "btn-outline-light", () => this.api.delete(`/api/friends/${f.id}`), {
                "aria-label": this.t("friends.remove_named", { name: f.display_name }),
              }),
            ],
            [h("div", { class: "mt-1", dataset: { presenceOf: String(f.id) } }, statusBadge(this, f))],
          ),
        ),
        friends.length ? this.onlineNote() : null,
        this.t("friends.empty"),
      ),
    );
    if (outgoing.length) {
      cards.push(
        this.listCard(
          "friends-outgoing",
          this.t("friends.outgoing_title"),
          outgoing.length,
          outgoing.map((r) =>
            this.row(r.user, [
              this.action(this.t("friends.cancel"), "btn-outline-light", () => this.api.post(`/api/friends/requests/${r.id}/decline`), {
                "aria-label": this.t("friends.cancel_named", { name: r.user.display_name }),
              }),
            ]),
          ),
        ),
      );
    }
    this.lists.replaceChildren(...cards);
  }

  listCard(id, title, count, rows, note = null, empty = null) {
    return h(
      "section",
      { class: "card", id, "aria-labelledby": `${id}-title` },
      h(
        "div",
        { class: "card-header d-flex justify-content-between align-items-center" },
        h("h2", { class: "h6 mb-0", id: `${id}-title` }, title, " ", h("span", { class: "badge text-bg-secondary ms-1", text: String(count) })),
        note ? h("span", { class: "small text-body-secondary", id: `${id}-note`, text: note }) : null,
      ),
      rows.length
        ? h("ul", { class: "list-group list-group-flush" }, rows)
        : h("div", { class: "card-body" }, h("p", { class: "text-body-secondary mb-0", text: empty || "" })),
    );
  }
}
