"""Getting a seat: `find_game()` joins the queue, sends or accepts an invitation, or starts
an AI game as a `Plan` says, and returns the `Game` it got. Protocol only: no terminal code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from transcendence_pong.terminal.protocol import PlayError, PongClient


@dataclass
class Game:
    """A seat in a running game."""

    game_id: str
    side: str  # "left" or "right"
    mode: str
    me: str
    opponent: str

    @property
    def names(self) -> dict[str, str]:
        other = "right" if self.side == "left" else "left"
        return {self.side: self.me, other: self.opponent}


@dataclass
class Plan:
    """How to get a seat: `queue`, `invite` (user_id), `accept` or `ai` (level)."""

    how: str
    options: dict[str, Any] = field(default_factory=dict)
    user_id: int | None = None
    level: str = "normal"


async def _wait_for(client: PongClient, wanted: Callable[[dict[str, Any]], bool]):
    """The next push that satisfies `wanted`; the others (presence, chat...) are dropped."""
    while True:
        frame = await client.next_event()
        if wanted(frame):
            return frame


def _notification(frame: dict[str, Any], kind: str) -> dict[str, Any] | None:
    note = frame.get("data") if frame.get("type") == "notify" else None
    if isinstance(note, dict) and note.get("kind") == kind and isinstance(note.get("data"), dict):
        return note["data"]
    return None


async def find_game(
    client: PongClient, plan: Plan, status: Callable[[str], None] = lambda _: None
) -> Game:
    """Get a seat as `plan` says and follow the game; `status` hears what is going on."""
    me = client.display_name
    if plan.how == "ai":
        status(f"Starting a game against the AI ({plan.level})...")
        created = await client.request(
            "pong.create", {"mode": "ai", "level": plan.level, "options": plan.options}
        )
        return Game(
            created["game_id"], created.get("side") or "left", "ai", me, f"AI ({plan.level})"
        )

    expected: str | None = None
    declined_invite: int | None = None
    if plan.how == "queue":
        status("Looking for an opponent... (q cancels)")
        queued = await client.request("pong.queue", {"options": plan.options})
        expected = (queued or {}).get("game_id")
    elif plan.how == "invite":
        sent = await client.request(
            "pong.invite", {"user_id": plan.user_id, "options": plan.options}
        )
        declined_invite = sent["invite_id"]
        status("Invitation sent: waiting for an answer... (q cancels)")
    elif plan.how == "accept":
        status("Waiting for an invitation... (q quits)")
        note = await _wait_for(client, lambda f: _notification(f, "pong.invite") is not None)
        invite = _notification(note, "pong.invite") or {}
        sender = (invite.get("from") or {}).get("display_name", "someone")
        status(f"Accepting the invitation of {sender}...")
        answered = await client.request(
            "pong.answer", {"invite_id": invite.get("invite_id"), "accept": True}
        )
        expected = (answered or {}).get("game_id")
    else:
        raise PlayError(f"unknown way to start a game: {plan.how}")

    def matched_or_declined(frame: dict[str, Any]) -> bool:
        if frame.get("type") == "pong.matched":
            data = frame.get("data") or {}
            return expected is None or data.get("game_id") == expected
        declined = _notification(frame, "pong.invite_declined")
        return declined is not None and declined.get("invite_id") == declined_invite

    frame = await _wait_for(client, matched_or_declined)
    if frame.get("type") != "pong.matched":
        by = (_notification(frame, "pong.invite_declined") or {}).get("by", "they")
        raise PlayError(f"{by} declined the invitation")
    matched = frame["data"]
    opponent = (matched.get("opponent") or {}).get("display_name", "opponent")
    try:
        joined = await client.request("pong.join", {"game_id": matched["game_id"]})
    except PlayError as exc:
        if exc.code == "not_found":
            raise PlayError("the game was over before it could be joined") from None
        raise
    side = (joined or {}).get("side") or matched.get("side") or "left"
    return Game(matched["game_id"], side, matched.get("mode", "remote"), me, opponent)
