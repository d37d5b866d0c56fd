"""Profiles: my account, editing it, changing the password, others' profiles, search, roles."""

from __future__ import annotations

import pytest

from transcendence import hookimpl
from transcendence.accounts.models import User
from transcendence.pagination import encode_cursor


def error_code(body: dict) -> str:
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]["code"]


class StatsLikeModule:
    """Stands in for enabled modules answering `user_profile_extras` (one async, one not)."""

    @hookimpl
    async def user_profile_extras(self, user):
        return {"wins": len(user.username)}


class RankModule:
    @hookimpl
    def user_profile_extras(self, user):
        return {"rank": "rookie"}


@pytest.fixture
def with_extras(app):
    pm = app.extensions["transcendence"].modules.pm
    plugins = [StatsLikeModule(), RankModule()]
    for plugin in plugins:
        pm.register(plugin)
    yield
    for plugin in plugins:
        pm.unregister(plugin)


# --- /api/me/ -------------------------------------------------------------------------------


async def test_me_has_the_fixed_shape(client, make_user):
    alice = await make_user("alice", display_name="Alice L")
    response = await client.get("/api/me/", headers=alice.headers)
    assert response.status_code == 200
    me = await response.get_json()
    assert {"id", "username", "display_name", "email", "avatar_url"} <= set(me)
    assert me["id"] == alice.id
    assert (me["username"], me["display_name"], me["email"]) == (
        "alice",
        "Alice L",
        "alice@example.test",
    )
    assert me["avatar_url"].startswith(f"/api/users/{alice.id}/avatar")
    assert me["role"] == "player" and me["language"] == "en" and me["totp_enabled"] is False
    assert me["theme"] == "standard" and me["text_size"] == "normal"
    # No socket yet, but the one asking is here (accounts.presence.presence_seen_by).
    assert me["online"] is True and me["status"] == "online" and me["last_seen"]
    assert "extras" not in me and me["has_password"] is True


async def test_me_without_a_token_is_a_401_json_error(client):
    response = await client.get("/api/me/")
    assert response.status_code == 401
    assert error_code(await response.get_json()) == "unauthorized"


async def test_me_merges_extras_of_modules_when_asked(client, make_user, with_extras):
    alice = await make_user("alice")
    plain = await (await client.get("/api/me/", headers=alice.headers)).get_json()
    assert "extras" not in plain  # the session's read, on every page load, skips them
    asked = await client.get("/api/me/?include=extras", headers=alice.headers)
    assert (await asked.get_json())["extras"] == {"wins": 5, "rank": "rookie"}


async def test_me_refuses_an_unknown_include(client, make_user):
    alice = await make_user("alice")
    response = await client.get("/api/me/?include=everything", headers=alice.headers)
    assert response.status_code == 400
    assert error_code(await response.get_json()) == "validation_error"


async def test_edit_display_name_email_and_language(client, make_user):
    alice = await make_user("alice")
    response = await client.patch(
        "/api/me/",
        json={"display_name": "  Ada   Lovelace ", "email": "Ada@Example.test", "language": "fr"},
        headers=alice.headers,
    )
    assert response.status_code == 200
    me = await response.get_json()
    assert (me["display_name"], me["email"], me["language"]) == (
        "Ada Lovelace",
        "Ada@Example.test",
        "fr",
    )
    stored = await User.get(id=alice.id)
    assert stored.display_name_key == "ada lovelace" and stored.email_key == "ada@example.test"


async def test_appearance_is_saved_to_the_profile(client, make_user):
    alice = await make_user("alice")
    response = await client.patch(
        "/api/me/", json={"theme": "high-contrast", "text_size": "larger"}, headers=alice.headers
    )
    assert response.status_code == 200
    me = await response.get_json()
    assert (me["theme"], me["text_size"], me["language"]) == ("high-contrast", "larger", "en")
    # One setting alone leaves the other as it was.
    await client.patch("/api/me/", json={"text_size": "large"}, headers=alice.headers)
    stored = await User.get(id=alice.id)
    assert (stored.theme, stored.text_size) == ("high-contrast", "large")


