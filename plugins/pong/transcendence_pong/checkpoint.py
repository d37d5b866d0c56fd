"""A room's state as plain JSON, for another node to resume the game from.

What is kept: the options, the seats, the scores, every finished rally (for the match
record), each paddle's position, hits and held power-up, who serves next, whether the game
waits for its players (`held`) and the AI's level. What is not: the rally being played at
the time of the checkpoint, nor a pause in progress (after a handover every player gets the
full grace period again). The owner writes one at every point and at each lease renewal, so
a handover loses at most the current rally, which is served again.
"""

from __future__ import annotations

import random
from typing import Any

from transcendence_pong.engine import (
    SERVE_DELAY_TICKS,
    Engine,
    Options,
    Phase,
    PowerKind,
    Rally,
    Side,
)
from transcendence_pong.room import Room, Seat

VERSION = 1


def capture(room: Room) -> dict[str, Any]:
    engine = room.engine
    return {
        "version": VERSION,
        "game_id": room.id,
        "mode": room.mode,
        "keyboard": room.keyboard,
        "held": bool(room.waiting),
        "no_show": room.no_show,
        "ai_level": room.ai_level,
        "options": engine.options.as_dict(),
        "seats": [
            {
                "side": seat.side.value,
                "user_id": seat.user_id,
                "remote": seat.remote,
                "last_seq": seat.last_seq,
            }
            for seat in room.seats.values()
        ],
        "tick": engine.tick,
        "phase": engine.phase.value,
        "server": engine.server.value,
        "scores": {side.value: score for side, score in engine.scores.items()},
        "winner": engine.winner.value if engine.winner else None,
        "forfeited": engine.forfeited.value if engine.forfeited else None,
        "rallies": [
            {
                "start": r.started_tick,
                "end": r.ended_tick,
                "hits": r.hits,
                "max_speed": r.max_speed,
                "winner": r.winner.value if r.winner else None,
            }
            for r in engine.rallies
            if r.ended_tick is not None
        ],
        "paddles": {
            side.value: {
                "y": paddle.y,
                "hits": paddle.hits,
                "power": paddle.power.value if paddle.power else None,
            }
            for side, paddle in engine.paddles.items()
        },
    }


def restore_engine(data: dict[str, Any], *, seed: int | None = None) -> Engine:
    """The engine at the checkpoint, about to serve again (unless the match was over)."""
    engine = Engine(
        Options(**data["options"]),
        seed=seed if seed is not None else random.getrandbits(32),
    )
    engine.tick = int(data["tick"])
    engine.scores = {Side(side): int(score) for side, score in data["scores"].items()}
    engine.server = Side(data["server"])
    engine.rallies = [
        Rally(
            started_tick=int(r["start"]),
            hits=int(r["hits"]),
            max_speed=float(r["max_speed"]),
            winner=Side(r["winner"]) if r["winner"] else None,
            ended_tick=int(r["end"]),
        )
        for r in data["rallies"]
    ]
    for side, saved in data["paddles"].items():
        paddle = engine.paddles[Side(side)]
        paddle.y = float(saved["y"])
        paddle.hits = int(saved["hits"])
        paddle.power = PowerKind(saved["power"]) if saved["power"] else None
    if data["phase"] == Phase.FINISHED.value:
        engine.phase = Phase.FINISHED
        engine.winner = Side(data["winner"]) if data["winner"] else None
        engine.forfeited = Side(data["forfeited"]) if data["forfeited"] else None
    else:
        engine.phase = Phase.SERVING
        engine.serve_at = engine.tick + SERVE_DELAY_TICKS
    return engine


def restore_seats(data: dict[str, Any]) -> list[Seat]:
    seats = []
    for saved in data["seats"]:
        seat = Seat(Side(saved["side"]), saved["user_id"], remote=bool(saved["remote"]))
        seat.last_seq = int(saved["last_seq"])
        seats.append(seat)
    return seats
