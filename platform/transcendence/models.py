"""The core's own tables (Tortoise app label `core`)."""

from typing import Any

from tortoise import fields
from tortoise.models import Model


class ModuleState(Model):
    """Whether an installed module is enabled (one row per module ever seen)."""

    # No semicolon in model docstrings: Tortoise copies them into table comments and its
    # SQLite schema editor splits statements on ";".

    name = fields.CharField(max_length=32, primary_key=True)
    enabled = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "core_module"


class ModuleFailure(Model):
    """A module whose startup failed on a node, kept while that node runs.

    For the CLI, which sees no node's memory: removed when the module starts there or the
    node stops."""

    id = fields.IntField(primary_key=True)
    node = fields.CharField(max_length=128)
    module = fields.CharField(max_length=32)
    error = fields.TextField()
    at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "core_module_failure"
        unique_together = (("node", "module"),)


class Notification(Model):
    """A notice for one user (invite, tournament call, friend request), kept until read."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=64)
    data: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_notification"
