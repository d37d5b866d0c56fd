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
