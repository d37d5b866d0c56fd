"""Hooks the tournament module declares (added through `add_hookspecs`).

Optional providers implement them with `@hookimpl(optionalhook=True)` (the tournament
module may not be installed); only enabled modules are called.
"""

from __future__ import annotations

from typing import Any

from transcendence.hookspecs import hookspec


@hookspec
def tournament_notice(app: Any, user_id: int, text: str, data: dict[str, Any]) -> None:
    """Tell a player or an organiser something about a tournament (a match is ready, the
    next match, the winner), beside the core notification the module sends too.
    *Async allowed.*

    The chat module implements it: the notice lands in the user's notices conversation.
    `data["kind"]` (`tournament.match_ready`, `.next`, `.finished`, `.cancelled`) and the
    other keys of `data` (`name`, `opponent`, `winner`...) are what each reader's browser
    words it from; `text` is the English wording, kept as the fallback.
    Without an enabled implementation nothing more happens.
    """


@hookspec(firstresult=True)
def tournament_ai_game(left: str, right: str, seed: int, options: Any) -> Any:
    """Play a whole game between two AI players of levels `left` and `right` (easy, normal,
    hard) on pong's engine, faster than real time; the finished room
    (`transcendence_pong.room.Room`), which the tournament records as the match. `seed`
    makes it repeatable; `options` are the tournament's pong `Options`. *Async allowed.*

    The ai module implements it. Without an enabled implementation, a match between two AI
    seats is decided as a no-show (the better seed goes on), and a person's match against
    an AI seat is won by the person (pong's `pong_ai_player` has no implementation either).
    """
