"""A real OAuth 2.0 authorization server standing in for the 42 intra, served by Hypercorn.

It speaks the intra's dialect over real sockets: `/oauth/authorize` (consent approved or
denied by a switch, codes bound to the client, redirect URI and PKCE S256 challenge),
`/oauth/token` (client secret in the body or HTTP Basic, code single use, verifier checked)
and `/v2/me` (bearer token), plus a picture for the avatar.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config
from PIL import Image
from quart import Quart, jsonify, redirect, request

CLIENT_ID = "u-s4t2ud-test-client"
CLIENT_SECRET = "s-s4t2ud-test-secret"
# What the Quart test client's requests look like to the app: the derived redirect URI.
CALLBACK = "http://localhost/api/oauth42/callback"


def png(color: tuple[int, int, int] = (0, 186, 188)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "PNG")
    return out.getvalue()


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Grant:
    user: str
    redirect_uri: str
    challenge: str
    used: bool = False


@dataclass
class FakeIntra:
    """The server's state and test switches; `base` is set once it listens."""

    redirect_uris: set[str] = field(default_factory=set)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    signed_in: str = "jdoe"  # who is logged in on the intra in "the browser"
    approve: bool = True
    me_override: Any = None  # a body to send instead of the profile (bad userinfo)
    hang_token: bool = False  # the token endpoint answers only when the server stops
    base: str = ""
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task | None = None

    def add_user(self, login: str, user_id: int, email: str, displayname: str) -> None:
        self.users[login] = {
            "id": user_id,
            "login": login,
            "email": email,
            "displayname": displayname,
            "usual_full_name": displayname,
            "image": {"link": f"{self.base}/pictures/{login}.png", "versions": {}},
            "campus": [{"id": 1, "name": "Paris"}],
        }

    # --- the server --------------------------------------------------------------------

    def app(self) -> Quart:
        app = Quart("fake42")

        def back(redirect_uri: str, **params: str):
            return redirect(f"{redirect_uri}?{urlencode(params)}", 302)

        @app.get("/oauth/authorize")
        async def authorize():
            args = request.args
            if args.get("client_id") != CLIENT_ID:
                return jsonify(error="invalid_client"), 401
            redirect_uri = args.get("redirect_uri", "")
            if redirect_uri not in self.redirect_uris:
                return jsonify(error="invalid_redirect_uri"), 400
            state = args.get("state", "")
            if args.get("response_type") != "code":
                return back(redirect_uri, error="unsupported_response_type", state=state)
            if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
                return back(redirect_uri, error="invalid_request", state=state)
            if not self.approve:
                return back(
                    redirect_uri,
                    error="access_denied",
                    error_description="The resource owner or authorization server denied "
                    "the request.",
                    state=state,
                )
            code = secrets.token_hex(16)
            self.codes[code] = Grant(self.signed_in, redirect_uri, args["code_challenge"])
            return back(redirect_uri, code=code, state=state)

        @app.post("/oauth/token")
        async def token():
            form = dict((await request.form).items())
            self.token_requests.append(form)
            if self.hang_token:
                await self._stop.wait()
                return jsonify(error="temporarily_unavailable"), 503
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            basic = request.authorization
            if basic is not None and basic.type == "basic":
                client_id, client_secret = basic.username, basic.password
            if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
                return jsonify(error="invalid_client"), 401
            if form.get("grant_type") != "authorization_code":
                return jsonify(error="unsupported_grant_type"), 400
            grant = self.codes.get(form.get("code", ""))
            if grant is None or grant.used:
                return jsonify(
                    error="invalid_grant",
                    error_description="The provided authorization grant is invalid, expired, "
                    "revoked, does not match the redirection URI used in the authorization "
                    "request, or was issued to another client.",
                ), 400
            grant.used = True  # single use, even when the rest of the request is wrong
            if form.get("redirect_uri") != grant.redirect_uri:
                return jsonify(error="invalid_grant", error_description="redirect_uri"), 400
            if s256(form.get("code_verifier", "")) != grant.challenge:
                return jsonify(error="invalid_grant", error_description="code_verifier"), 400
            access = secrets.token_hex(32)
            self.tokens[access] = grant.user
            return jsonify(
                access_token=access,
                token_type="bearer",
                expires_in=7200,
                refresh_token=secrets.token_hex(32),
                scope="public",
                created_at=1700000000,
            )

        @app.get("/v2/me")
        async def me():
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            login = self.tokens.get(value) if scheme.lower() == "bearer" else None
            if login is None:
                return jsonify(error="Not authorized"), 401
            if self.me_override is not None:
                return self.me_override
            return jsonify(self.users[login])

        @app.get("/pictures/<login>.png")
        async def picture(login: str):
            return png(), 200, {"Content-Type": "image/png"}

        return app

    async def start(self) -> None:
        """Listen before serving, so the first request never races the startup."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = Config()
        config.bind = [f"fd://{sock.detach()}"]
        config.accesslog = None
        config.errorlog = None
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(
            serve(self.app(), config, shutdown_trigger=self._stop.wait)
        )

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        await self._task
        self._task = None


def local(url: str) -> str:
    """`/path?query` of an absolute URL, for the Quart test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def through_intra(url: str) -> str:
    """Visit the intra's authorize URL the way a browser does; where it sends us back."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=5) as browser:
        response = await browser.get(url)
    assert response.status_code == 302, (response.status_code, response.text)
    return response.headers["location"]
