"""Game invitations in a direct chat: the game's own invitation (the game tells the invited
player) plus a message of kind `invite`, answered in the chat.

Chat knows no game: it finds the one named in the request through the core's game API
(`transcendence.games.game_of`: 409 `game_unavailable` when no enabled module provides
it) and uses only `Game.invite` and `Game.answer`, whose refusals (an `APIError`) reach the
client as they are. Pong is the default and the one the browser offers.
"""

from __future__ import annotations

from typing import Any

from transcendence.accounts.blocking import blocked_ids
from transcendence.accounts.models import User
from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.games import Game, game_of
from transcendence.pagination import DB_INT
from transcendence_chat.conversations import deliver, member_ids, membership, now
from transcendence_chat.messages import check_rate, store
from transcendence_chat.models import DIRECT, Member, Message
from transcendence_chat.present import messages_out

DEFAULT_GAME = "pong"


def invite_ref(game: str, invite_id: int) -> str:
    """The invitation's message, found by its game and the game's invitation id. Pong's
    ("pong.invite:7") is what every invitation was stored with before games were named."""
    return f"{game}.invite:{invite_id}"


def _game(app: Any, name: str) -> Game:
    return game_of(core_of(app), name)


async def _direct_peer(member: Member, user_id: int) -> tuple[int, list[int], set[int]]:
    conv = member.conversation
    if conv.kind != DIRECT:
        raise APIError(400, "not_direct", "invite someone to play from your direct chat")
    recipients = await member_ids(conv.id)
    others = [u for u in recipients if u != user_id]
    if not others:
        raise APIError(409, "conflict", "the other player has left")
    blocked = await blocked_ids(user_id)
    if others[0] in blocked:
        raise APIError(403, "blocked", "you cannot invite this user")
    return others[0], recipients, blocked


async def invite(
    app: Any, me: User, chat_id: int, options: dict[str, Any], game: str = DEFAULT_GAME
) -> dict[str, Any]:
    """An invitation to `game` in a direct chat: the game's invitation plus a message of
    kind `invite`."""
    member = await membership(chat_id, me.id)
    provider = _game(app, game)
    other, recipients, blocked = await _direct_peer(member, me.id)
    # Early, so that a sender over the limit creates no invitation; store() checks again.
    await check_rate(app, me.id)
    invite_id = await provider.invite(core_of(app), me.id, other, options)
    out = await store(
        app,
        member.conversation.id,
        me.id,
        recipients,
        blocked,
        kind="invite",
        text=f"{me.display_name} invites you to play {provider.title}",
        data={
            "game": provider.name,
            "invite_id": invite_id,
            "from": me.id,
            "to": other,
            "options": options,
            "status": "pending",
            "game_id": None,
        },
        ref=invite_ref(provider.name, invite_id),
    )
    return {"invite_id": invite_id, "message": out}


async def answer_invite(
    app: Any, me: User, chat_id: int, invite_id: int, accept: bool, game: str = DEFAULT_GAME
) -> dict[str, Any]:
    """The invited player accepts (the game starts its match: `game_id` is the match's id)
    or declines."""
    await membership(chat_id, me.id)
    provider = _game(app, game)
    if not 1 <= invite_id <= DB_INT:
        raise APIError(404, "not_found", "no such invitation in this chat")
    row = await Message.get_or_none(
        conversation_id=chat_id, ref=invite_ref(provider.name, invite_id)
    )
    if row is None:
        raise APIError(404, "not_found", "no such invitation in this chat")
    if row.data.get("to") != me.id:
        raise APIError(403, "forbidden", "only the invited player answers an invitation")
    game_id = await provider.answer(core_of(app), me.id, invite_id, accept)
    status = "accepted" if accept else "declined"
    row.data = {
        **row.data,
        "game": provider.name,  # also on invitations stored before games were named
        "status": status,
        "game_id": game_id,
        "answered_at": now().isoformat(),
    }
    await row.save(update_fields=["data"])
    out = (await messages_out([row]))[0]
    blocked = await blocked_ids(me.id)
    recipients = [u for u in await member_ids(chat_id) if u not in blocked]
    await deliver(app, recipients, "chat.message_updated", out)
    return {"status": status, "game_id": game_id, "message": out}
