"""Friends and blocking, as two or three players would use them."""

from __future__ import annotations

import contextlib

from transcendence.accounts.blocking import blocked_ids, is_blocked
from transcendence.accounts.models import Friendship
from transcendence.models import Notification


def error_code(body: dict) -> str:
    return body["error"]["code"]


async def ask(client, sender, receiver):
    return await client.post(
        "/api/friends/requests", json={"user_id": receiver.id}, headers=sender.headers
    )


async def friends_of(client, player) -> dict:
    response = await client.get("/api/friends/", headers=player.headers)
    assert response.status_code == 200
    return await response.get_json()


async def test_request_accept_and_see_each_other_online_status(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    response = await ask(client, alice, bob)
    assert response.status_code == 201
    sent = await response.get_json()
    assert sent["status"] == "pending" and sent["user"]["username"] == "bob"

    assert [r["user"]["username"] for r in (await friends_of(client, alice))["outgoing"]] == ["bob"]
    incoming = (await friends_of(client, bob))["incoming"]
    assert [(r["id"], r["user"]["username"]) for r in incoming] == [(sent["id"], "alice")]

    response = await client.post(f"/api/friends/requests/{sent['id']}/accept", headers=bob.headers)
    assert response.status_code == 200
    assert (await response.get_json())["status"] == "accepted"
    for me, other in ((alice, "bob"), (bob, "alice")):
        listing = await friends_of(client, me)
        assert listing["incoming"] == [] and listing["outgoing"] == []
        [friend] = listing["friends"]
        assert friend["username"] == other
        assert friend["online"] is False and friend["status"] == "offline"
        assert "last_seen" in friend and "since" in friend and "email" not in friend


async def test_the_other_person_is_notified(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    request_id = (await (await ask(client, alice, bob)).get_json())["id"]
    [note] = await Notification.filter(user_id=bob.id)
    assert (note.kind, note.data) == (
        "friend.request",
        {"from": alice.id, "request_id": request_id},
    )
    await client.post(f"/api/friends/requests/{request_id}/accept", headers=bob.headers)
    [note] = await Notification.filter(user_id=alice.id)
    assert (note.kind, note.data) == ("friend.accepted", {"by": bob.id, "request_id": request_id})


async def test_only_the_addressee_accepts(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_user("carol")
    request_id = (await (await ask(client, alice, bob)).get_json())["id"]
    for player in (alice, carol):
        response = await client.post(
            f"/api/friends/requests/{request_id}/accept", headers=player.headers
        )
        assert response.status_code == 404


async def test_asking_someone_who_asked_you_makes_you_friends(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await ask(client, alice, bob)
    response = await ask(client, bob, alice)
    assert response.status_code == 200
    assert (await response.get_json())["status"] == "accepted"
    assert await Friendship.all().count() == 1
    assert [f["username"] for f in (await friends_of(client, alice))["friends"]] == ["bob"]


async def test_duplicate_requests_and_bad_targets(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await ask(client, alice, bob)
    response = await ask(client, alice, bob)
    assert response.status_code == 409 and error_code(await response.get_json()) == "conflict"
    response = await ask(client, alice, alice)
    assert response.status_code == 400
    response = await client.post(
        "/api/friends/requests", json={"user_id": 987654}, headers=alice.headers
    )
    assert response.status_code == 404
    response = await client.post(
        "/api/friends/requests", json={"user_id": "bob"}, headers=alice.headers
    )
    assert response.status_code == 400
    assert error_code(await response.get_json()) == "validation_error"


async def test_decline_withdraw_and_remove(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    first = (await (await ask(client, alice, bob)).get_json())["id"]
    declined = await client.post(f"/api/friends/requests/{first}/decline", headers=bob.headers)
    assert declined.status_code == 204
    assert (await friends_of(client, alice))["outgoing"] == []

    second = (await (await ask(client, alice, bob)).get_json())["id"]
    withdrawn = await client.post(f"/api/friends/requests/{second}/decline", headers=alice.headers)
    assert withdrawn.status_code == 204
    assert (await friends_of(client, bob))["incoming"] == []

    await ask(client, alice, bob)
    await ask(client, bob, alice)
    assert (await client.delete(f"/api/friends/{bob.id}", headers=alice.headers)).status_code == 204
    assert (await friends_of(client, bob))["friends"] == []
    again = await client.delete(f"/api/friends/{bob.id}", headers=alice.headers)
    assert again.status_code == 404 and error_code(await again.get_json()) == "not_found"


async def test_blocking_ends_the_friendship_and_refuses_requests_both_ways(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await ask(client, alice, bob)
    await ask(client, bob, alice)
    response = await client.post("/api/blocks/", json={"user_id": bob.id}, headers=alice.headers)
    assert response.status_code == 201
    assert (await response.get_json())["user"]["username"] == "bob"
    assert (await friends_of(client, alice))["friends"] == []
    assert (await friends_of(client, bob))["friends"] == []

    for sender, receiver in ((alice, bob), (bob, alice)):
        refused = await ask(client, sender, receiver)
        assert refused.status_code == 403 and error_code(await refused.get_json()) == "blocked"

    assert await is_blocked(alice.id, bob.id) and await is_blocked(bob.id, alice.id)
    assert await blocked_ids(alice.id) == {bob.id} and await blocked_ids(bob.id) == {alice.id}

    profile = await (await client.get(f"/api/users/{alice.id}", headers=bob.headers)).get_json()
    assert profile["relationship"]["blocked_by"] is True
    assert profile["online"] is False and profile["last_seen"] is None


async def test_blocking_a_pending_request_removes_it(client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    await ask(client, bob, alice)
    await client.post("/api/blocks/", json={"user_id": bob.id}, headers=alice.headers)
    assert (await friends_of(client, alice))["incoming"] == []


async def test_block_list_unblock_and_idempotence(client, make_user):
    alice = await make_user("alice")
    others = [await make_user(name) for name in ("b1", "b2", "b3")]
    for other in others:
        await client.post("/api/blocks/", json={"user_id": other.id}, headers=alice.headers)
    again = await client.post("/api/blocks/", json={"user_id": others[0].id}, headers=alice.headers)
    assert again.status_code == 200

    first = await (
        await client.get("/api/blocks/", query_string={"limit": 2}, headers=alice.headers)
    ).get_json()
    assert [b["user"]["username"] for b in first["items"]] == ["b3", "b2"]
    rest = await (
        await client.get(
            "/api/blocks/", query_string={"cursor": first["next"]}, headers=alice.headers
        )
    ).get_json()
    assert [b["user"]["username"] for b in rest["items"]] == ["b1"] and rest["next"] is None

    unblocked = await client.delete(f"/api/blocks/{others[0].id}", headers=alice.headers)
    assert unblocked.status_code == 204
    assert not await is_blocked(alice.id, others[0].id)
    missing = await client.delete(f"/api/blocks/{others[0].id}", headers=alice.headers)
    assert missing.status_code == 404
    assert (await ask(client, others[0], alice)).status_code == 201

    self_block = await client.post(
        "/api/blocks/", json={"user_id": alice.id}, headers=alice.headers
    )
    assert self_block.status_code == 400


@contextlib.contextmanager
def counting_queries(monkeypatch):
    from tortoise import connections

    conn = connections.get("default")
    count = {"queries": 0}
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(conn, name)

        def counted(*args, _original=original, **kwargs):
            # The module registry re-reads its table on a timer (in-process bus): that
            # query belongs to no request and would make the count depend on timing.
            sql = str(args[0]) if args else ""
            if "core_module" not in sql:
                count["queries"] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(conn, name, counted)
    yield count
    monkeypatch.undo()


async def test_friend_list_costs_the_same_queries_for_2_or_8_friends(
    client, make_user, monkeypatch
):
    alice = await make_user("alice")

    async def befriend(name):
        other = await make_user(name)
        await ask(client, other, alice)
        await ask(client, alice, other)

    costs = []
    for names in (("f1", "f2"), ("f3", "f4", "f5", "f6", "f7", "f8")):
        for name in names:
            await befriend(name)
        await ask(client, await make_user(f"pending-{names[0]}"), alice)
        with counting_queries(monkeypatch) as count:
            listing = await friends_of(client, alice)
        costs.append(count["queries"])
    assert len(listing["friends"]) == 8
    assert costs[0] == costs[1], costs
