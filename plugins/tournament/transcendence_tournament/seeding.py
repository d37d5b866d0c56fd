"""Demo data: players and a tournament, optionally played out by bots, faster than real time."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from transcendence import games
from transcendence.accounts import service as accounts
from transcendence.accounts.models import User
from transcendence.bus import InProcessBus
from transcendence.plugins import ModuleSet, call_async
from transcendence.registry import Registry
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Game

# Demo accounts only (printed by the seed command): not a secret.
DEMO_PASSWORD = "pong-demo-2026"  # noqa: S105
LEVELS = ("easy", "normal", "hard")
Finished = Callable[[games.MatchResult], Awaitable[Any]]  # called with each played match


async def enabled_hooks(modules: ModuleSet) -> Registry:
    """The enabled modules' hooks, as a server's registry sees them, read once (a CLI run
    does not follow toggles)."""
    registry = Registry(modules, InProcessBus())
    await registry.refresh()
    return registry


def match_finished_hook(registry: Registry) -> Finished:
    """The `match_finished` hook of the enabled modules, called as a game calls it in a
    server: the stats module counts a seeded match as soon as it is recorded."""
    hook = registry.hook("match_finished")

    async def finished(result: games.MatchResult) -> None:
        await call_async(hook, result=result, core=None)  # no app runs here

    return finished


async def demo_players(count: int) -> list[User]:
    users = []
    for number in range(1, count + 1):
        name = f"demo{number}"
        user = await User.get_or_none(username_key=name)
        if user is None:
            user = await accounts.create_user(
                name, f"{name}@demo.invalid", DEMO_PASSWORD, display_name=f"Demo {number}"
            )
        users.append(user)
    return users


async def seed_tournament(
    players: int,
    fmt: str,
    game: games.Game,
    hooks: games.HookSource | None = None,
    on_finished: Finished | None = None,
) -> dict[str, Any]:
    """Demo players and a tournament of `game` (its default options); played out by the
    game's AI when `hooks` (the enabled modules': `enabled_hooks`) are given."""
    users = await demo_players(players)
    tournament = await service.create_local(
        users[0].id,
        f"Demo cup {uuid.uuid4().hex[:4]}",
        [u.display_name for u in users],
        fmt,
        game.parse_options({}),
        game=game.name,
    )
    by_alias = {u.display_name: u for u in users}
    for entry in await Entry.filter(tournament=tournament):
        entry.user_id = by_alias[entry.alias].id  # type: ignore[attr-defined]
        await entry.save(update_fields=["user_id"])
    if hooks is not None:
        await play_out(tournament, game, hooks, on_finished)
        await tournament.refresh_from_db()
    return {
        "id": tournament.id,
        "name": tournament.name,
        "status": tournament.status,
        "winner": tournament.winner_alias,
        "password": DEMO_PASSWORD,
    }


async def play_out(
    tournament, game: games.Game, hooks: games.HookSource, on_finished: Finished | None = None
) -> None:
    """Every match, bot against bot (the game's `play_headless`, each demo player's seat
    played by the AI at a level of its own), recorded like any other match.

    `on_finished` (`match_finished_hook`) runs after the bracket has moved: the tournament's
    own hookimpl then finds the game done already (`service.record_result` only takes a game
    still "playing"), so it neither records it twice nor notifies the demo organiser."""
    seed = 0
    while True:
        bracket, entries = await service.bracket_of(tournament)
        upcoming = service.next_game(bracket)
        if upcoming is None:
            return
        left, right = (entries[s] for s in upcoming.players)
        seed += 1
        seats = [
            games.SeatSpec(e.user_id, e.alias, LEVELS[e.seed % 3])  # type: ignore[attr-defined]
            for e in (left, right)
        ]
        result = await game.play_headless(
            hooks, seats, tournament.options, mode="tournament", seed=seed
        )
        if result is None:
            raise RuntimeError(f"no AI plays {game.title} here")  # checked before: ai_available
        await Game.create(tournament=tournament, key=upcoming.id, match_id=result.id)
        await service.record_result(result)
        if on_finished is not None:
            await on_finished(result)
