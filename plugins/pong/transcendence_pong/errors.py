"""pong's refusals: `GameError`, an `APIError` carrying its HTTP status. A leaf: it imports
nothing of pong's."""

from __future__ import annotations

from transcendence.errors import APIError


class GameError(APIError):
    """A request about a game that cannot be honoured: `GameError(status, code, message)`.

    An `APIError`, so the core answers it as one on every path: a route's JSON error, a
    realtime handler's error frame, the hooks other modules call (chat's invitations) with
    the same status as pong's own routes. Its own class so a caller can tell pong's refusals
    from other errors.
    """
