"""The chat module: direct, group, channel and system conversations, delivered live.

Other modules post announcements with `post_notice(user_id, text, data)` (import it
guardedly: chat is optional), see `transcendence_chat.notices`.
"""

from __future__ import annotations

from transcendence_chat.notices import post_notice

__all__ = ["post_notice"]
