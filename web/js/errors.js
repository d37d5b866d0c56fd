// What an error says to the reader, in the reader's language, from its `code` and `details`.
//
// The server's `message` is English for people reading the raw API: the page never shows it
// to a reader of another language. Known codes read `errors.<code>`; a `validation_error`
// lists its problems from their `field` and `constraint` (`errors.rule.<field>.<constraint>`,
// else `errors.rule.<constraint>`, with the problem's limits as placeholders); a code with no
// translation reads a sentence for its status (`errors.status.<status>`), or in English the
// server's own message.

/** One validation problem ({field, constraint, limit, min, max, ...}) as "Field: rule". */
export function problemText(i18n, problem) {
  const field = problem.field || (problem.loc || []).filter((p) => typeof p === "string").slice(-1)[0];
  const constraint = problem.constraint || "invalid";
  const keys = [`errors.rule.${field}.${constraint}`, `errors.rule.${constraint}`, "errors.rule.invalid"];
  const known = (key) => i18n.has(key) || i18n.has(`${key}.other`); // plain or with plural forms
  // The limit picks the plural form: "at least 1 character", "не короче 3 символов".
  const count = typeof problem.limit === "number" ? problem.limit : problem.max;
  const rule = i18n.t(keys.find(known), { ...problem, count });
  return field ? i18n.t("errors.problem", { field: fieldName(i18n, field), rule }) : rule;
}

export function fieldName(i18n, field) {
  if (!field) return "";
  const key = `fields.${field}`;
  return i18n.has(key) ? i18n.t(key) : String(field);
}

function statusText(i18n, error) {
  if (i18n.lang === "en" && error.message) return error.message;
  const status = Number(error.status) || 0;
  const key = `errors.status.${status}`;
  if (i18n.has(key)) return i18n.t(key);
  return i18n.t(status >= 500 ? "errors.status.5xx" : "errors.status.4xx");
}

/** The sentence for an ApiError or a RealtimeError ({code, message, details, status}). */
export function errorText(i18n, error) {
  if (!error || typeof error.code !== "string") return i18n.t("errors.unexpected");
  const details = error.details && typeof error.details === "object" ? error.details : null;
  const fieldOf = details && !Array.isArray(details) ? details.field : null;
  if (error.code === "conflict" && fieldOf) {
    return i18n.t("errors.taken", { field: fieldName(i18n, fieldOf) });
  }
  if (error.code === "too_many_attempts" && details?.retry_after) {
    return i18n.t("errors.too_many_attempts", { seconds: details.retry_after });
  }
  if (error.code === "weak_password") {
    // Why, from the reason the server gives (and its numbers).
    const why = `errors.weak_password_${details?.reason}`;
    return i18n.t(details?.reason && i18n.has(why) ? why : "errors.weak_password", details || {});
  }
  if (error.code === "invalid_image" && details?.reason && i18n.has(`errors.invalid_image_${details.reason}`)) {
    return i18n.t(`errors.invalid_image_${details.reason}`, details);
  }
  if (error.code === "validation_error" && Array.isArray(details) && details.length) {
    return details.map((problem) => problemText(i18n, problem)).join(" · ");
  }
  const key = `errors.${error.code}`;
  if (i18n.has(key)) return i18n.t(key, details && !Array.isArray(details) ? details : {});
  return statusText(i18n, error);
}
