"""A local tournament at one keyboard, end to end through the API, and the seed command."""

from __future__ import annotations

import asyncio
import json

import pytest

from testkit import lose_game
from transcendence_pong.clock import ScaledClock
from transcendence_pong.models import Match
from transcendence_tournament.models import Tournament

pytestmark = pytest.mark.modules("pong", "ai", "tournament")
QUICK = {"score_limit": 1, "paddle_height": 20}


class GatedClock(ScaledClock):
    """Fast game time that the test can hold still (`gate.clear()`) to look at a match
    that must not have finished yet."""

    def __init__(self, speed: float):
        super().__init__(speed)
        self.gate = asyncio.Event()
        self.gate.set()

    async def sleep_until(self, deadline: float) -> None:
        await self.gate.wait()
        await super().sleep_until(deadline)


@pytest.fixture
async def player(app, make_user):
    app.extensions["pong"].games.clock = GatedClock(50)
    return await make_user("host")


async def test_aliases_must_be_unique_and_three_to_sixteen(client, player):
    dup = await client.post(
        "/api/tournament/local", headers=player.headers, json={"aliases": ["Ann", "ann", "Bob"]}
    )
    assert dup.status_code == 409
    assert (await dup.get_json())["error"]["details"] == {"aliases": ["Ann", "ann"]}
    few = await client.post(
        "/api/tournament/local", headers=player.headers, json={"aliases": ["Ann", "Bob"]}
    )
    assert few.status_code == 400


async def test_a_four_player_tournament_is_played_to_its_winner(client, player):
    created = await client.post(
        "/api/tournament/local",
        headers=player.headers,
        json={
            "name": "Friday cup",
            "aliases": ["Ann", "Bob", "Cy", "Dee"],
            "shuffle": False,
            "options": QUICK,
        },
    )
    assert created.status_code == 201
    bracket = await created.get_json()
    assert bracket["next"]["players"] == ["Ann", "Dee"]  # seed 1 meets seed 4 first
    tid = bracket["id"]
    played = []
    clock = client.app.extensions["pong"].games.clock
    while bracket["status"] == "running":
        clock.gate.clear()  # the match cannot end before we look
        started = await client.post(f"/api/tournament/{tid}/next", headers=player.headers)
        assert started.status_code == 201, await started.get_json()
        game = await started.get_json()
        busy = await client.post(f"/api/tournament/{tid}/next", headers=player.headers)
        assert busy.status_code == 409  # one match at a time on one keyboard
        clock.gate.set()
        async with asyncio.timeout(15):
            while (await Match.get(id=game["match_id"])).status != "finished":
                await asyncio.sleep(0.02)
            while True:  # the bracket moves right after the match is recorded
                bracket = await (
                    await client.get(f"/api/tournament/{tid}", headers=player.headers)
                ).get_json()
                if not any(g["match_id"] == game["match_id"] for g in bracket["games"]):
                    break
                await asyncio.sleep(0.02)
        played.append(game["players"])
    assert len(played) == 3
    assert bracket["status"] == "finished" and bracket["winner"]
    assert [s["place"] for s in bracket["standings"]][:2] == [1, 2]
    final = next(g for g in bracket["games"] if g["round"] == 2)
    assert final["winner"] == bracket["winner"]
    match = await Match.filter(mode="tournament").order_by("-ended_at").first()
    assert {match.left_name, match.right_name} == set(final["players"])
    # The organiser drove both paddles under aliases: none of it is in their own history.
    history = await client.get("/api/pong/matches", headers=player.headers)
    assert (await history.get_json())["items"] == []


async def test_a_match_lost_with_a_killed_server_is_offered_again(client, player):
    created = await client.post(
        "/api/tournament/local",
        headers=player.headers,
        json={"aliases": ["Ann", "Bob", "Cy", "Dee"], "shuffle": False, "options": QUICK},
    )
    tid = (await created.get_json())["id"]
    games = client.app.extensions["pong"].games
    games.clock.gate.clear()  # the match stays in play
    lost = await (
        await client.post(f"/api/tournament/{tid}/next", headers=player.headers)
    ).get_json()
    await lose_game(games, lost["match_id"])  # the server is killed mid-match...
    # ... and the next start records it interrupted, so the bracket offers it again.
    assert await games.close_abandoned() == [lost["match_id"]]
    games.clock.gate.set()
    assert (await Match.get(id=lost["match_id"])).status == "interrupted"
    bracket = await (await client.get(f"/api/tournament/{tid}", headers=player.headers)).get_json()
    assert bracket["next"]["players"] == lost["players"]
    assert all(g["match_id"] is None for g in bracket["games"])
    again = await client.post(f"/api/tournament/{tid}/next", headers=player.headers)
    assert again.status_code == 201
    replay = await again.get_json()
    assert replay["players"] == lost["players"] and replay["match_id"] != lost["match_id"]


