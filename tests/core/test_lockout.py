"""Login throttling that an attacker cannot turn against the owner (issue 16, point 2).

Failures count per (account, address) and per address, with a slower per-account limit
whose wait grows; the account is the resolved one (name and email share it), and the
owner's own address is never locked out by someone else's failures. Signups are throttled
per address. Every test runs on the in-process counters and, with TEST_REDIS_URL, on Redis.
"""

from __future__ import annotations

import asyncio

from transcendence.accounts import throttle

PASSWORD = "correct horse battery"


def at(address: str) -> dict:
    """Request options that make the request come from `address`."""
    return {"scope_base": {"client": (address, 40000)}}


async def login(client, username="alice", password=PASSWORD, address="192.0.2.1"):
    return await client.post(
        "/api/auth/login", json={"username": username, "password": password}, **at(address)
    )


async def signup(client, username, address="192.0.2.1"):
    return await client.post(
        "/api/auth/signup",
        json={"username": username, "email": f"{username}@example.test", "password": PASSWORD},
        **at(address),
    )


async def refused(response, scope: str) -> None:
    assert response.status_code == 429
    body = await response.get_json()
    assert body["error"]["code"] == "too_many_attempts"
    assert body["error"]["details"]["scope"] == scope
    retry = body["error"]["details"]["retry_after"]
    assert retry > 0 and response.headers["Retry-After"] == str(retry)


async def test_someone_elses_failures_never_lock_the_owner_out_of_their_own_address(
    client, make_user
):
    await make_user("alice")
    assert (await login(client, address="198.51.100.7")).status_code == 200  # alice's home
    # An attacker spreads guesses over many addresses, by name and by email.
    for i in range(throttle.ACCOUNT_FREE + 5):
        name = "alice" if i % 2 else "ALICE@example.test"
        response = await login(client, name, "wrong password!", address=f"203.0.113.{i}")
        if response.status_code == 429:
            await refused(response, "account")
        else:
            assert response.status_code == 401
    # New addresses now wait (the per-account limit), the owner at home does not.
    await refused(await login(client, address="203.0.113.200"), "account")
    assert (await login(client, address="198.51.100.7")).status_code == 200


async def test_failures_from_one_address_stop_that_address_only(client, make_user):
    await make_user("alice")
    for _ in range(throttle.PAIR_LIMIT):
        assert (
            await login(client, password="wrong password!", address="203.0.113.9")
        ).status_code == 401
    # Even the right password waits at that address...
    await refused(await login(client, address="203.0.113.9"), "account_address")
    # ...while alice logs in from anywhere else.
    assert (await login(client, address="198.51.100.7")).status_code == 200


async def test_the_username_and_the_email_share_one_bucket(client, make_user):
    await make_user("alice")
    for i in range(throttle.PAIR_LIMIT):
        name = "alice" if i % 2 else "alice@example.test"
        assert (await login(client, name, "wrong password!")).status_code == 401
    await refused(await login(client, "ALICE@EXAMPLE.TEST"), "account_address")
    await refused(await login(client, "Alice"), "account_address")


async def test_one_address_guessing_many_accounts_is_throttled(client):
    for i in range(throttle.ADDRESS_LIMIT):
        assert (await login(client, f"ghost{i}", "wrong password!")).status_code == 401
    await refused(await login(client, "someone-else", "wrong password!"), "address")
    # Another address is not affected.
    assert (await login(client, "ghost0", "wrong", address="198.51.100.7")).status_code == 401


async def test_parallel_guesses_cannot_pass_the_limit_together(client, make_user):
    """The slot is taken before the password is checked, atomically on every node."""
    await make_user("alice")
    responses = await asyncio.gather(
        *(login(client, password=f"wrong password {i}") for i in range(3 * throttle.PAIR_LIMIT))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(401) == throttle.PAIR_LIMIT
    assert statuses.count(429) == 2 * throttle.PAIR_LIMIT


async def test_the_account_limit_waits_longer_after_each_failure():
    free = throttle.ACCOUNT_FREE
    waits = [throttle.account_backoff(n) for n in range(free, free + 12)]
    assert waits[0] == 0 and waits[1] == throttle.ACCOUNT_BACKOFF
    assert waits[2] == 2 * waits[1] and waits[3] == 2 * waits[2]
    assert waits[-1] == throttle.ACCOUNT_BACKOFF_CAP


async def test_signups_are_throttled_per_address(client, settings):
    assert settings.signups_per_hour == throttle.SIGNUP_LIMIT  # the default
    for i in range(throttle.SIGNUP_LIMIT):
        assert (await signup(client, f"player{i}")).status_code == 201
    await refused(await signup(client, "oneMore"), "signup")
    assert (await signup(client, "oneMore", address="198.51.100.7")).status_code == 201