async def test_edit_conflicts_are_case_insensitive_and_name_the_field(client, make_user):
    await make_user("bob", display_name="Bobby")
    alice = await make_user("alice")
    for body, field in (
        ({"display_name": "BOBBY"}, "display_name"),
        ({"email": "BOB@example.TEST"}, "email"),
    ):
        response = await client.patch("/api/me/", json=body, headers=alice.headers)
        assert response.status_code == 409
        payload = await response.get_json()
        assert error_code(payload) == "conflict"
        assert payload["error"]["details"] == {"field": field}
    # Keeping one's own values, in another case, is not a conflict.
    response = await client.patch("/api/me/", json={"display_name": "ALICE"}, headers=alice.headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"language": "de"},
        {"theme": "neon"},
        {"text_size": "huge"},
        {"text_size": None, "theme": 3},
        {"email": "not-an-address"},
        {"display_name": ""},
        {"display_name": "x" * 33},
        {"display_name": "ali\u200bce"},
        {"display_name": "Deleted-12"},
        {"username": "renamed"},
    ],
)
async def test_edit_refuses_bad_values(client, make_user, body):
    alice = await make_user("alice")
    response = await client.patch("/api/me/", json=body, headers=alice.headers)
    assert response.status_code == 400
    assert error_code(await response.get_json()) == "validation_error"


# --- password ------------------------------------------------------------------------------


async def test_password_change_logs_every_session_out(app, client, make_user):
    from transcendence.accounts import service

    alice = await make_user("alice")
    response = await client.post(
        "/api/me/password",
        json={"old_password": alice.password, "new_password": "a much better secret"},
        headers=alice.headers,
    )
    assert response.status_code == 200
    body = await response.get_json()
    assert "logged out" in body["message"] and body["sessions_ended"] == 1
    assert (await client.get("/api/me/", headers=alice.headers)).status_code == 401
    user = await service.authenticate("alice", "a much better secret", "127.0.0.1")
    assert user.id == alice.id


async def test_password_change_needs_the_old_password_and_a_good_new_one(client, make_user):
    alice = await make_user("alice")
    cases = [
        ({"new_password": "a much better secret"}, 400, "reauth_required"),
        ({"old_password": "wrong one", "new_password": "a much better secret"}, 403, None),
        ({"old_password": alice.password, "new_password": "short"}, 400, "weak_password"),
        ({"old_password": alice.password, "new_password": alice.password}, 400, "weak_password"),
    ]
    for body, status, code in cases:
        response = await client.post("/api/me/password", json=body, headers=alice.headers)
        assert response.status_code == status, body
        assert error_code(await response.get_json()) == (code or "invalid_password")
    assert (await client.get("/api/me/", headers=alice.headers)).status_code == 200


# --- other users -----------------------------------------------------------------------------


async def test_public_profile_has_no_email_and_carries_extras(client, make_user, with_extras):
    alice = await make_user("alice")
    bob = await make_user("bob", display_name="Bob B")
    response = await client.get(f"/api/users/{bob.id}", headers=alice.headers)
    assert response.status_code == 200
    profile = await response.get_json()
    assert "email" not in profile and "role" not in profile
    assert profile["username"] == "bob" and profile["display_name"] == "Bob B"
    assert profile["online"] is False and profile["status"] == "offline"
    assert profile["extras"] == {"wins": 3, "rank": "rookie"}
    assert profile["relationship"] == {
        "friend": "none",
        "friend_request_id": None,
        "blocked": False,
        "blocked_by": False,
    }
    assert "bob@example.test" not in await response.get_data(as_text=True)


async def test_public_profile_of_unknown_or_anonymised_user_is_404(client, make_user):
    alice = await make_user("alice")
    gone = await make_user("gone")
    await User.filter(id=gone.id).update(anonymised=True)
    for user_id in (gone.id, 999999):
        response = await client.get(f"/api/users/{user_id}", headers=alice.headers)
        assert response.status_code == 404
        assert error_code(await response.get_json()) == "not_found"


async def test_search_by_prefix_of_username_or_display_name(client, make_user):
    alice = await make_user("alice")
    await make_user("albert")
    await make_user("zed", display_name="Alpha Zed")
    await make_user("a_b")
    await make_user("axb")
    await make_user("bob")

    async def search(q: str) -> list[str]:
        response = await client.get("/api/users/", query_string={"q": q}, headers=alice.headers)
        assert response.status_code == 200
        return [u["username"] for u in (await response.get_json())["items"]]

    assert await search("AL") == ["albert", "alice", "zed"]
    assert await search("a_") == ["a_b"]  # "_" is a character here, not a wildcard
    assert await search("nobody") == []
    items = (await (await client.get("/api/users/", headers=alice.headers)).get_json())["items"]
    assert set(items[0]) == {"id", "username", "display_name", "avatar_url"}