async def test_another_keyboard_cannot_drive_my_tournament(client, player, make_user):
    created = await client.post(
        "/api/tournament/local", headers=player.headers, json={"aliases": ["Ann", "Bob", "Cy"]}
    )
    other = await make_user("other")
    tid = (await created.get_json())["id"]
    assert (await client.get(f"/api/tournament/{tid}", headers=other.headers)).status_code == 403


def cli_on_an_empty_database(monkeypatch, settings, modules: str) -> None:
    """Point the CLI (it reads the environment) at this test's emptied database, with these
    modules enabled."""
    from testkit import reset_database

    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("TRANSCENDENCE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("TRANSCENDENCE_ENV", "test")
    monkeypatch.setenv("TRANSCENDENCE_MODULES", modules)
    settings.modules = modules.split(",")
    asyncio.run(reset_database(settings))


def test_seed_plays_a_tournament_to_its_winner(monkeypatch, settings, capsys):
    from transcendence_cli.main import main

    cli_on_an_empty_database(monkeypatch, settings, "pong,ai,tournament")
    assert main(["tournaments", "seed", "--players", "8", "--play"]) == 0
    out = capsys.readouterr().out
    assert "finished, won by Demo" in out
    assert main(["tournaments", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["status"] == "finished" and rows[0]["winner"].startswith("Demo")

    async def count():
        from transcendence import db
        from transcendence.plugins import load_modules

        await db.init_db(settings, load_modules(settings.modules, []))
        try:
            return await Match.filter(
                mode="tournament", status="finished"
            ).count(), await Tournament.all().count()
        finally:
            await db.close_db()

    assert asyncio.run(count()) == (7, 1)


@pytest.mark.modules("pong", "tournament")
def test_seed_play_is_refused_without_the_ai_module(monkeypatch, settings, capsys):
    """The bots that play a seeded pong tournament are the ai module's: without it,
    `--play` is one readable line and nothing is created."""
    from transcendence_cli.main import main

    cli_on_an_empty_database(monkeypatch, settings, "pong,tournament")
    assert main(["tournaments", "seed", "--players", "4", "--play"]) == 1
    assert "--play needs an AI for Pong" in capsys.readouterr().err
    assert main(["tournaments", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.modules("pong", "ai", "tournament", "stats")
def test_seeded_matches_are_on_the_dashboards_without_a_backfill(monkeypatch, settings, capsys):
    """`seed --play` runs pong's `match_finished` hook for each match, as a server does: the
    stats module counts the matches at once (no restart, no `stats backfill`), and the
    tournament's own hookimpl does not record them twice."""
    from transcendence.accounts.models import User
    from transcendence_cli.main import main
    from transcendence_stats import dashboards as stats
    from transcendence_stats.models import PlayerStats, UserMatch
    from transcendence_tournament.models import Game

    cli_on_an_empty_database(monkeypatch, settings, "pong,ai,tournament,stats")
    assert main(["tournaments", "seed", "--players", "8", "--play"]) == 0
    assert "finished, won by Demo" in capsys.readouterr().out

    async def read():
        from transcendence import db
        from transcendence.plugins import load_modules

        await db.init_db(settings, load_modules(settings.modules, []))
        try:
            tournament = await Tournament.get()
            champion = await User.get(display_name=tournament.winner_alias)
            return (
                await stats.user_dashboard(champion),
                await UserMatch.filter(mode="tournament").count(),
                await PlayerStats.all().values_list("games", "wins"),
                await Game.filter(tournament=tournament).values_list("status", flat=True),
            )
        finally:
            await db.close_db()

    dashboard, counted, totals, games = asyncio.run(read())
    assert games == ["done"] * 7  # each result recorded once
    assert counted == 14  # 7 matches, two demo accounts each
    assert sum(g for g, _ in totals) == 14 and sum(w for _, w in totals) == 7
    assert len(totals) == 8  # every demo player has a row
    # The winner of 8 played three matches and won them all.
    assert (dashboard["games"], dashboard["wins"], dashboard["losses"]) == (3, 3, 0)
    by_mode = {row["mode"]: row for row in dashboard["by_mode"]}
    assert by_mode["tournament"]["games"] == 3
    assert [m["result"] for m in dashboard["recent_matches"]] == ["win"] * 3
