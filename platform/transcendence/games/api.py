"""The game API: what a game is, how another module starts, reads and ends its matches.

A game module (pong, or the small one in tests/support) implements `register_games` and
returns `Game` objects; the modules that play games (tournament, stats, chat's
invitations) find them with `games_of(core)` / `game_of(core, name)` and use only what is
here, so they work with every game without importing any. When a match ends the game
calls `match_finished` (or `match_interrupted`) with a `MatchResult`; what that result
counts for (history, statistics, rating, a leaderboard) is `records.counts(result)`.
docs/modules.md, "Writing a game".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from transcendence.errors import APIError

if TYPE_CHECKING:
    from transcendence.core import Core

Mode = Literal["local", "remote", "ai", "tournament"]
Status = Literal["running", "finished", "cancelled", "interrupted"]
MODES: tuple[Mode, ...] = ("local", "remote", "ai", "tournament")


@dataclass(frozen=True)
class SeatSpec:
    """Who takes a seat in a new match: an account (`user_id`), a name without one (an
    alias at one keyboard), or an AI of `ai_level` ("easy", "normal", "hard")."""

    user_id: int | None
    name: str
    ai_level: str | None = None


@dataclass(frozen=True)
class Player:
    """One seat of a match as it stands (or ended)."""

    user_id: int | None
    name: str
    score: int = 0
    ai_level: str | None = None


@dataclass(frozen=True)
class MatchResult:
    """A match of any game, as other modules see it.

    `players` are in seat order (seat 0, seat 1: the order `create_match` was given);
    `winner` is a seat index. `score` counts the game's points (a game without points
    counts what each player achieved), so a forfeit with every score at 0 is "abandoned
    before anything happened" (records.py). `keyboard`: both seats were played from one
    keyboard. `ratings`: each rated account's rating after the match (user id → rating),
    empty when it moved none. `details`: the game's own figures (pong: rallies, hits,
    ticks), for the game's pages; other modules read only `duration` from it, in seconds
    of play when the game has it.
    """

    game: str
    id: str
    mode: Mode
    status: Status
    players: tuple[Player, Player]
    winner: int | None = None
    forfeit: bool = False
    keyboard: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    ratings: Mapping[int, int] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    def seat_of(self, user_id: int) -> int | None:
        """The seat `user_id` holds (the first, should an account hold both), or None."""
        for seat, player in enumerate(self.players):
            if player.user_id is not None and player.user_id == user_id:
                return seat
        return None

    @property
    def duration(self) -> float | None:
        """Seconds of play, when the game reports them (`details["duration"]`)."""
        value = self.details.get("duration")
        return float(value) if isinstance(value, int | float) else None


class HookSource(Protocol):
    """Where hooks are called from: a running app's `Core`, or a CLI's `Registry`."""

    def hook(self, name: str) -> Any: ...


def invalid_options(message: str, details: Any = None) -> APIError:
    """The refusal of options a game does not accept: 400 `invalid_options`."""
    return APIError(400, "invalid_options", message, details)


class Game(ABC):
    """A game another module can run matches of. Subclass it in the game's module and
    return an instance from `register_games`.

    A game holds no per-app state: the methods that need the running app are given its
    `core`. Every refusal is an `APIError` (its status and code reach the client).
    """

    name: str  # the game's id: its module's name ("pong")
    title: str  # for people ("Pong")
    modes: tuple[Mode, ...] = MODES  # the modes `create_match` accepts
    seats: int = 2  # players in a match (the API carries two)

    # --- what the game is -----------------------------------------------------------

    @abstractmethod
    def options_schema(self) -> dict[str, Any]:
        """The options a match accepts, as a JSON schema (every field with its default)."""

    @abstractmethod
    def parse_options(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        """The options normalised (every field, defaults filled in), JSON-serialisable;
        `invalid_options(...)` (400) when they are not acceptable."""

    def describe(self) -> dict[str, Any]:
        """What clients are told of the game (`GET /api/games` lists it)."""
        return {
            "name": self.name,
            "title": self.title,
            "modes": list(self.modes),
            "seats": self.seats,
            "options": self.options_schema(),
        }

    # --- matches --------------------------------------------------------------------

    @abstractmethod
    async def create_match(
        self,
        core: Core,
        players: Sequence[SeatSpec],
        options: Mapping[str, Any],
        *,
        mode: Mode,
        keyboard: bool | None = None,
        hold: bool = False,
        no_show: float | None = None,
    ) -> str:
        """Start a match now; its id. `players`: one SeatSpec per seat, in seat order;
        AI seats come last (a person's seat first).

        `keyboard`: every seat is played from the keyboard of seat 0's account (local
        matches, a local tournament's); None: for "local" matches only. `hold`: the match
        waits until every seat with an account has joined (each first arrival calls
        `match_player_joined`); `no_show`: with `hold`, a player still missing after that
        many seconds cancels it (None: it waits for a `forfeit`; a game without a clock,
        such as Nim, leaves that to the caller's `forfeit`). Refusals: 400
        `invalid_options`, `invalid_mode`, `invalid_seats`; 409 `ai_unavailable` when no
        enabled module plays an AI seat.
        """

    @abstractmethod
    async def result(self, match_id: str) -> MatchResult | None:
        """The match as it stands (running, or as it ended); None for an unknown id."""

    @abstractmethod
    async def finished(
        self, *, after: MatchResult | None = None, limit: int = 500
    ) -> list[MatchResult]:
        """Finished matches in the order they ended (`ended_at`, then `id`), from just
        after `after`: how a module catches up with the results it missed."""

    @abstractmethod
    async def forfeit(self, core: Core, match_id: str, user_id: int) -> None:
        """`user_id` gives the running match up (a tournament's no-show): it ends on
        whichever node runs it, a win for the other seat. Nothing when it has ended."""

    # --- optional: ratings, chat invitations, headless play -------------------------

    async def ratings(self, user_ids: Sequence[int]) -> dict[int, int]:
        """These accounts' current ratings in this game (a tournament seeds by them);
        an account that has none yet is left out. A game without ratings: {}."""
        return {}

    async def invite(
        self, core: Core, sender_id: int, recipient_id: int, options: Mapping[str, Any]
    ) -> int:
        """Invite `recipient_id` to a remote match (the game tells them); the invitation's id."""
        raise APIError(409, "invitations_unsupported", f"{self.title} has no invitations")

    async def answer(self, core: Core, user_id: int, invite_id: int, accept: bool) -> str | None:
        """The invited player answers: the new match's id, None when declined."""
        raise APIError(409, "invitations_unsupported", f"{self.title} has no invitations")

    async def play_headless(
        self,
        hooks: HookSource,
        players: Sequence[SeatSpec],
        options: Mapping[str, Any],
        *,
        mode: Mode = "tournament",
        seed: int = 0,
    ) -> MatchResult | None:
        """A whole match between AI seats, played out at once and stored; its result.
        None when the game cannot (no AI for it is enabled). The caller announces it
        (`match_finished`): this runs where no app may run (`tournaments seed --play`)."""
        return None

    # --- optional: a match's page, AI seats (a tournament's calls and checks) -------------

    def match_page(self, match_id: str) -> str | None:
        """Where a player plays the match in the browser (a path), None when the game has
        no page (a tournament's call then links to the tournament)."""
        return None

    def ai_available(self, hooks: HookSource) -> bool:
        """Whether AI seats can be played here now (pong: an enabled module plays its AI).
        A tournament refuses AI seats without it; `create_match` would refuse them with
        409 `ai_unavailable`."""
        return False


def games_of(hooks: HookSource) -> dict[str, Game]:
    """The games of the modules enabled here, by name (in the names' order)."""
    found: dict[str, Game] = {}
    for games in hooks.hook("register_games")():
        for game in games or ():
            if not isinstance(game, Game):
                raise TypeError(f"register_games returned {game!r}, not a transcendence Game")
            found[game.name] = game
    return dict(sorted(found.items()))


def game_of(hooks: HookSource, name: str) -> Game:
    """The game `name`, or 409 `game_unavailable` when no enabled module provides it."""
    found = games_of(hooks).get(name)
    if found is None:
        raise APIError(409, "game_unavailable", f"the game {name!r} is not available")
    return found
