// Building DOM safely: every string becomes a text node or an attribute value, never HTML.
// This file is the only way views create elements, so user content cannot become markup.

/**
 * h("button", {class: "btn", onclick: fn, "aria-label": "Close"}, "text", childNode, [more])
 *
 * attrs: `class` (string or array), `text` (textContent), `dataset` (object), `on<event>`
 * (listener), boolean values set/remove the attribute, `value`/`checked`/`disabled` and
 * other known properties are set as properties. Children: strings/numbers become text
 * nodes; null, undefined and false are skipped; arrays are flattened.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    } else if (name === "text") {
      el.textContent = String(value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (PROPERTIES.has(name)) {
      el[name] = value;
    } else if (name === "style" || name === "innerHTML" || name === "outerHTML") {
      throw new Error(`h(): "${name}" is not allowed (CSP and safety); use classes and children`);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "htmlFor"]);

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace every child of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let ids = 0;
/** A unique id for label/input pairs. */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled form field with an optional help text and a slot for its error. */
export function field({ label, name, type = "text", value = "", help, required = false, autocomplete, attrs = {} }) {
  const id = uid(name);
  const helpId = help ? `${id}-help` : undefined;
  const input = h("input", {
    class: "form-control",
    id,
    name,
    type,
    value,
    required,
    autocomplete,
    "aria-describedby": helpId,
    ...attrs,
  });
  return h(
    "div",
    { class: "mb-3" },
    h("label", { class: "form-label", htmlFor: id, text: label }),
    input,
    help ? h("div", { class: "form-text", id: helpId, text: help }) : null,
  );
}

/** An alert box that is empty and hidden until `show(message, kind)` is called. */
export function alertBox() {
  const el = h("div", { class: "alert d-none", role: "alert" });
  return {
    el,
    show(message, kind = "danger") {
      el.className = `alert alert-${kind}`;
      el.textContent = message;
    },
    clear() {
      el.className = "alert d-none";
      el.textContent = "";
    },
  };
}

/** A spinner for a button while its request runs; returns a function that restores it. */
export function busy(button) {
  const previous = [...button.childNodes];
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.prepend(h("span", { class: "spinner-border spinner-border-sm me-2", "aria-hidden": "true" }));
  return () => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.replaceChildren(...previous);
  };
}

/** Format an ISO date for people, in the current language. */
export function formatDate(iso, lang, options = { dateStyle: "medium" }) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang, options).format(date);
}

/** "3 minutes ago" in the current language. */
export function timeAgo(iso, lang) {
  if (!iso) return "";
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const steps = [
    ["year", 31536000],
    ["month", 2592000],
    ["week", 604800],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return rtf.format(seconds, "second");
}
