// /tournaments/online/new: open an online tournament (the creator takes the first seat).

import { View, h } from "@transcendence/shell";
import { loadDefinition, optionsFieldset } from "./options.js";

export class CreateOnlineView extends View {
  title() {
    return this.t("tournament.online_title");
  }

  async render() {
    const field = (id, labelKey, input, helpKey) =>
      h(
        "div",
        { class: "col-12 col-md-6" },
        h("label", { class: "form-label", htmlFor: id, text: this.t(labelKey) }),
        input,
        helpKey ? h("div", { class: "form-text", id: `${id}-help`, text: this.t(helpKey) }) : null,
      );
    const select = (id, name, values, labelOf) =>
      h("select", { class: "form-select", id, name }, values.map((v) => h("option", { value: v, text: labelOf(v) })));
    this.inputs = {
      name: h("input", { class: "form-control", id: "tournament-online-name", name: "name", required: true, maxlength: 64, value: this.t("tournament.online_default_name") }),
      size: h("input", { class: "form-control", id: "tournament-online-size", name: "size", type: "number", min: 3, max: 16, step: 1, value: "4", required: true, "aria-describedby": "tournament-online-size-help" }),
      format: select("tournament-online-format", "format", ["single", "round_robin"], (f) => this.t(`tournament.format_${f}`)),
      seeding: select("tournament-online-seeding", "seeding", ["rating", "random"], (s) => this.t(`tournament.seeding_${s}`)),
      alias: h("input", {
        class: "form-control",
        id: "tournament-online-alias",
        name: "alias",
        maxlength: 32,
        placeholder: this.user ? this.user.display_name || this.user.username : "",
        "aria-describedby": "tournament-online-alias-help",
      }),
      startsAt: h("input", { class: "form-control", id: "tournament-online-starts", name: "starts_at", type: "datetime-local", "aria-describedby": "tournament-online-starts-help" }),
      noShow: h("input", { class: "form-control", id: "tournament-online-noshow", name: "no_show_seconds", type: "number", min: 10, max: 3600, step: 1, value: "60", required: true, "aria-describedby": "tournament-online-noshow-help" }),
    };
    this.options = optionsFieldset(this.shell, await loadDefinition(this.api), "tournament-online-opt");
    this.problem = h("div", { class: "alert alert-danger", role: "alert", hidden: true });
    this.submit = h("button", { type: "submit", class: "btn btn-primary", id: "tournament-online-create", text: this.t("tournament.create_online") });
    this.form = h(
      "form",
      { class: "tournament-form", id: "tournament-online-form", onsubmit: (event) => this.create(event) },
      this.problem,
      h(
        "div",
        { class: "row g-3 mb-3" },
        field("tournament-online-name", "tournament.name", this.inputs.name),
        field("tournament-online-size", "tournament.size", this.inputs.size, "tournament.size_help"),
        field("tournament-online-format", "tournament.format", this.inputs.format),
        field("tournament-online-seeding", "tournament.seeding", this.inputs.seeding),
        field("tournament-online-starts", "tournament.starts", this.inputs.startsAt, "tournament.starts_help"),
        field("tournament-online-noshow", "tournament.no_show", this.inputs.noShow, "tournament.no_show_help"),
        field("tournament-online-alias", "tournament.your_alias", this.inputs.alias, "tournament.alias_help"),
      ),
      this.options.el,
      this.submit,
    );
    return h(
      "section",
      { class: "tournament-page", id: "tournament-online-page" },
      this.header(this.t("tournament.online_title"), this.t("tournament.online_lead")),
      this.form,
    );
  }

  async create(event) {
    event.preventDefault();
    this.problem.hidden = true;
    if (!this.form.reportValidity()) return;
    const alias = this.inputs.alias.value.trim();
    const when = this.inputs.startsAt.value ? new Date(this.inputs.startsAt.value) : null;
    if (when && !(when.getTime() > Date.now())) {
      this.problem.textContent = this.t("tournament.starts_past");
      this.problem.hidden = false;
      this.inputs.startsAt.focus();
      return;
    }
    this.submit.disabled = true;
    try {
      const created = await this.api.post("/api/tournament/online", {
        name: this.inputs.name.value.trim(),
        size: Number(this.inputs.size.value),
        format: this.inputs.format.value,
        seeding: this.inputs.seeding.value,
        starts_at: when ? when.toISOString() : null,
        no_show_seconds: Number(this.inputs.noShow.value),
        options: this.options.value(),
        ...(alias ? { alias } : {}),
      });
      this.shell.navigate(`/tournaments/${created.id}`);
    } catch (error) {
      this.submit.disabled = false;
      this.problem.textContent = this.shell.errorMessage(error);
      this.problem.hidden = false;
    }
  }
}
