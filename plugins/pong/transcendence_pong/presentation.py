"""How a match looks to the outside: the REST API's `MatchOut` and the lobbies' live feed
(live.py) show a game the same way. A leaf of pong's layers (the models below it)."""

from __future__ import annotations

from typing import Any

from transcendence_pong.models import Match, played_by


def match_out(match: Match) -> dict[str, Any]:
    return {
        "id": str(match.id),
        "mode": match.mode,
        "status": match.status,
        "left": {"user_id": match.left_user_id, "name": match.left_name},  # type: ignore[attr-defined]
        "right": {"user_id": match.right_user_id, "name": match.right_name},  # type: ignore[attr-defined]
        "score": {"left": match.left_score, "right": match.right_score},
        "winner": match.winner,
        "forfeit": match.forfeit,
        "options": match.options,
        "started_at": match.started_at.isoformat(),
        "ended_at": match.ended_at.isoformat() if match.ended_at else None,
    }


async def history_for(user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """A user's finished matches, newest first, as `match_out` shows them."""
    rows = await played_by(user_id).order_by("-ended_at").limit(limit)
    return [match_out(m) for m in rows]
