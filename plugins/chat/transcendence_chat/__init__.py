"""The chat module: direct, group, channel and system conversations, delivered live.

Other modules do not import it: chat implements the hooks they declare for announcements
(the tournament's `tournament_notice`) with `post_notice`, see `transcendence_chat.notices`.
"""

from __future__ import annotations

from transcendence_chat.notices import post_notice

__all__ = ["post_notice"]
