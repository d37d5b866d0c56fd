from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("core", "0002_accounts")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Conversation",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("kind", fields.CharField(db_index=True, max_length=16)),
                ("title", fields.CharField(default="", max_length=64)),
                ("name", fields.CharField(null=True, max_length=32)),
                ("name_key", fields.CharField(null=True, unique=True, max_length=32)),
                ("unique_key", fields.CharField(null=True, unique=True, max_length=48)),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="owner_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="chats_owned",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("member_count", fields.IntField(default=0)),
                ("last_message_id", fields.IntField(null=True)),
                (
                    "last_activity_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "chat_conversation",
                "app": "chat",
                "pk_attr": "id",
                "table_description": "A direct chat (one per pair), a group, a public channel or a user's notices.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Member",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "conversation",
                    fields.ForeignKeyField(
                        "chat.Conversation",
                        source_field="conversation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="chat_memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("role", fields.CharField(default="member", max_length=16)),
                ("last_read_id", fields.IntField(default=0)),
                ("since_id", fields.IntField(default=0)),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "chat_member",
                "app": "chat",
                "unique_together": (("conversation", "user"),),
                "indexes": [
                    Index(fields=["user_id", "conversation_id"], name="chat_member_user_idx")
                ],
                "pk_attr": "id",
                "table_description": "A user in a conversation, with their read marker.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Message",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "conversation",
                    fields.ForeignKeyField(
                        "chat.Conversation",
                        source_field="conversation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "sender",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="sender_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="chat_messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(default="text", max_length=16)),
                ("text", fields.TextField(unique=False)),
                (
                    "data",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("client_id", fields.CharField(null=True, max_length=64)),
                ("ref", fields.CharField(null=True, db_index=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "chat_message",
                "app": "chat",
                "unique_together": (("sender", "client_id"),),
                "indexes": [
                    Index(fields=["conversation_id", "id"], name="chat_message_conv_idx"),
                    Index(fields=["sender_id", "created_at"], name="chat_message_sender_idx"),
                ],
                "pk_attr": "id",
                "table_description": "A message: text from a member, a game invitation, or a notice from the platform.",
            },
            bases=["Model"],
        ),
    ]
