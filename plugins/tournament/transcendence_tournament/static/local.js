// /tournaments/local/new: a tournament at one keyboard. 3 to 16 players each type an alias
// (unique within the tournament: the form says which one is repeated), the format, the
// game options. The form always starts empty: aliases are forgotten when a new one begins.

import { View, h } from "@transcendence/shell";
import { loadDefinition, optionsFieldset } from "./options.js";

export const MIN_PLAYERS = 3;
export const MAX_PLAYERS = 16;
const START_PLAYERS = 4;
const ALIAS_MAX = 32;

/** Problems of a list of aliases: [{index, key, params}] (empty when they are fine). */
export function aliasProblems(aliases) {
  const problems = [];
  const seen = new Map();
  aliases.forEach((raw, index) => {
    const alias = raw.trim();
    if (!alias) {
      problems.push({ index, key: "tournament.alias_missing", params: { n: index + 1 } });
      return;
    }
    if (alias.length > ALIAS_MAX) {
      problems.push({ index, key: "tournament.alias_long", params: { n: index + 1, max: ALIAS_MAX } });
      return;
    }
    const key = alias.toLocaleLowerCase();
    if (seen.has(key)) {
      problems.push({ index, key: "tournament.alias_taken", params: { name: alias, n: index + 1, first: seen.get(key) + 1 } });
    } else {
      seen.set(key, index);
    }
  });
  return problems;
}

export class LocalTournamentView extends View {
  title() {
    return this.t("tournament.local_title");
  }

  async render() {
    this.rows = [];
    this.list = h("ol", { class: "tournament-aliases list-unstyled mb-2", id: "tournament-aliases" });
    this.count = h("p", { class: "form-text mb-2", id: "tournament-alias-count", "aria-live": "polite" });
    this.addButton = h("button", { type: "button", class: "btn btn-outline-light btn-sm", id: "tournament-add-player", text: this.t("tournament.add_player"), onclick: () => this.addRow(true) });
    for (let i = 0; i < START_PLAYERS; i += 1) this.addRow(false);
    this.problem = h("div", { class: "alert alert-danger", role: "alert", id: "tournament-form-error", hidden: true });
    this.name = h("input", { class: "form-control", id: "tournament-name", name: "name", required: true, maxlength: 64, value: this.t("tournament.local_default_name") });
    this.format = h(
      "select",
      { class: "form-select", id: "tournament-format", name: "format" },
      ["single", "round_robin"].map((f) => h("option", { value: f, text: this.t(`tournament.format_${f}`) })),
    );
    this.shuffle = h("input", { class: "form-check-input", type: "checkbox", id: "tournament-shuffle", name: "shuffle", checked: true });
    this.options = optionsFieldset(this.shell, await loadDefinition(this.api), "tournament-local-opt");
    this.submit = h("button", { type: "submit", class: "btn btn-primary", id: "tournament-create", text: this.t("tournament.create_local") });
    this.form = h(
      "form",
      { class: "tournament-form", id: "tournament-local-form", novalidate: true, onsubmit: (event) => this.create(event) },
      this.problem,
      h(
        "div",
        { class: "row g-3 mb-3" },
        h("div", { class: "col-12 col-md-7" }, h("label", { class: "form-label", htmlFor: "tournament-name", text: this.t("tournament.name") }), this.name),
        h("div", { class: "col-12 col-md-5" }, h("label", { class: "form-label", htmlFor: "tournament-format", text: this.t("tournament.format") }), this.format),
      ),
      h(
        "fieldset",
        { class: "card mb-3" },
        h("div", { class: "card-header" }, h("legend", { class: "h6 mb-0 float-none w-auto", text: this.t("tournament.players") })),
        h(
          "div",
          { class: "card-body" },
          h("p", { class: "small text-body-secondary", text: this.t("tournament.aliases_help") }),
          this.list,
          this.count,
          this.addButton,
          h("div", { class: "form-check mt-3" }, this.shuffle, h("label", { class: "form-check-label", htmlFor: "tournament-shuffle", text: this.t("tournament.shuffle") })),
        ),
      ),
      this.options.el,
      h("p", { class: "small text-body-secondary", text: this.t("tournament.local_note") }),
      this.submit,
    );
    this.renumber();
    return h(
      "section",
      { class: "tournament-page narrow-page-wide", id: "tournament-local-page" },
      this.header(this.t("tournament.local_title"), this.t("tournament.local_lead")),
      this.form,
    );
  }

