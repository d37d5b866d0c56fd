"""The guestbook module, tested through `transcendence.testing`'s fixtures."""

import pytest


async def test_a_player_signs_over_http_and_anyone_reads_it(client, user):
    response = await client.post(
        "/api/guestbook/entries", json={"text": "hi"}, headers=user.headers
    )
    assert response.status_code == 201
    listed = await (await client.get("/api/guestbook/entries")).get_json()
    assert listed["items"] == [{"id": 1, "author_id": user.id, "text": "hi"}]


async def test_signing_needs_a_login(client):
    response = await client.post("/api/guestbook/entries", json={"text": "hi"})
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"


async def test_a_player_signs_over_a_socket(client, user, socket):
    ws = await socket(user)
    answer = await ws.request("guestbook.sign", {"text": "from a socket"})
    assert answer["data"]["text"] == "from a socket"
    bad = await ws.request("guestbook.sign", {"text": ""})
    assert bad["error"]["code"] == "invalid_data"
    listed = await (await client.get("/api/guestbook/entries")).get_json()
    assert [item["text"] for item in listed["items"]] == ["from a socket"]


async def test_the_profile_counts_a_players_entries(client, make_user):
    ann, bob = await make_user("ann"), await make_user("bob")
    for text in ("one", "two"):
        await client.post("/api/guestbook/entries", json={"text": text}, headers=ann.headers)
    profile = await (await client.get(f"/api/users/{ann.id}", headers=bob.headers)).get_json()
    assert profile["extras"]["guestbook_entries"] == 2


async def test_the_module_is_listed_and_can_be_disabled(app, client):
    modules = {m["name"]: m for m in await (await client.get("/api/modules")).get_json()}
    assert set(modules) == {"guestbook"}
    assert modules["guestbook"]["provides"]["realtime"] == ["guestbook.sign"]
    await app.extensions["transcendence"].registry.disable("guestbook")
    response = await client.get("/api/guestbook/entries")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "module_disabled"


@pytest.mark.parametrize("transcendence_modules", [["pong"]])
async def test_an_installed_module_loads_beside_it(client):
    names = {m["name"] for m in await (await client.get("/api/modules")).get_json()}
    assert names == {"guestbook", "pong"}
