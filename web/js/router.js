// The router: History API, one view per URL, Back/Forward everywhere.
//
// Routes are patterns like "/users/:id", or "/users/:id(\\d+)" to accept digits only.
// Views that need a login send the visitor to
// /login?next=<where they were going>; the login view returns them there afterwards.

function compile(pattern) {
  const names = [];
  const source = pattern
    .replace(/\/+$/, "")
    .split("/")
    .map((part) => {
      if (part.startsWith(":")) {
        // ":id" matches one segment; ":id(\\d+)" only segments matching the pattern.
        const found = /^:(\w+)(?:\((.+)\))?$/.exec(part);
        names.push(found[1]);
        return found[2] ? `(${found[2]})` : "([^/]+)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { regex: new RegExp(`^${source || ""}/?$`), names };
}

/** Only same-site paths may be a "next" destination (no //evil.example, no javascript:). */
export function safeNext(value, fallback = "/") {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) {
    return fallback;
  }
  return value;
}

export class Router {
  /**
   * shell: what views receive (api, session, i18n...).
   * outlet: the element views render into.
   */
  constructor(shell, outlet) {
    this.shell = shell;
    this.outlet = outlet;
    this.routes = [];
    this.notFound = null;
    this.current = null;
    this.generation = 0;
    this.leaveGuard = null; // see mayLeave()
  }

  /**
   * add("/users/:id", ProfileView, {auth: true}); returns a function that removes it.
   * `context`: what the route's views find in this.context (a module's shared state).
   */
  add(pattern, View, { auth = false, context = {} } = {}) {
    this.remove(pattern);
    const route = { pattern, View, auth, context, ...compile(pattern) };
    this.routes.push(route);
    // Static segments first, then fewer parameters: "/users/me" beats "/users/:id".
    this.routes.sort((a, b) => a.names.length - b.names.length || b.pattern.length - a.pattern.length);
    return () => {
      this.routes = this.routes.filter((other) => other !== route);
    };
  }

  remove(pattern) {
    this.routes = this.routes.filter((route) => route.pattern !== pattern);
  }

  match(path) {
    for (const route of this.routes) {
      const found = route.regex.exec(path);
      if (found) {
        const params = {};
        route.names.forEach((name, i) => {
          params[name] = decodeURIComponent(found[i + 1]);
        });
        return { route, params };
      }
    }
    return null;
  }

  start() {
    window.addEventListener("popstate", () => {
      // A jump to an anchor of the same page (the skip link) is not a new view.
      if (location.pathname + location.search === this.shown) return;
      if (!this.mayLeave()) {
        history.pushState(null, "", this.shown); // Back refused: stay on the page
        return;
      }
      this.resolve();
    });
    document.addEventListener("click", (event) => this.intercept(event));
    // The first page keeps the browser's focus (the skip link is the first Tab stop).
    return this.resolve({ keepFocus: true });
  }

  intercept(event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download") || "external" in link.dataset) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin) return;
    // An anchor on this page (the skip link, a table of contents): the browser scrolls.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    if (/^\/(api|modules|static|docs|openapi\.json|healthz|readyz|metrics)(\/|$)/.test(url.pathname)) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search + url.hash);
  }

  /** Go somewhere inside the app (pushes a history entry unless `replace`). */
  navigate(to, { replace = false } = {}) {
    const url = new URL(to, location.href);
    const target = url.pathname + url.search + url.hash;
    if (url.pathname + url.search !== this.shown && !this.mayLeave()) return Promise.resolve();
    if (target === location.pathname + location.search + location.hash && !replace) {
      return this.resolve();
    }
    if (replace) history.replaceState(null, "", target);
    else history.pushState(null, "", target);
    return this.resolve();
  }

  /** A view that must not be left silently (a game being played) sets `leaveGuard`: a
   * function that returns true to let the navigation happen (it may ask to confirm). */
  mayLeave() {
    if (typeof this.leaveGuard !== "function") return true;
    const allowed = Boolean(this.leaveGuard());
    if (allowed) this.leaveGuard = null;
    return allowed;
  }

  /** Render the view of the current URL again (after a language change, a login...). */
  refresh() {
    return this.resolve({ keepFocus: true });
  }

  async resolve({ keepFocus = false } = {}) {
    const generation = ++this.generation;
    const path = location.pathname;
    this.shown = location.pathname + location.search;
    const found = this.match(path);
    const route = found ? found.route : null;
    if (route?.auth && !this.shell.session.user) {
      const next = location.pathname + location.search;
      return this.navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
    }
    const View = route ? route.View : this.notFound;
    const view = new View({
      shell: this.shell,
      params: found ? found.params : {},
      query: new URLSearchParams(location.search),
      path,
      context: route ? route.context : {},
    });

    let node;
    let failed = false;
    try {
      node = await view.render();
    } catch (error) {
      node = this.shell.errorView(error, view);
      failed = true;
    }
    // A newer navigation started while this view was loading: drop this one.
    if (generation !== this.generation) {
      view.destroy();
      return;
    }
    if (this.current) this.current.destroy();
    this.current = view;
    this.outlet.replaceChildren(node);
    // A failed view is titled by what went wrong, not by what it meant to show.
    const title = failed ? node.dataset.title : view.title ? view.title() : "";
    document.title = title ? `${title} · Transcendence` : "Transcendence";
    this.shell.dispatchEvent(new CustomEvent("navigated", { detail: { path, view } }));
    if (!keepFocus) {
      window.scrollTo(0, 0);
      // Move focus to the new page's heading, so keyboard and screen-reader users land there.
      const heading = this.outlet.querySelector("h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
      }
    }
    if (view.mounted) view.mounted();
  }
}
