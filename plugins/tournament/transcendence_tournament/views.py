"""A tournament as its screens show it (GET /api/tournament/{id}, `tournament.watch`):
the local view, or the online one, which adds seats, matches and `me` (docs/tournament.md)."""

from __future__ import annotations

from typing import Any

from transcendence_tournament import service
from transcendence_tournament.models import Tournament
from transcendence_tournament.online import presentation


async def view(tournament: Tournament, user_id: int | None = None) -> dict[str, Any]:
    if tournament.kind == "online":
        return await presentation.view(tournament, user_id)
    return await service.local_view(tournament)
