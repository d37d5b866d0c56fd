"""My data: export it, anonymise my account, or delete it, after proving it is me."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pyotp
import pytest
from PIL import Image
from quart.datastructures import FileStorage

from transcendence import hookimpl
from transcendence.accounts import service, throttle
from transcendence.accounts.models import (
    Avatar,
    Block,
    Friendship,
    RecoveryCode,
    RefreshToken,
    Session,
    User,
)
from transcendence.errors import APIError
from transcendence.models import Notification


class MatchesModule:
    @hookimpl
    async def user_profile_extras(self, user):
        return {"matches_played": 7}


@pytest.fixture
def with_extras(app):
    pm = app.extensions["transcendence"].modules.pm
    plugin = MatchesModule()
    pm.register(plugin)
    yield
    pm.unregister(plugin)


async def befriend(client, a, b):
    await client.post("/api/friends/requests", json={"user_id": b.id}, headers=a.headers)
    await client.post("/api/friends/requests", json={"user_id": a.id}, headers=b.headers)


async def give_avatar(client, player):
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(out, "PNG")
    files = {"avatar": FileStorage(io.BytesIO(out.getvalue()), filename="a.png")}
    response = await client.put("/api/me/avatar", files=files, headers=player.headers)
    assert response.status_code == 200


async def test_export_holds_all_my_data_and_no_secrets(client, make_user, with_extras):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    await befriend(client, alice, bob)
    await client.post("/api/blocks/", json={"user_id": carol.id}, headers=alice.headers)
    await give_avatar(client, alice)
    await Notification.create(user_id=alice.id, kind="pong.invite", data={"from": bob.id})

    response = await client.get("/api/me/export", headers=alice.headers)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = await response.get_json()
    assert data["profile"]["username"] == "alice"
    assert data["profile"]["email"] == "alice@example.test"
    assert [s["id"] for s in data["sessions"]] == [str(alice.session.id)]
    assert [(f["status"], f["user"]["username"]) for f in data["friendships"]] == [
        ("accepted", "bob")
    ]
    assert [b["user"]["username"] for b in data["blocks"]] == ["carol"]
    assert ("pong.invite", {"from": bob.id}) in [
        (n["kind"], n["data"]) for n in data["notifications"]
    ]
    assert data["avatar"]["content_type"] == "image/webp" and data["avatar"]["data_base64"]
    assert data["extras"] == {"matches_played": 7}

    text = json.dumps(data)
    user = await User.get(id=alice.id)
    token_hashes = await RefreshToken.all().values_list("token_hash", flat=True)
    for secret in (user.password_hash, alice.refresh, alice.access, *token_hashes):
        assert secret not in text
    assert "token_hash" not in text and "password_hash" not in text


async def test_anonymise_erases_identity_but_keeps_the_row(client, make_user):
    alice = await make_user("alice", display_name="Alice Liddell")
    bob = await make_user("bob")
    carol = await make_user("carol")
    await befriend(client, alice, bob)
    await client.post("/api/blocks/", json={"user_id": carol.id}, headers=alice.headers)
    await client.post("/api/blocks/", json={"user_id": alice.id}, headers=carol.headers)
    await give_avatar(client, alice)
    await Notification.create(user_id=alice.id, kind="pong.invite", data={})

    response = await client.post(
        "/api/me/anonymise", json={"password": alice.password}, headers=alice.headers
    )
    assert response.status_code == 200
    assert await response.get_json() == {"anonymised": True, "username": f"deleted-{alice.id}"}

    user = await User.get(id=alice.id)
    assert user.anonymised is True
    assert user.username == user.display_name == f"deleted-{alice.id}"
    assert "alice" not in user.email and user.password_hash is None and not user.totp_enabled
    assert not await Avatar.exists(user_id=alice.id)
    assert not await Session.exists(user_id=alice.id)
    assert not await Friendship.exists() and not await Block.exists()
    assert not await Notification.exists(user_id=alice.id)

    # Logged out everywhere, invisible, and the old credentials are dead.
    assert (await client.get("/api/me/", headers=alice.headers)).status_code == 401
    assert (await client.get(f"/api/users/{alice.id}", headers=bob.headers)).status_code == 404
    found = await (
        await client.get("/api/users/", query_string={"q": "ali"}, headers=bob.headers)
    ).get_json()
    assert found["items"] == []
    with pytest.raises(APIError):
        await service.authenticate("alice", alice.password, "127.0.0.1")
    # The name is free for someone else now.
    assert (await make_user("alice", display_name="Alice Liddell")).user.id != alice.id


async def test_anonymise_when_someone_took_the_placeholder_name(client, make_user):
    alice = await make_user("alice")
    await make_user(f"deleted-{alice.id}")
    response = await client.post(
        "/api/me/anonymise", json={"password": alice.password}, headers=alice.headers
    )
    assert response.status_code == 200
    name = (await response.get_json())["username"]
    assert name.startswith(f"deleted-{alice.id}-")
    assert (await User.get(id=alice.id)).anonymised


async def test_delete_removes_the_account_and_what_belongs_to_it(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await befriend(client, alice, bob)
    await give_avatar(client, alice)
    response = await client.delete(
        "/api/me/", json={"password": alice.password}, headers=alice.headers
    )
    assert response.status_code == 204
    assert not await User.exists(id=alice.id)
    assert not await Friendship.exists() and not await Avatar.exists()
    assert not await Session.exists(user_id=alice.id)
    assert (await client.get("/api/me/", headers=alice.headers)).status_code == 401
    assert (await client.get(f"/api/users/{alice.id}/avatar")).status_code == 404
    assert (await client.get("/api/friends/", headers=bob.headers)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/api/me/anonymise"), ("DELETE", "/api/me/")]
)
async def test_destructive_calls_need_the_password(client, make_user, method, path):
    alice = await make_user("alice")
    missing = await client.open(path, method=method, json={}, headers=alice.headers)
    assert missing.status_code == 400
    body = await missing.get_json()
    assert body["error"]["code"] == "reauth_required"
    assert body["error"]["details"] == {"field": "password"}
    wrong = await client.open(path, method=method, json={"password": "nope"}, headers=alice.headers)
    assert wrong.status_code == 403
    assert (await wrong.get_json())["error"]["code"] == "invalid_password"
    assert (await User.get(id=alice.id)).anonymised is False


async def test_guessing_the_password_with_a_stolen_token_is_throttled(client, make_user):
    alice = await make_user("alice")
    statuses = []
    for _ in range(throttle.PAIR_LIMIT + 1):
        response = await client.post(
            "/api/me/anonymise", json={"password": "guess"}, headers=alice.headers
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {403}


async def passwordless(player, *, totp: bool) -> str | None:
    user = await User.get(id=player.id)
    user.password_hash = None
    user.totp_secret = pyotp.random_base32() if totp else None
    user.totp_enabled = totp
    await user.save()
    return user.totp_secret


async def test_account_without_password_confirms_with_a_2fa_code(client, make_user):
    alice = await make_user("alice")
    secret = await passwordless(alice, totp=True)
    missing = await client.post("/api/me/anonymise", json={"password": "x"}, headers=alice.headers)
    assert missing.status_code == 400
    assert (await missing.get_json())["error"]["details"] == {"field": "code"}
    wrong = await client.post("/api/me/anonymise", json={"code": "000000"}, headers=alice.headers)
    assert wrong.status_code == 403
    code = pyotp.TOTP(secret).now()
    response = await client.post("/api/me/anonymise", json={"code": code}, headers=alice.headers)
    assert response.status_code == 200
    assert not await RecoveryCode.exists(user_id=alice.id)


async def test_account_without_password_or_2fa_needs_a_fresh_login(client, make_user):
    alice = await make_user("alice")
    await passwordless(alice, totp=False)
    await Session.filter(id=alice.session.id).update(created_at=service.now() - timedelta(hours=1))
    stale = await client.delete("/api/me/", json={}, headers=alice.headers)
    assert stale.status_code == 403
    body = await stale.get_json()
    assert body["error"]["code"] == "reauth_required"
    assert body["error"]["details"] == {"needs": "fresh_login"}

    await Session.filter(id=alice.session.id).update(created_at=service.now())
    assert (await client.delete("/api/me/", json={}, headers=alice.headers)).status_code == 204
