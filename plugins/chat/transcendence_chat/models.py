"""Conversations, their members and their messages (Tortoise app `chat`, tables `chat_*`)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

DIRECT = "direct"
GROUP = "group"
CHANNEL = "channel"
SYSTEM = "system"
KINDS = (DIRECT, GROUP, CHANNEL, SYSTEM)


class Conversation(Model):
    """A direct chat (one per pair), a group, a public channel or a user's notices."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16, db_index=True)
    title = fields.CharField(max_length=64, default="")
    # Channels only: the name people join by, and its casefolded form (unique).
    name = fields.CharField(max_length=32, null=True)
    name_key = fields.CharField(max_length=32, null=True, unique=True)
    # One direct chat per pair ("d:<low id>:<high id>"), one notices chat per user ("s:<id>").
    unique_key = fields.CharField(max_length=48, null=True, unique=True)
    owner: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="chats_owned", null=True, on_delete=fields.SET_NULL
    )
    member_count = fields.IntField(default=0)
    last_message_id = fields.IntField(null=True)
    last_activity_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_conversation"


class Member(Model):
    """A user in a conversation, with their read marker."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="members", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="chat_memberships", on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=16, default="member")  # owner, member
    # Messages up to this id are read (unread counts are counted from it, exactly, so a
    # block or a removal changes them at once). Messages up to `since_id` predate the
    # member: a group's history before someone was added stays with those who were there.
    last_read_id = fields.IntField(default=0)
    since_id = fields.IntField(default=0)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_member"
        unique_together = (("conversation", "user"),)
        indexes = (Index(fields=("user_id", "conversation_id"), name="chat_member_user_idx"),)


class Message(Model):
    """A message: text from a member, a game invitation, or a notice from the platform."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "chat.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    # None for notices posted by the platform (tournament calls).
    sender: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="chat_messages", null=True, on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16, default="text")  # text, invite, notice
    text = fields.TextField()
    data: Any = fields.JSONField(default=dict)
    # Chosen by the sending client: a retry with the same one is stored once.
    client_id = fields.CharField(max_length=64, null=True)
    # What the message is about, for finding it again: "pong.invite:<invite id>".
    ref = fields.CharField(max_length=64, null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_message"
        unique_together = (("sender", "client_id"),)
        indexes = (
            Index(fields=("conversation_id", "id"), name="chat_message_conv_idx"),
            Index(fields=("sender_id", "created_at"), name="chat_message_sender_idx"),
        )
