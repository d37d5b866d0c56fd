"""Demo data: players and a tournament, optionally played out by bots, faster than real time."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from transcendence.accounts import service as accounts
from transcendence.accounts.models import User
from transcendence.bus import InProcessBus
from transcendence.plugins import ModuleSet, await_result, call_async
from transcendence.registry import Registry
from transcendence_pong.api import Match, Options, record, records
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Game

# Demo accounts only (printed by the seed command): not a secret.
DEMO_PASSWORD = "pong-demo-2026"  # noqa: S105
LEVELS = ("easy", "normal", "hard")
Finished = Callable[[Any], Awaitable[Any]]  # called with each recorded pong Match


async def enabled_hooks(modules: ModuleSet) -> Registry:
    """The enabled modules' hooks, as a server's registry sees them, read once (a CLI run
    does not follow toggles)."""
    registry = Registry(modules, InProcessBus())
    await registry.refresh()
    return registry


def match_finished_hook(registry: Registry) -> Finished:
    """pong's `match_finished` hook of the enabled modules, called as a server calls it
    (`Pong._finished`): the stats module counts a seeded match as soon as it is recorded."""
    hook = registry.hook("match_finished")

    async def finished(match: Any) -> None:
        result = records.result_of(match)
        await call_async(hook, result=result, core=None)  # no app runs here

    return finished


def ai_game(registry: Registry) -> Any:
    """The `tournament_ai_game` hook when an enabled module plays it (the ai module), or None."""
    hook = registry.hook("tournament_ai_game")
    return hook if hook.get_hookimpls() else None


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
    play: Any = None,
    on_finished: Finished | None = None,
) -> dict[str, Any]:
    """Demo players and a tournament; played out when `play` (the `tournament_ai_game` hook,
    from `ai_game`) is given."""
    users = await demo_players(players)
    tournament = await service.create_local(
        users[0].id,
        f"Demo cup {uuid.uuid4().hex[:4]}",
        [u.display_name for u in users],
        fmt,
        {"score_limit": 5},
    )
    by_alias = {u.display_name: u for u in users}
    for entry in await Entry.filter(tournament=tournament):
        entry.user_id = by_alias[entry.alias].id  # type: ignore[attr-defined]
        await entry.save(update_fields=["user_id"])
    if play is not None:
        await play_out(tournament, play, on_finished)
        await tournament.refresh_from_db()
    return {
        "id": tournament.id,
        "name": tournament.name,
        "status": tournament.status,
        "winner": tournament.winner_alias,
        "password": DEMO_PASSWORD,
    }


async def play_out(tournament, play: Any, on_finished: Finished | None = None) -> None:
    """Every match, bot against bot on the real engine (`play`, the `tournament_ai_game`
    hook), recorded like any other match.

    `on_finished` (`match_finished_hook`) runs after the bracket has moved: the tournament's
    own hookimpl then finds the game done already (`service.record_result` only takes a game
    still "playing"), so it neither records it twice nor notifies the demo organiser."""
    options = Options(**tournament.options)
    seed = 0
    while True:
        bracket, entries = await service.bracket_of(tournament)
        upcoming = service.next_game(bracket)
        if upcoming is None:
            return
        left, right = (entries[s] for s in upcoming.players)
        seed += 1
        levels = (LEVELS[left.seed % 3], LEVELS[right.seed % 3])
        match = await Match.create(
            id=uuid.uuid4(),
            mode="tournament",
            left_user_id=left.user_id,  # type: ignore[attr-defined]
            right_user_id=right.user_id,  # type: ignore[attr-defined]
            left_name=left.alias,
            right_name=right.alias,
            options=options.as_dict(),
        )
        await Game.create(tournament=tournament, key=upcoming.id, match_id=str(match.id))
        room = await await_result(play(left=levels[0], right=levels[1], seed=seed, options=options))
        room.id = str(match.id)
        finished = await record(room)
        await service.record_result(finished)
        if on_finished is not None:
            await on_finished(finished)
