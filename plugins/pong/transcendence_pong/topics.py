"""The bus topics of pong's games. A leaf: it imports nothing of pong's."""

from __future__ import annotations


def game_topic(game_id: str) -> str:
    """Where a game's snapshots go (players and spectators follow it)."""
    return f"pong.game.{game_id}"


def input_topic(game_id: str) -> str:
    """Where a game's inputs go, from any node; its owner follows it."""
    return f"pong.input.{game_id}"


def cluster_topic(namespace: str) -> str:
    """Where nodes announce handovers and roll calls to each other."""
    return f"pong.cluster.{namespace}"
