"""The oauth42 module's tables (Tortoise app `oauth42`, tables `oauth42_*`)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Link(Model):
    """An account that logs in with a 42 intra account (one each way)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[Any] = fields.OneToOneField(
        "core.User", related_name="oauth42_link", on_delete=fields.CASCADE
    )
    # The intra's user id (stable, unlike the login), as text.
    provider_id = fields.CharField(max_length=64, unique=True)
    login = fields.CharField(max_length=64)
    linked_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth42_link"


class Attempt(Model):
    """A login or link started in a browser and not finished yet (ten minutes at most).

    Found by the hash of its `state`, bound to the browser that started it by the hash of
    a cookie value, spent by deleting the row. The PKCE verifier never leaves the server.
    """

    id = fields.IntField(primary_key=True)
    state_hash = fields.CharField(max_length=64, unique=True)
    browser_hash = fields.CharField(max_length=64)
    code_verifier = fields.CharField(max_length=128)
    redirect_uri = fields.CharField(max_length=500)
    intent = fields.CharField(max_length=8, default="login")  # login, link
    # Who asked to link (intent "link" only).
    user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="oauth42_attempts", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "oauth42_attempt"
