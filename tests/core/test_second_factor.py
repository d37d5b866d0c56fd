"""The second factor cannot be guessed or replayed (issue 16, point 4).

Every endpoint that checks a TOTP or recovery code is throttled like a password; a TOTP
time step is accepted once per account; an `mfa_token` logs in once. Runs on the
in-process counters and, with TEST_REDIS_URL, on Redis.
"""

from __future__ import annotations

import asyncio

import pyotp
import pytest

from transcendence.accounts import service, throttle
from transcendence.accounts.models import User

PASSWORD = "correct horse battery"
NOW = 1_800_000_000.0  # a fixed clock: each test picks the time steps it uses


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clock(monkeypatch):
    now = [NOW]
    monkeypatch.setattr(service, "totp_clock", lambda: now[0])
    return now


async def with_2fa(make_user, name: str = "alice"):
    """A player with 2FA on; returns (player, TOTP)."""
    player = await make_user(name)
    secret = pyotp.random_base32()
    await User.filter(id=player.id).update(totp_secret=secret, totp_enabled=True)
    return player, pyotp.TOTP(secret)


async def mfa_token(client, name: str = "alice") -> str:
    step = await client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    return (await step.get_json())["mfa_token"]


async def second_step(client, token: str, code: str):
    return await client.post("/api/auth/login/2fa", json={"mfa_token": token, "code": code})


async def assert_throttled(response) -> None:
    assert response.status_code == 429
    body = await response.get_json()
    assert body["error"]["code"] == "too_many_attempts"
    assert int(response.headers["Retry-After"]) == body["error"]["details"]["retry_after"]


def wrong(totp: pyotp.TOTP, i: int) -> str:
    """A six-digit code that is not valid around NOW."""
    valid = {totp.at(NOW + d) for d in (-30, 0, 30)}
    return next(c for c in (f"{n:06d}" for n in range(i * 10, i * 10 + 10)) if c not in valid)


async def test_disabling_2fa_with_guessed_codes_is_throttled(client, make_user, clock):
    alice, totp = await with_2fa(make_user)
    for i in range(throttle.PAIR_LIMIT):
        response = await client.post(
            "/api/auth/2fa/disable", json={"code": wrong(totp, i)}, headers=alice.headers
        )
        assert response.status_code == 400
    # The right code now waits too: guessing has to stop, not just fail.
    right = await client.post(
        "/api/auth/2fa/disable", json={"code": totp.at(NOW)}, headers=alice.headers
    )
    await assert_throttled(right)
    assert (await User.get(id=alice.id)).totp_enabled is True


async def test_confirming_2fa_with_guessed_codes_is_throttled(client, make_user, clock):
    alice = await make_user("alice")
    await client.post("/api/auth/2fa/setup", headers=alice.headers)
    totp = pyotp.TOTP((await User.get(id=alice.id)).totp_secret)
    for i in range(throttle.PAIR_LIMIT):
        response = await client.post(
            "/api/auth/2fa/confirm", json={"code": wrong(totp, i)}, headers=alice.headers
        )
        assert response.status_code == 400
    response = await client.post(
        "/api/auth/2fa/confirm", json={"code": totp.at(NOW)}, headers=alice.headers
    )
    await assert_throttled(response)


async def test_the_login_step_with_guessed_codes_is_throttled(client, make_user, clock):
    _, totp = await with_2fa(make_user)
    token = await mfa_token(client)
    for i in range(throttle.PAIR_LIMIT):
        assert (await second_step(client, token, wrong(totp, i))).status_code == 401
    await assert_throttled(await second_step(client, token, totp.at(NOW)))


async def test_logging_in_again_with_the_password_does_not_reset_the_code_limit(
    client, make_user, clock
):
    """2FA protects an account whose password is known: the password cannot buy guesses."""
    _, totp = await with_2fa(make_user)
    for i in range(throttle.PAIR_LIMIT):
        # A fresh password step (a success) before each guess.
        assert (
            await second_step(client, await mfa_token(client), wrong(totp, i))
        ).status_code == 401
    await assert_throttled(await second_step(client, await mfa_token(client), totp.at(NOW)))


async def test_one_totp_code_logs_in_once(client, make_user, clock):
    _, totp = await with_2fa(make_user)
    code = totp.at(NOW)
    assert (await second_step(client, await mfa_token(client), code)).status_code == 200
    replay = await second_step(client, await mfa_token(client), code)
    assert replay.status_code == 401
    assert (await replay.get_json())["error"]["code"] == "invalid_code"
    # An older step's code is no good either once a newer one was used...
    old = await second_step(client, await mfa_token(client), totp.at(NOW - 30))
    assert old.status_code == 401
    # ...while the next step's code works.
    clock[0] += 30
    assert (
        await second_step(client, await mfa_token(client), totp.at(NOW + 30))
    ).status_code == 200


async def test_one_totp_code_sent_twice_at_once_logs_in_once(client, make_user, clock):
    _, totp = await with_2fa(make_user)
    tokens = [await mfa_token(client), await mfa_token(client)]
    code = totp.at(NOW)
    results = await asyncio.gather(*(second_step(client, t, code) for t in tokens))
    assert sorted(r.status_code for r in results) == [200, 401]


async def test_an_mfa_token_logs_in_once(client, make_user, clock):
    _, totp = await with_2fa(make_user)
    token = await mfa_token(client)
    assert (await second_step(client, token, totp.at(NOW))).status_code == 200
    clock[0] += 30  # a fresh code: only the token is reused
    again = await second_step(client, token, totp.at(NOW + 30))
    assert again.status_code == 401
    assert (await again.get_json())["error"]["code"] == "invalid_token"


async def test_a_code_used_to_log_in_cannot_disable_2fa(client, make_user, clock):
    alice, totp = await with_2fa(make_user)
    code = totp.at(NOW)
    assert (await second_step(client, await mfa_token(client), code)).status_code == 200
    off = await client.post("/api/auth/2fa/disable", json={"code": code}, headers=alice.headers)
    assert off.status_code == 400
    assert (await User.get(id=alice.id)).totp_enabled is True
