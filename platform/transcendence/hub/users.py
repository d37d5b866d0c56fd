"""What the hub needs to know about users, handed to it by the app.

The hub sits below accounts: accounts push notifications, close sockets and read presence
through it, so it cannot import them back. The app gives it a `Users` (accounts' own is
`transcendence.accounts.hub_users.AccountUsers`) when it installs the hub.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol


class Claims(Protocol):
    """What the hub reads from a verified access token."""

    @property
    def user_id(self) -> int: ...

    @property
    def session_id(self) -> str: ...

    @property
    def expires_at(self) -> int: ...


class TokenRefused(Exception):
    """A token that does not open a socket; `code` is the client's (`token_expired`, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


PresenceLookup = Callable[[list[int]], Awaitable[dict[int, dict[str, Any]]]]


class Users(Protocol):
    def verify(self, token: str) -> Claims:
        """The claims of a valid access token; raises `TokenRefused`."""
        ...

    async def refusal(self, claims: Claims) -> str | None:
        """Why this token's user may not connect ("code: message": session ended, user
        gone), or None."""
        ...

    async def presence_seen_by(
        self, viewer_id: int, user_ids: list[int], lookup: PresenceLookup
    ) -> dict[int, dict[str, Any]]:
        """Presence as `viewer_id` may see it (`lookup` answers for those it may see)."""
        ...

    async def last_seen(self, user_ids: list[int]) -> dict[int, datetime | None]:
        """When each of these users was last seen (the stored time; absent: unknown)."""
        ...

    async def went_offline(self, user_id: int, when: datetime) -> None:
        """Store when a user was last seen."""
        ...

    async def friends_of(self, user_id: int) -> list[int]:
        """Who hears about this user's presence."""
        ...

    async def blocked_ids(self, user_id: int) -> set[int]:
        """Everyone across a block with this user (either way): they hear nothing of it."""
        ...


__all__ = ["Claims", "PresenceLookup", "TokenRefused", "Users"]