async def test_search_pages_with_a_cursor(client, make_user):
    viewer = await make_user("viewer")
    for name in ("p1", "p2", "p3", "p4", "p5"):
        await make_user(name)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"q": "p", "limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/api/users/", query_string=query, headers=viewer.headers)
        body = await response.get_json()
        seen += [u["username"] for u in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == ["p1", "p2", "p3", "p4", "p5"] and pages == 3


async def test_search_refuses_a_forged_cursor_or_a_huge_page(client, make_user):
    alice = await make_user("alice")
    response = await client.get(
        "/api/users/", query_string={"cursor": "!!!"}, headers=alice.headers
    )
    assert response.status_code == 400
    assert error_code(await response.get_json()) == "invalid_cursor"
    response = await client.get("/api/users/", query_string={"limit": 51}, headers=alice.headers)
    assert response.status_code == 400
    assert error_code(await response.get_json()) == "validation_error"


# --- roles -----------------------------------------------------------------------------------


async def test_players_cannot_use_admin_routes(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    for method, path, body in (
        ("GET", "/api/admin/users", None),
        ("POST", f"/api/admin/users/{bob.id}/role", {"role": "admin"}),
    ):
        response = await client.open(path, method=method, json=body, headers=alice.headers)
        assert response.status_code == 403
        assert error_code(await response.get_json()) == "forbidden"


async def test_admin_lists_users_and_changes_roles(client, make_user):
    root = await make_user("root", role="admin")
    bob = await make_user("bob")
    await make_user("carol")
    response = await client.get("/api/admin/users", query_string={"limit": 2}, headers=root.headers)
    page = await response.get_json()
    assert [u["username"] for u in page["items"]] == ["root", "bob"]
    assert page["items"][1]["email"] == "bob@example.test" and page["next"]
    rest = await (
        await client.get(
            "/api/admin/users", query_string={"cursor": page["next"]}, headers=root.headers
        )
    ).get_json()
    assert [u["username"] for u in rest["items"]] == ["carol"] and rest["next"] is None

    response = await client.post(
        f"/api/admin/users/{bob.id}/role", json={"role": "admin"}, headers=root.headers
    )
    assert response.status_code == 200 and (await response.get_json())["role"] == "admin"
    # Bob is an admin now: the admin listing opens for him at once.
    assert (await client.get("/api/admin/users", headers=bob.headers)).status_code == 200
    response = await client.post(
        f"/api/admin/users/{bob.id}/role", json={"role": "superuser"}, headers=root.headers
    )
    assert response.status_code == 400


async def test_the_last_admin_cannot_be_demoted(client, make_user):
    root = await make_user("root", role="admin")
    response = await client.post(
        f"/api/admin/users/{root.id}/role", json={"role": "player"}, headers=root.headers
    )
    assert response.status_code == 409
    assert error_code(await response.get_json()) == "last_admin"


async def test_routes_are_documented_in_openapi(client):
    paths = (await (await client.get("/openapi.json")).get_json())["paths"]
    for path in (
        "/api/me/",
        "/api/me/avatar",
        "/api/users/",
        "/api/users/{user_id}",
        "/api/friends/requests",
        "/api/blocks/",
        "/api/admin/users",
        "/api/me/export",
    ):
        assert path in paths, path
    upload = paths["/api/me/avatar"]["put"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


async def test_out_of_range_ids_and_control_characters_are_client_errors(client, make_user):
    """What a fuzzer found: neither reaches the database (PostgreSQL would refuse them)."""
    alice = await make_user("alice")
    huge = 2**63
    for path in (f"/api/users/{huge}", f"/api/users/{huge}/avatar"):
        assert (await client.get(path, headers=alice.headers)).status_code == 404
    response = await client.post(
        "/api/friends/requests", json={"user_id": huge}, headers=alice.headers
    )
    assert response.status_code == 400
    response = await client.get("/api/users/", query_string={"q": "a\x00"}, headers=alice.headers)
    assert response.status_code == 400
    response = await client.patch("/api/me/", json={"email": "a\x00@x.test"}, headers=alice.headers)
    assert response.status_code == 400
    response = await client.get(
        "/api/blocks/", query_string={"cursor": encode_cursor(huge)}, headers=alice.headers
    )
    assert (await response.get_json())["error"]["code"] == "invalid_cursor"
