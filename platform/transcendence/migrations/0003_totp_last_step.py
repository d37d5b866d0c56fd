from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0002_accounts")]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name="LoginAttempt",
            options={
                "table": "core_login_attempt",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A failed password or code check of an account, kept briefly for the owner's export.",
            },
        ),
        ops.AddField(
            model_name="User",
            name="totp_last_step",
            field=fields.BigIntField(null=True),
        ),
    ]
