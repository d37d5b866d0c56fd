"""Signup, login, tokens, refresh rotation, throttling, sessions and 2FA, through HTTP."""

from __future__ import annotations

import time

import jwt
import pyotp
import pytest
from argon2 import PasswordHasher

from transcendence.accounts import service, throttle, tokens
from transcendence.accounts.models import User

PASSWORD = "correct horse battery"


async def signup(client, username="alice", email=None, password=PASSWORD):
    return await client.post(
        "/api/auth/signup",
        json={
            "username": username,
            "email": email or f"{username}@example.test",
            "password": password,
        },
    )


async def login(client, username="alice", password=PASSWORD, **headers):
    return await client.post(
        "/api/auth/login", json={"username": username, "password": password}, headers=headers
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_signup_returns_the_user_without_secrets(client):
    response = await signup(client)
    assert response.status_code == 201
    user = (await response.get_json())["user"]
    assert user["username"] == "alice" and user["display_name"] == "alice"
    assert user["email"] == "alice@example.test"
    assert user["avatar_url"] == f"/api/users/{user['id']}/avatar"
    assert "password" not in str(user) and "hash" not in str(user)


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [("ALICE", "other@example.test", "username"), ("bob", "Alice@Example.TEST", "email")],
)
async def test_duplicates_are_409_naming_the_field_case_insensitively(
    client, username, email, field
):
    await signup(client)
    response = await signup(client, username, email)
    assert response.status_code == 409
    body = await response.get_json()
    assert body["error"]["code"] == "conflict" and body["error"]["details"] == {"field": field}


async def test_display_name_taken_is_409(app, client):
    await service.create_user("carol", "carol@example.test", PASSWORD, display_name="Bob")
    response = await signup(client, "bob")
    assert response.status_code == 409
    assert (await response.get_json())["error"]["details"] == {"field": "display_name"}


@pytest.mark.parametrize(
    ("password", "details"),
    [
        ("short", {"reason": "too_short", "min": 8}),
        ("password123", {"reason": "common"}),
        ("qwertyuiop", {"reason": "common"}),
        ("alicealice", {"reason": "personal"}),
        ("aaaabbbbab", {"reason": "too_simple"}),
    ],
)
async def test_weak_passwords_are_refused(client, password, details):
    response = await signup(client, "alicealice", password=password)
    assert response.status_code == 400
    body = await response.get_json()
    assert body["error"]["code"] == "weak_password"
    # Why, as a reason and its numbers: the browser says it in the reader's language.
    assert body["error"]["details"] == {"field": "password", **details}


async def test_bad_signup_shapes_are_validation_errors(client):
    response = await client.post(
        "/api/auth/signup", json={"username": "a b", "email": "nope", "password": PASSWORD}
    )
    assert response.status_code == 400
    fields = {d["loc"][0] for d in (await response.get_json())["error"]["details"]}
    assert fields == {"username", "email"}


async def test_validation_problems_name_the_field_the_constraint_and_its_limits(client):
    """The browser says each problem in its reader's language: from these, not from `msg`."""
    response = await client.post(
        "/api/auth/signup",
        json={"username": "a b", "email": "nope", "password": "x" * 1025},
    )
    problems = {d["field"]: d for d in (await response.get_json())["error"]["details"]}
    assert problems["username"]["constraint"] == "pattern"
    assert (problems["username"]["min"], problems["username"]["max"]) == (3, 32)
    assert problems["username"]["msg"] == "3 to 32 letters, digits, '_' or '-'"
    assert problems["email"]["constraint"] == "email"
    assert (problems["password"]["constraint"], problems["password"]["limit"]) == (
        "max_length",
        1024,
    )
    response = await signup(client, "deleted-7")
    (reserved,) = (await response.get_json())["error"]["details"]
    assert (reserved["constraint"], reserved["prefix"]) == ("reserved", "deleted-")
    response = await client.post("/api/auth/signup", json={"email": "a@b.cd", "password": "p"})
    (missing,) = (await response.get_json())["error"]["details"]
    assert (missing["field"], missing["constraint"]) == ("username", "required")


