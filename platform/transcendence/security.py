"""Security headers on every response."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from quart import Quart, Response, request


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The app's CSP; `script_hashes` ("sha256-...") allow those inline scripts, no other."""
    scripts = " ".join(["'self'", *(f"'{digest}'" for digest in script_hashes)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; "
        "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


# No inline script: on the API docs page (vendored Swagger UI) and every other response.
# The SPA's page has one, its import map, allowed by its hash (inline_script_hashes).
CSP = content_security_policy()

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def inline_script_hashes(html: bytes) -> list[str]:
    """The CSP hash of each inline <script> of a page: exactly its text, as browsers hash it."""
    return [
        "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        for body in _INLINE_SCRIPT.findall(html)
    ]


# Every response's headers, unless the response set its own (the SPA's page sets its CSP).
HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def install(app: Quart, *, tls: bool) -> None:
    # Lower-cased names, worked out once: werkzeug's `Headers.setdefault` looks each name up
    # by raising and catching a KeyError, about 15 µs a header, more than the rest of this.
    plain = tuple((name.lower(), name, value) for name, value in HEADERS)
    secure = (*plain, (HSTS[0].lower(), *HSTS))

    @app.after_request
    async def _headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        for lower, name, value in secure if tls or request.scheme == "https" else plain:
            if lower not in present:
                headers.add(name, value)
        return response
