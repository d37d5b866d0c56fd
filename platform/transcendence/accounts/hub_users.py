"""Accounts' answers to the hub's questions about users (`transcendence.hub.users.Users`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quart import Quart
from tortoise.expressions import Q

from transcendence.accounts import blocking, revocation
from transcendence.accounts.models import Friendship, User
from transcendence.accounts.presence import presence_seen_by
from transcendence.accounts.tokens import AccessClaims, TokenError, decode_access
from transcendence.hub.users import Claims, PresenceLookup, TokenRefused

ENDED = "token_revoked: this session has ended; log in again"


class AccountUsers:
    def __init__(self, app: Quart) -> None:
        self._app = app

    def verify(self, token: str) -> Claims:
        try:
            return decode_access(self._app.config["SECRET_KEY"], token)
        except TokenError as exc:
            raise TokenRefused(exc.code, exc.message) from None

    async def refusal(self, claims: Claims) -> str | None:
        assert isinstance(claims, AccessClaims)  # the claims `verify` made
        revoked = self._app.extensions.get(revocation.EXTENSION)
        if revoked is not None and claims.session_id in revoked:  # ended: no database read
            return ENDED
        rows = await User.filter(id=claims.user_id).values("token_version", "anonymised")
        if not rows or rows[0]["anonymised"] or rows[0]["token_version"] != claims.token_version:
            return ENDED
        return None

    async def presence_seen_by(
        self, viewer_id: int, user_ids: list[int], lookup: PresenceLookup
    ) -> dict[int, dict[str, Any]]:
        return await presence_seen_by(viewer_id, user_ids, lookup)

    async def last_seen(self, user_ids: list[int]) -> dict[int, datetime | None]:
        return dict(await User.filter(id__in=user_ids).values_list("id", "last_seen_at"))

    async def went_offline(self, user_id: int, when: datetime) -> None:
        await User.filter(id=user_id).update(last_seen_at=when)

    async def friends_of(self, user_id: int) -> list[int]:
        rows = await Friendship.filter(
            Q(requester_id=user_id) | Q(addressee_id=user_id), status="accepted"
        ).values_list("requester_id", "addressee_id")
        return [a if b == user_id else b for a, b in rows]

    async def blocked_ids(self, user_id: int) -> set[int]:
        return await blocking.blocked_ids(user_id)


__all__ = ["AccountUsers"]