async def test_login_sets_an_httponly_strict_refresh_cookie(client):
    await signup(client)
    response = await login(client)
    assert response.status_code == 200
    body = await response.get_json()
    assert body["user"]["username"] == "alice"
    cookie = response.headers["Set-Cookie"]
    assert "refresh_token=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/api/auth" in cookie
    claims = jwt.decode(body["access"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 15 * 60
    sessions = await client.get("/api/auth/sessions", headers=bearer(body["access"]))
    assert sessions.status_code == 200
    assert [s["current"] for s in (await sessions.get_json())["items"]] == [True]


async def test_login_by_email_and_wrong_password(client):
    await signup(client)
    assert (await login(client, "ALICE@example.test")).status_code == 200
    wrong = await login(client, password="not the password")
    assert wrong.status_code == 401
    assert (await wrong.get_json())["error"]["code"] == "invalid_credentials"
    unknown = await login(client, "nobody")
    assert (await unknown.get_json())["error"]["code"] == "invalid_credentials"
    # Longer than any username (found by the API fuzz test: it was a 500).
    long = await login(client, "0" * 33)
    assert long.status_code == 401
    assert (await long.get_json())["error"]["code"] == "invalid_credentials"


async def test_failed_logins_are_throttled_per_account_and_address_with_retry_after(client):
    await signup(client)
    for _ in range(throttle.PAIR_LIMIT):
        assert (await login(client, password="wrong password!")).status_code == 401
    throttled = await login(client)  # even the right password waits
    assert throttled.status_code == 429
    body = await throttled.get_json()
    assert body["error"]["code"] == "too_many_attempts"
    assert body["error"]["details"]["scope"] == "account_address"
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60 + 1


async def test_failed_logins_are_throttled_per_address(client):
    for i in range(throttle.ADDRESS_LIMIT):
        await login(client, f"ghost{i}", "wrong password!")
    throttled = await login(client, "someone-else", "wrong password!")
    assert throttled.status_code == 429
    assert (await throttled.get_json())["error"]["details"]["scope"] == "address"


async def test_fake_expired_and_forged_tokens_are_401_json(app, client, make_user):
    fake = await client.get("/api/auth/sessions", headers=bearer("fake"))
    assert fake.status_code == 401
    assert (await fake.get_json())["error"]["code"] == "invalid_token"
    assert fake.headers["WWW-Authenticate"].startswith("Bearer")
    missing = await client.get("/api/auth/sessions")
    assert (await missing.get_json())["error"]["code"] == "unauthorized"

    alice = await make_user()
    secret = app.config["SECRET_KEY"]
    expired = tokens.issue_access(secret, alice.id, 0, str(alice.session.id), ttl=-5)
    response = await client.get("/api/auth/sessions", headers=bearer(expired))
    assert (await response.get_json())["error"]["code"] == "token_expired"
    forged = jwt.encode(
        {
            "sub": str(alice.id),
            "typ": "access",
            "iss": "transcendence",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        key=None,
        algorithm="none",
    )
    response = await client.get("/api/auth/sessions", headers=bearer(forged))
    assert response.status_code == 401
    other_key = jwt.encode(
        {
            "sub": str(alice.id),
            "typ": "access",
            "iss": "transcendence",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "another-secret-that-is-long-enough-for-hs256",
        algorithm="HS256",
    )
    assert (await client.get("/api/auth/sessions", headers=bearer(other_key))).status_code == 401
    mfa = tokens.issue_mfa(secret, alice.id)  # right key, wrong kind of token
    assert (await client.get("/api/auth/sessions", headers=bearer(mfa))).status_code == 401


async def test_a_token_that_worked_is_refused_once_it_expires(app, client, make_user, monkeypatch):
    """Verified tokens are remembered (`tokens.decode_access`); the clock still applies."""
    alice = await make_user()
    secret = app.config["SECRET_KEY"]
    token = tokens.issue_access(secret, alice.id, 0, str(alice.session.id), ttl=60)
    assert (await client.get("/api/auth/sessions", headers=bearer(token))).status_code == 200
    expires = tokens.decode_access(secret, token).expires_at
    monkeypatch.setattr(tokens.time, "time", lambda: float(expires))
    response = await client.get("/api/auth/sessions", headers=bearer(token))
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "token_expired"
    # Remembered under its own signing secret only: another deployment's key verifies anew.
    with pytest.raises(tokens.TokenError):
        tokens.decode_access("another-secret-that-is-long-enough-for-hs256", token)


def refresh_cookie(response) -> str:
    header = response.headers["Set-Cookie"]
    assert header.startswith("refresh_token=")
    return header.split(";", 1)[0].split("=", 1)[1]


async def test_refresh_rotates_and_reuse_revokes_the_session(app, client):
    await signup(client)
    stolen = refresh_cookie(await login(client))
    first = await client.post("/api/auth/refresh")
    assert first.status_code == 200
    assert (await first.get_json())["access"]
    assert refresh_cookie(first) != stolen

    # An attacker replays the spent token from elsewhere: the whole session dies.
    attacker = app.test_client()
    replay = await attacker.post("/api/auth/refresh", headers={"Cookie": f"refresh_token={stolen}"})
    assert replay.status_code == 401
    assert (await replay.get_json())["error"]["code"] == "refresh_reused"
    assert (await client.post("/api/auth/refresh")).status_code == 401


async def test_logout_clears_the_cookie_and_ends_the_session(client):
    await signup(client)
    await login(client)
    response = await client.post("/api/auth/logout")
    assert response.status_code == 204
    assert "refresh_token=;" in response.headers["Set-Cookie"] or (
        "Max-Age=0" in response.headers["Set-Cookie"]
    )
    assert (await client.post("/api/auth/refresh")).status_code == 401


async def test_cross_site_refresh_is_refused(client):
    await signup(client)
    await login(client)
    response = await client.post("/api/auth/refresh", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert (await response.get_json())["error"]["code"] == "bad_origin"


async def test_logout_everywhere_revokes_access_tokens_too(client):
    await signup(client)
    first = (await (await login(client)).get_json())["access"]
    second = (await (await login(client)).get_json())["access"]
    assert (await client.post("/api/auth/logout-all", headers=bearer(first))).status_code == 204
    response = await client.get("/api/auth/sessions", headers=bearer(second))
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "token_revoked"


async def test_revoke_one_session(client):
    await signup(client)
    mine = (await (await login(client)).get_json())["access"]
    await login(client)  # another device
    items = (await (await client.get("/api/auth/sessions", headers=bearer(mine))).get_json())[
        "items"
    ]
    other = next(s for s in items if not s["current"])
    response = await client.delete(f"/api/auth/sessions/{other['id']}", headers=bearer(mine))
    assert response.status_code == 204
    items = (await (await client.get("/api/auth/sessions", headers=bearer(mine))).get_json())[
        "items"
    ]
    assert [s["current"] for s in items] == [True]
    missing = await client.delete("/api/auth/sessions/not-a-uuid", headers=bearer(mine))
    assert missing.status_code == 404


async def test_two_factor_enable_login_recovery_and_disable(client, monkeypatch):
    # Each code comes from its own time step: a step's code is accepted once.
    clock = [1_800_000_000.0]
    monkeypatch.setattr(service, "totp_clock", lambda: clock[0])
    await signup(client)
    access = (await (await login(client)).get_json())["access"]
    setup = await (await client.post("/api/auth/2fa/setup", headers=bearer(access))).get_json()
    assert setup["qr_svg"].startswith("data:image/svg+xml")
    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(setup["secret"])
    totp.now = lambda: totp.at(clock[0])  # type: ignore[method-assign]

    bad = await client.post(
        "/api/auth/2fa/confirm", json={"code": "000000"}, headers=bearer(access)
    )
    assert bad.status_code == 400
    confirmed = await client.post(
        "/api/auth/2fa/confirm", json={"code": totp.now()}, headers=bearer(access)
    )
    codes = (await confirmed.get_json())["recovery_codes"]
    assert len(codes) == 10
    clock[0] += 30

    step = await (await login(client)).get_json()
    assert step == {"mfa_required": True, "mfa_token": step["mfa_token"]} and step["mfa_token"]
    wrong = await client.post(
        "/api/auth/login/2fa", json={"mfa_token": step["mfa_token"], "code": "123456"}
    )
    assert wrong.status_code == 401
    ok = await client.post(
        "/api/auth/login/2fa", json={"mfa_token": step["mfa_token"], "code": totp.now()}
    )
    assert ok.status_code == 200 and (await ok.get_json())["access"]
    clock[0] += 30

    # A recovery code works once.
    step = await (await login(client)).get_json()
    used = await client.post(
        "/api/auth/login/2fa", json={"mfa_token": step["mfa_token"], "code": codes[0]}
    )
    assert used.status_code == 200
    again = await client.post(
        "/api/auth/login/2fa", json={"mfa_token": step["mfa_token"], "code": codes[0]}
    )
    assert again.status_code == 401

    clock[0] += 30
    off = await client.post(
        "/api/auth/2fa/disable", json={"code": totp.now()}, headers=bearer(access)
    )
    assert off.status_code == 204
    assert (await (await login(client)).get_json())["access"]


async def test_login_rehashes_when_parameters_change(client):
    await signup(client)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    await User.filter(username="alice").update(password_hash=weak)
    assert (await login(client)).status_code == 200
    stored = (await User.get(username="alice")).password_hash
    assert stored != weak and "m=8," not in stored


async def test_control_characters_are_refused_not_a_crash(client):
    for body in (
        {"username": "ali\x00ce", "password": PASSWORD},
        {"username": "alice", "password": "pass\x00word!"},
    ):
        response = await client.post("/api/auth/login", json=body)
        assert response.status_code == 400
        assert (await response.get_json())["error"]["code"] == "validation_error"


async def test_the_anonymised_prefix_is_reserved(client):
    response = await signup(client, "Deleted-42")
    assert response.status_code == 400
