// Notifications: everything the server told me, newest first; new ones arrive live.

import { alertBox, busy, h, timeAgo } from "../dom.js";
import { actorOf, describeNotification, notificationHref } from "../notifications.js";
import { View } from "../view.js";

const PAGE = 20;

export class NotificationsView extends View {
  title() {
    return this.t("notifications.title");
  }

  async render() {
    const page = await this.api.get("/api/notifications/", { query: { limit: PAGE } });
    this.items = page.items || [];
    this.next = page.next || null;
    this.error = alertBox();
    this.list = h("ul", { class: "list-group list-group-flush", id: "notification-list" });
    this.more = h("div", { class: "card-footer text-center" });
    this.markAll = h("button", {
      class: "btn btn-outline-light",
      type: "button",
      id: "mark-all-read",
      text: this.t("notifications.mark_all"),
      onclick: (event) => this.markRead("all", event.currentTarget),
    });

    this.listen(this.shell, "notification", (event) => {
      this.items.unshift(event.detail);
      this.draw();
    });
    this.onRealtime("notify.read", (data) => {
      const ids = new Set(data?.ids || []);
      const now = new Date().toISOString();
      for (const n of this.items) if (ids.has(n.id) && !n.read_at) n.read_at = now;
      this.draw();
    });
    this.onRealtime("resync", () => this.shell.router.refresh());

    await this.draw();
    return h(
      "section",
      { class: "notifications-page" },
      this.header(this.t("notifications.title"), this.t("notifications.lead"), this.markAll),
      this.error.el,
      h("div", { class: "card" }, this.list, this.more),
    );
  }

  async draw() {
    const names = await Promise.all(this.items.map((n) => this.shell.nameOf(actorOf(n))));
    this.markAll.disabled = !this.items.some((n) => !n.read_at);
    if (!this.items.length) {
      this.list.replaceChildren(
        h(
          "li",
          { class: "list-group-item empty-state py-5" },
          h("div", { class: "empty-icon", "aria-hidden": "true", text: "✦" }),
          h("p", { class: "mb-0 text-body-secondary", text: this.t("notifications.empty") }),
        ),
      );
    } else {
      this.list.replaceChildren(...this.items.map((n, i) => this.item(n, names[i])));
    }
    this.more.replaceChildren();
    this.more.classList.toggle("d-none", !this.next);
    if (this.next) {
      this.more.append(
        h("button", { class: "btn btn-sm btn-outline-light", type: "button", text: this.t("notifications.more"), onclick: (e) => this.loadMore(e.currentTarget) }),
      );
    }
  }

  item(notification, name) {
    const { title, body } = describeNotification(this.shell, notification, name);
    const href = notificationHref(notification);
    const unread = !notification.read_at;
    return h(
      "li",
      { class: ["list-group-item notification-item d-flex gap-3 py-3", unread && "unread"], dataset: { id: String(notification.id), kind: notification.kind } },
      h("span", { class: "notification-dot mt-2", "aria-hidden": "true" }),
      h(
        "div",
        { class: "flex-grow-1 min-w-0" },
        h(
          "div",
          { class: "d-flex flex-wrap justify-content-between gap-2" },
          h("strong", { text: title }),
          h("time", { class: "small text-body-secondary", datetime: notification.created_at, text: timeAgo(notification.created_at, this.shell.i18n.lang) }),
        ),
        href
          ? h("a", { class: "notification-body", href, text: body, onclick: () => unread && this.markRead([notification.id]) })
          : h("p", { class: "mb-0", text: body }),
        unread ? h("span", { class: "visually-hidden", text: this.t("notifications.unread_label") }) : null,
      ),
      unread
        ? h("button", {
            class: "btn btn-sm btn-link text-body-secondary align-self-start",
            type: "button",
            text: this.t("notifications.mark_one"),
            onclick: (event) => this.markRead([notification.id], event.currentTarget),
          })
        : null,
    );
  }

  async loadMore(button) {
    const done = busy(button);
    try {
      const page = await this.api.get("/api/notifications/", { query: { limit: PAGE, cursor: this.next } });
      this.items.push(...(page.items || []));
      this.next = page.next || null;
      await this.draw();
    } catch (error) {
      done();
      this.error.show(this.shell.errorMessage(error));
    }
  }

  /** Mark read (all of them with `ids` = "all"); every open tab hears `notify.read`. */
  async markRead(ids, button = null) {
    if (ids !== "all" && !ids.length) return;
    const done = button ? busy(button) : () => {};
    try {
      if (ids === "all") await this.api.post("/api/notifications/read_all");
      else await Promise.all(ids.map((id) => this.api.post(`/api/notifications/${id}/read`)));
      const now = new Date().toISOString();
      for (const n of this.items) if (ids === "all" || ids.includes(n.id)) n.read_at = n.read_at || now;
      await this.draw();
      this.shell.loadUnread();
    } catch (error) {
      this.error.show(this.shell.errorMessage(error));
    } finally {
      done();
      this.markAll.disabled = !this.items.some((n) => !n.read_at);
    }
  }
}
