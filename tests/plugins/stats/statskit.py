"""Finished matches whose outcome a test decides, reported the way pong reports them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from transcendence.core import core_of
from transcendence.plugins import call_async
from transcendence_pong import records
from transcendence_pong.models import Match
from transcendence_pong.ratings import update_ratings

TICKS_PER_RALLY = 180  # 3 s of game time
SPEED = 500.0


def elo(a: int, b: int, a_won: bool) -> tuple[int, int]:
    """The ratings after a game, computed here independently of pong (K = 32)."""
    expected = 1 / (1 + 10 ** ((b - a) / 400))
    delta = round(32 * ((1.0 if a_won else 0.0) - expected))
    return a + delta, b - delta


def rallies_for(left: int, right: int, hits: int = 3, extra: list[dict] | None = None):
    """Alternating rallies that produce the score `left`-`right`, each `hits` long."""
    winners = []
    while left or right:
        if left:
            winners.append("left")
            left -= 1
        if right:
            winners.append("right")
            right -= 1
    out = []
    tick = 60
    for winner in winners:
        out.append(
            {
                "start": tick,
                "end": tick + TICKS_PER_RALLY,
                "hits": hits,
                "max_speed": SPEED,
                "winner": winner,
            }
        )
        tick += TICKS_PER_RALLY + 60
    return out + (extra or [])


class Matches:
    """Creates finished matches one minute apart (or at a given time) and reports them."""

    def __init__(self, app):
        self.app = app
        self.clock = datetime.now(UTC) - timedelta(hours=1)

    async def play(
        self,
        left: Any,
        right: Any,
        score: tuple[int, int],
        *,
        mode: str = "remote",
        rallies: list[dict] | None = None,
        forfeit: str | None = None,
        ended: datetime | None = None,
        options: dict | None = None,
        report: bool = True,
        record: dict | None = None,
    ) -> Match:
        """`left` / `right`: a Player (an account) or a name. `forfeit`: the side that left."""
        if ended is None:
            self.clock += timedelta(minutes=1)
            ended = self.clock
        rallies = rallies if rallies is not None else rallies_for(*score)
        if forfeit:
            winner = "right" if forfeit == "left" else "left"
        else:
            winner = "left" if score[0] > score[1] else "right"
        ticks = max((r["end"] for r in rallies), default=0)
        hits = {"left": sum(r["hits"] for r in rallies) // 2}
        hits["right"] = sum(r["hits"] for r in rallies) - hits["left"]
        options = options or {"ball_speed": 360.0, "score_limit": 5, "theme": "classic"}
        match = await Match.create(
            id=uuid.uuid4(),
            mode=mode,
            status="finished",
            left_user_id=left.id if not isinstance(left, str) else None,
            right_user_id=right.id if not isinstance(right, str) else None,
            left_name=left if isinstance(left, str) else left.user.display_name,
            right_name=right if isinstance(right, str) else right.user.display_name,
            options=options,
            left_score=score[0],
            right_score=score[1],
            winner=winner,
            forfeit=forfeit is not None,
            record={
                "options": options,
                "scores": {"left": score[0], "right": score[1]},
                "winner": winner,
                "forfeited": forfeit,
                "ticks": ticks,
                "hits": hits,
                "rallies": rallies,
                **(record or {}),
            },
            started_at=ended - timedelta(seconds=ticks / 60 + 5),
            ended_at=ended,
        )
        if report:
            await self.report(match)
        return match

    async def report(self, match: Match) -> None:
        """What `Pong._finished` does once the record is stored: ratings, then the hook."""
        await update_ratings(match)
        core = core_of(self.app)
        await call_async(
            core.registry.hook("match_finished"), result=records.result_of(match), core=core
        )