  addRow(focus) {
    if (this.rows.length >= MAX_PLAYERS) return;
    const input = h("input", { class: "form-control", name: "alias", maxlength: ALIAS_MAX, autocomplete: "off", required: true, oninput: () => this.check(false) });
    const label = h("label", { class: "form-label small mb-1" });
    const remove = h("button", { type: "button", class: "btn btn-outline-danger btn-sm", text: "✕", onclick: () => this.removeRow(row) });
    const feedback = h("div", { class: "invalid-feedback" });
    const row = { input, label, remove, feedback, el: null };
    row.el = h("li", { class: "tournament-alias-row" }, label, h("div", { class: "input-group has-validation" }, input, remove, feedback));
    this.rows.push(row);
    this.list.append(row.el);
    this.renumber();
    if (focus) input.focus();
  }

  removeRow(row) {
    if (this.rows.length <= MIN_PLAYERS) return;
    const index = this.rows.indexOf(row);
    this.rows.splice(index, 1);
    row.el.remove();
    this.renumber();
    this.check(false);
    this.rows[Math.min(index, this.rows.length - 1)]?.input?.focus();
  }

  renumber() {
    this.rows.forEach((row, i) => {
      const id = `tournament-alias-${i + 1}`;
      row.input.id = id;
      row.feedback.id = `${id}-error`;
      row.label.htmlFor = id;
      row.label.textContent = this.t("tournament.player_n", { n: i + 1 });
      row.remove.setAttribute("aria-label", this.t("tournament.remove_player", { n: i + 1 }));
      row.remove.disabled = this.rows.length <= MIN_PLAYERS;
    });
    this.addButton.disabled = this.rows.length >= MAX_PLAYERS;
    this.count.textContent = this.t("tournament.players_count", { count: this.rows.length, min: MIN_PLAYERS, max: MAX_PLAYERS });
  }

  /** Marks the fields with a problem; with `all`, empty fields too (on submit). */
  check(all) {
    const problems = aliasProblems(this.rows.map((r) => r.input.value)).filter((p) => all || p.key !== "tournament.alias_missing");
    const byIndex = new Map(problems.map((p) => [p.index, p]));
    this.rows.forEach((row, i) => {
      const problem = byIndex.get(i);
      row.input.classList.toggle("is-invalid", Boolean(problem));
      if (problem) {
        row.input.setAttribute("aria-invalid", "true");
        row.input.setAttribute("aria-describedby", row.feedback.id);
        row.feedback.textContent = this.t(problem.key, problem.params);
      } else {
        row.input.removeAttribute("aria-invalid");
        row.input.removeAttribute("aria-describedby");
        row.feedback.textContent = "";
      }
    });
    if (!problems.length) this.problem.hidden = true;
    return problems;
  }

  showProblem(text, focus) {
    this.problem.textContent = text;
    this.problem.hidden = false;
    if (focus) focus.focus();
  }

  async create(event) {
    event.preventDefault();
    const problems = this.check(true);
    if (problems.length) {
      this.showProblem(this.t(problems[0].key, problems[0].params), this.rows[problems[0].index].input);
      return;
    }
    if (!this.form.checkValidity()) {
      const bad = this.form.querySelector(":invalid");
      this.showProblem(this.t("tournament.form_invalid"), bad);
      if (bad) bad.reportValidity();
      return;
    }
    this.submit.disabled = true;
    try {
      const created = await this.api.post("/api/tournament/local", {
        name: this.name.value.trim() || this.t("tournament.local_default_name"),
        aliases: this.rows.map((r) => r.input.value.trim()),
        format: this.format.value,
        options: this.options.value(),
        shuffle: this.shuffle.checked,
      });
      this.shell.navigate(`/tournaments/${created.id}`);
    } catch (error) {
      this.submit.disabled = false;
      const repeated = error.details && Array.isArray(error.details.aliases) ? error.details.aliases : null;
      this.showProblem(repeated ? this.t("tournament.aliases_taken", { names: repeated.join(", ") }) : this.shell.errorMessage(error), this.rows[0].input);
    }
  }
}
