// Which modules are on, and their browser code: imports the entry of each enabled module
// and calls its register(shell, module) with a registrar of its own (shell.forModule); a
// module switched off while the tab is open is disposed of through that registrar, so
// everything it registered goes at once. Its code stays loaded but unreachable; switched on
// again, it registers again.

const MODULE_RECHECK_MS = 30_000;

export class ModuleLoader {
  constructor(shell) {
    this.shell = shell;
    this.modules = new Map(); // name → {info, loaded, error, exports, registrar}
    this.checkedAt = 0;
  }

  /** Ask which modules are on; import the browser entry of each newly enabled one. */
  async load() {
    let listed;
    try {
      listed = await this.shell.api.get("/api/modules", { auth: false });
    } catch (error) {
      console.warn("the module list is unavailable", error);
      return;
    }
    this.checkedAt = Date.now();
    const before = [...this.modules.keys()].sort().join();
    const enabled = new Set();
    for (const info of listed) {
      if (!info.enabled) continue;
      enabled.add(info.name);
      const known = this.modules.get(info.name);
      if (known && (known.loaded || known.error)) {
        known.info = info;
        continue;
      }
      const entry = { info, loaded: false, error: null, exports: null, registrar: null };
      this.modules.set(info.name, entry);
      if (info.provides?.static) await this.importModule(entry);
    }
    for (const [name, entry] of this.modules) {
      if (!enabled.has(name)) this.drop(name, entry);
    }
    if ([...this.modules.keys()].sort().join() !== before) {
      this.shell.dispatchEvent(new CustomEvent("modules", { detail: this.enabled() }));
    }
  }

  async importModule(entry) {
    const { info } = entry;
    const file = info.provides.entry || "index.js";
    const registrar = this.shell.forModule(info.name);
    entry.registrar = registrar;
    for (const css of info.provides.styles || []) registrar.addStylesheet(css);
    const url = new URL(file, registrar.staticBase).href;
    try {
      const exports = await import(url);
      if (typeof exports.register !== "function") throw new Error("its entry exports no register(shell)");
      entry.exports = exports;
      await exports.register(registrar, info);
      entry.loaded = true;
    } catch (error) {
      entry.error = error;
      registrar.dispose(); // whatever it registered before failing
      console.warn(`module ${info.name}: its browser code failed to load`, error);
      this.shell.toast({
        title: this.shell.t("modules.failed_title"),
        body: this.shell.t("modules.failed", { name: info.title || info.name }),
        kind: "danger",
      });
    }
  }

  /** Switched off: its own unregister() (if any), then everything it registered goes. */
  drop(name, entry) {
    this.modules.delete(name);
    if (entry.loaded && typeof entry.exports?.unregister === "function") {
      try {
        entry.exports.unregister(entry.registrar);
      } catch (error) {
        console.warn(`module ${name} failed to unregister`, error);
      }
    }
    entry.registrar?.dispose();
  }

  enabled() {
    return [...this.modules.values()].map((entry) => entry.info);
  }

  /** Re-read which modules are on (at most every 30 s unless `now`); redraw when it changed. */
  async recheck(now = false) {
    if (!now && Date.now() - this.checkedAt < MODULE_RECHECK_MS) return;
    this.checkedAt = Date.now();
    await this.load();
  }
}
