"""The oauth42 module: log in with the 42 intra (OAuth 2.0 authorization code + PKCE).

`hooks` registers it, `routes` holds the browser-facing endpoints, `provider` talks to
the intra through authlib, `service` holds the account rules. See docs/oauth42.md.
"""
