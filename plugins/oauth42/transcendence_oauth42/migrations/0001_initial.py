from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0002_accounts")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Attempt",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("state_hash", fields.CharField(unique=True, max_length=64)),
                ("browser_hash", fields.CharField(max_length=64)),
                ("code_verifier", fields.CharField(max_length=128)),
                ("redirect_uri", fields.CharField(max_length=500)),
                ("intent", fields.CharField(default="login", max_length=8)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="oauth42_attempts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "oauth42_attempt",
                "app": "oauth42",
                "pk_attr": "id",
                "table_description": "A login or link started in a browser and not finished yet (ten minutes at most).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Link",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.OneToOneField(
                        "core.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="oauth42_link",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("provider_id", fields.CharField(unique=True, max_length=64)),
                ("login", fields.CharField(max_length=64)),
                ("linked_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "oauth42_link",
                "app": "oauth42",
                "pk_attr": "id",
                "table_description": "An account that logs in with a 42 intra account (one each way).",
            },
            bases=["Model"],
        ),
    ]
