"""Notices: a read-only conversation per user (kind "system") where modules post news.

Modules reach it through hooks they declare and chat implements (`hooks.py`:
`tournament_notice`), never by importing this. A notice is stored with a kind and its
parameters in `data` (`{"kind": "tournament.finished", "name": ..., "winner": ...}`): the
browser words it in its reader's language from the translation `notice.<kind>`, which the
module posting it ships; `text` is the English wording, shown when there is no such
translation (and for notices stored before kinds were). `post_notice` does nothing (returns None)
while the chat module is disabled.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from quart import current_app, has_app_context
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence.core import core_of
from transcendence_chat.config import MAX_TEXT
from transcendence_chat.models import SYSTEM, Conversation, Member


def _printable(text: str) -> str:
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs"}
    )


def _app(app: Any) -> Any:
    if app is not None:
        return app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return None


async def system_chat(user_id: int) -> Conversation:
    """The user's notices conversation, created on first use."""
    # CLI start-up: every `transcendence` run loads this package, which imports this module
    # (`post_notice`); the chat's service and views (~20 ms) load with the first notice.
    from transcendence_chat.conversations import now  # CLI start-up, as above
    from transcendence_chat.present import NOTICES_TITLE

    key = f"s:{int(user_id)}"
    conv = await Conversation.get_or_none(unique_key=key)
    if conv is not None:
        return conv
    try:
        async with in_transaction():
            conv = await Conversation.create(
                kind=SYSTEM,
                title=NOTICES_TITLE,
                unique_key=key,
                member_count=1,
                last_activity_at=now(),
            )
            await Member.create(conversation=conv, user_id=user_id)
    except IntegrityError:
        conv = await Conversation.get(unique_key=key)
    return conv


async def post_notice(
    user_id: int, text: str, data: dict[str, Any] | None = None, *, app: Any = None
) -> dict[str, Any] | None:
    """Post an announcement to a user's notices chat and push it (`chat.message`) to their
    tabs; the stored message, or None when the chat module is not enabled."""
    from transcendence_chat.messages import store  # CLI start-up, as in system_chat

    app = _app(app)
    if app is None or not core_of(app).registry.is_enabled("chat"):
        return None
    text = _printable(text)[:MAX_TEXT].strip() or "-"
    conv = await system_chat(user_id)
    return await store(app, conv.id, None, [user_id], set(), kind="notice", text=text, data=data)
