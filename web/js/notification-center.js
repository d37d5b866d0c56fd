// What the shell does with the notifications the socket pushes: counts them for the badge,
// pops up a toast (the module's own for its kinds, else the generic one) unless the view on
// screen shows the news itself, and re-reads the unread count when it may have changed.

import { actorOf, describeNotification, notificationHref } from "./notifications.js";

export class NotificationCenter {
  constructor(shell) {
    this.shell = shell;
    this.unread = 0;
    this.names = new Map(); // user id → Promise of the display name
  }

  async notified(notification) {
    this.unread += 1;
    this.shell.nav.renderBadge();
    // The view on screen may show this news itself, live: then a toast would only cover it.
    let shown = false;
    try {
      shown = Boolean(this.shell.router.current?.showsNotification?.(notification));
    } catch (error) {
      console.warn("a view's showsNotification failed", error);
    }
    const own = this.shell.notificationToasts.get(String(notification.kind || ""));
    if (shown) {
      // Counted in the badge and listed under Notifications; no toast.
    } else if (own) {
      this.shell.toast(own(notification));
    } else {
      const name = await this.nameOf(actorOf(notification));
      const { title, body } = describeNotification(this.shell, notification, name);
      this.shell.toast({ title, body, href: notificationHref(notification) || "/notifications" });
    }
    this.shell.dispatchEvent(new CustomEvent("notification", { detail: notification }));
  }

  /** The display name of the user a notification is about (fetched once, then cached). */
  async nameOf(actor) {
    if (!actor?.id) return null;
    if (actor.name) return actor.name;
    if (!this.names.has(actor.id)) {
      this.names.set(
        actor.id,
        this.shell.api.get(`/api/users/${actor.id}`).then(
          (user) => user.display_name,
          () => null,
        ),
      );
    }
    return this.names.get(actor.id);
  }

  async loadUnread() {
    if (!this.shell.user) return;
    try {
      const page = await this.shell.api.get("/api/notifications/", { query: { unread: "true", limit: 1 } });
      this.unread = typeof page.unread === "number" ? page.unread : (page.items || []).length;
    } catch {
      return;
    }
    this.shell.nav.renderBadge();
  }
}
