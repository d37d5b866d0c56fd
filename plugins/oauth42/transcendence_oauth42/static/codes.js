// The error codes the server's OAuth callback may send back (`?oauth_error=<code>`), one
// message each ("oauth42.error.<code>" in i18n/<lang>.json; docs/oauth42.md lists them).

export const CODES = [
  "not_configured",
  "access_denied",
  "invalid_state",
  "state_expired",
  "missing_code",
  "code_rejected",
  "provider_error",
  "provider_unavailable",
  "bad_userinfo",
  "email_in_use",
  "signup_failed",
  "already_linked",
  "account_linked",
  "account_unavailable",
  "server_error",
];
