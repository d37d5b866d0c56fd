// Profiles: mine (/profile) and anyone's (/users/:id): avatar, names, live online status,
// what modules add under `extras`, and friend / block actions.

import { alertBox, busy, formatDate, h, timeAgo } from "../dom.js";
import { View } from "../view.js";

export function statusBadge(view, presence) {
  const status = presence.status || (presence.online ? "online" : "offline");
  const badge = h(
    "span",
    { class: `status-badge status-${status}`, dataset: { status } },
    h("span", { class: "status-dot", "aria-hidden": "true" }),
    h("span", { class: "status-text", text: view.t(`presence.${status}`) }),
  );
  if (status === "offline" && presence.last_seen) {
    badge.title = view.t("presence.last_seen", { when: timeAgo(presence.last_seen, view.shell.i18n.lang) });
  }
  return badge;
}

function humanize(key) {
  const text = String(key).replace(/[_-]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export class ProfileView extends View {
  title() {
    return this.profile ? this.profile.display_name : this.t("profile.title");
  }

  userId() {
    return Number(this.params.id);
  }

  /** Why it cannot be shown, in words (the router's error page uses it). */
  errorText(error) {
    if (error?.status === 404 && error.code === "not_found") return { title: this.t("profile.not_found_title"), text: this.t("profile.not_found_text") };
    return null;
  }

  async render() {
    const id = this.userId();
    if (!Number.isInteger(id) || id < 1) {
      const { NotFoundView } = await import("./notfound.js");
      return new NotFoundView({ shell: this.shell, path: this.path }).render();
    }
    this.profile = await this.api.get(`/api/users/${id}`);
    this.mine = this.user && this.user.id === id;
    this.onRealtime("presence.changed", (data) => {
      if (data && Number(data.user_id) === this.profile.id) this.showPresence(data);
    });
    // Asking the hub also makes it push this person's changes to this tab, friend or not
    // (asked again after a reconnection: a new socket hears nothing it did not ask for).
    this.listen(this.shell.realtime, "connected", () => this.watchPresence());
    this.watchPresence();
    this.root = h("section", { class: "profile-page" });
    this.draw();
    return this.root;
  }

  showPresence(presence) {
    Object.assign(this.profile, { status: presence.status, online: presence.status !== "offline", last_seen: presence.last_seen });
    this.statusSlot?.replaceChildren(statusBadge(this, this.profile));
  }

  async watchPresence() {
    const rt = this.shell.realtime;
    if (rt.state !== "online") return; // "connected" asks once the socket is up
    const id = this.profile.id;
    try {
      const answer = await rt.request("presence.query", { user_ids: [id] });
      const presence = answer?.presence?.[String(id)];
      if (presence && this.profile.id === id) this.showPresence(presence);
    } catch {
      // The REST answer stays on screen; the next reconnection asks again.
    }
  }

  draw() {
    const p = this.profile;
    this.statusSlot = h("div", { class: "mb-3", id: "profile-status" }, statusBadge(this, p));
    this.error = alertBox();
    const identity = h(
      "div",
      { class: "card profile-card h-100" },
      h(
        "div",
        { class: "card-body text-center p-4" },
        h("img", {
          class: "avatar avatar-xl mb-3",
          src: p.avatar_url,
          alt: this.t("profile.avatar_of", { name: p.display_name }),
          id: "profile-avatar",
        }),
        h("h1", { class: "h3 mb-0", id: "profile-name", text: p.display_name }),
        h("p", { class: "text-body-secondary mb-2", text: `@${p.username}` }),
        this.statusSlot,
        h(
          "p",
          { class: "small text-body-secondary mb-3" },
          this.t("profile.member_since", { date: formatDate(p.created_at, this.shell.i18n.lang) }),
        ),
        this.error.el,
        this.actions(),
      ),
    );
    this.root.replaceChildren(
      h(
        "div",
        { class: "row g-4" },
        h("div", { class: "col-12 col-md-5 col-lg-4" }, identity),
        h("div", { class: "col-12 col-md-7 col-lg-8" }, this.extrasCard()),
      ),
    );
  }

  actions() {
    if (this.mine) {
      return h("a", { class: "btn btn-outline-light", href: "/settings", text: this.t("profile.edit") });
    }
    const rel = this.profile.relationship || { friend: "none", blocked: false, blocked_by: false };
    const buttons = [];
    const act = (label, cls, fn, id) =>
      h("button", {
        class: `btn ${cls}`,
        type: "button",
        id,
        text: label,
        onclick: async (event) => {
          const done = busy(event.currentTarget);
          this.error.clear();
          try {
            await fn();
            this.profile = await this.api.get(`/api/users/${this.profile.id}`);
            this.draw();
            // A block ended this tab's live view of them; an unblock lets it ask again.
            this.watchPresence();
          } catch (e) {
            done();
            if (e instanceof Error && e.message === "cancelled") return;
            this.error.show(this.shell.errorMessage(e));
          }
        },
      });
    if (rel.blocked_by) {
      buttons.push(h("p", { class: "small text-body-secondary mb-0", text: this.t("profile.blocked_by") }));
    } else if (!rel.blocked) {
      const uid = this.profile.id;
      if (rel.friend === "none") {
        buttons.push(act(this.t("friends.add"), "btn-primary", () => this.api.post("/api/friends/requests", { user_id: uid }), "friend-add"));
      } else if (rel.friend === "outgoing") {
        buttons.push(h("span", { class: "badge text-bg-secondary align-self-center", text: this.t("friends.pending") }));
        buttons.push(
          act(this.t("friends.cancel"), "btn-outline-light", () => this.api.post(`/api/friends/requests/${rel.friend_request_id}/decline`), "friend-cancel"),
        );
      } else if (rel.friend === "incoming") {
        buttons.push(
          act(this.t("friends.accept"), "btn-success", () => this.api.post(`/api/friends/requests/${rel.friend_request_id}/accept`), "friend-accept"),
        );
        buttons.push(
          act(this.t("friends.decline"), "btn-outline-light", () => this.api.post(`/api/friends/requests/${rel.friend_request_id}/decline`), "friend-decline"),
        );
      } else if (rel.friend === "friends") {
        buttons.push(h("span", { class: "badge text-bg-success align-self-center", text: this.t("friends.is_friend") }));
        buttons.push(act(this.t("friends.remove"), "btn-outline-light", () => this.api.delete(`/api/friends/${uid}`), "friend-remove"));
      }
    }
    if (rel.blocked) {
      buttons.push(h("p", { class: "small text-body-secondary w-100 mb-1", text: this.t("profile.you_block") }));
      buttons.push(act(this.t("profile.unblock"), "btn-outline-warning", () => this.api.delete(`/api/blocks/${this.profile.id}`), "unblock"));
    } else {
      buttons.push(
        act(
          this.t("profile.block"),
          "btn-outline-danger",
          async () => {
            if (!window.confirm(this.t("profile.block_confirm", { name: this.profile.display_name }))) throw new Error("cancelled");
            await this.api.post("/api/blocks/", { user_id: this.profile.id });
          },
          "block",
        ),
      );
    }
    return h("div", { class: "d-flex flex-wrap justify-content-center gap-2" }, buttons);
  }

  extrasCard() {
    const extras = this.profile.extras || {};
    // A section that shows some extras itself claims them: they are not listed twice.
    const claimed = new Set();
    const sections = this.shell.profileSections
      .map((render) => {
        try {
          const section = render(this.profile, this);
          for (const key of render.extras || []) claimed.add(key);
          return section;
        } catch (error) {
          console.warn("a profile section failed", error);
          return null;
        }
      })
      .filter(Boolean);
    const entries = Object.entries(extras).filter(([key]) => !claimed.has(key));
    const body = [];
    if (entries.length) body.push(this.renderExtras(entries));
    // Apart from each other: a module's buttons do not touch the next module's heading.
    body.push(...sections.map((section, i) => (i || body.length ? h("div", { class: "mt-3" }, section) : section)));
    if (!body.length) {
      body.push(
        h(
          "div",
          { class: "empty-state" },
          h("div", { class: "empty-icon", "aria-hidden": "true", text: "▣" }),
          h("p", { class: "mb-0 text-body-secondary", text: this.t("profile.no_extras") }),
        ),
      );
    }
    return h(
      "div",
      { class: "card h-100" },
      h("div", { class: "card-header", text: this.t("profile.extras_title") }),
      h("div", { class: "card-body" }, body),
    );
  }

  label(key) {
    const k = `extras.${key}`;
    return this.shell.i18n.has(k) ? this.t(k) : humanize(key);
  }

  /** A module's raw value, for the generic rendering: numbers in the reader's language. */
  value(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number") return new Intl.NumberFormat(this.shell.i18n.lang).format(v);
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  }

  renderExtras(entries) {
    const scalars = entries.filter(([, v]) => v === null || typeof v !== "object");
    const lists = entries.filter(([, v]) => Array.isArray(v));
    const objects = entries.filter(([, v]) => v && typeof v === "object" && !Array.isArray(v));
    return h(
      "div",
      { class: "extras" },
      scalars.length
        ? h(
            "div",
            { class: "row g-3 mb-3" },
            scalars.map(([key, value]) =>
              h(
                "div",
                { class: "col-6 col-lg-3" },
                h(
                  "div",
                  { class: "stat-tile" },
                  h("div", { class: "stat-value", text: this.value(value) }),
                  h("div", { class: "stat-label", text: this.label(key) }),
                ),
              ),
            ),
          )
        : null,
      objects.map(([key, value]) =>
        h(
          "div",
          { class: "mb-3" },
          h("h2", { class: "h6 text-uppercase text-body-secondary", text: this.label(key) }),
          h(
            "dl",
            { class: "row small mb-0" },
            Object.entries(value).map(([k, v]) => [
              h("dt", { class: "col-6 col-sm-4 fw-normal text-body-secondary", text: this.label(k) }),
              h("dd", { class: "col-6 col-sm-8", text: this.value(v) }),
            ]),
          ),
        ),
      ),
      lists.map(([key, value]) =>
        h(
          "div",
          { class: "mb-3" },
          h("h2", { class: "h6 text-uppercase text-body-secondary", text: `${this.label(key)} (${value.length})` }),
          value.length
            ? h(
                "ul",
                { class: "list-group list-group-flush small" },
                value.slice(0, 10).map((item) =>
                  h(
                    "li",
                    { class: "list-group-item px-0" },
                    item && typeof item === "object"
                      ? Object.entries(item)
                          .map(([k, v]) => `${this.label(k)}: ${this.value(v)}`)
                          .join(" · ")
                      : String(item),
                  ),
                ),
              )
            : h("p", { class: "small text-body-secondary", text: this.t("profile.empty_list") }),
        ),
      ),
    );
  }
}

export class MyProfileView extends ProfileView {
  userId() {
    return this.user.id;
  }
}
