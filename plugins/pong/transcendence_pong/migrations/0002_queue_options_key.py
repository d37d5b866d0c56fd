from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("core", "0002_accounts"), ("pong", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="QueueEntry",
            name="options_key",
            field=fields.CharField(default="", db_index=True, max_length=32),
        ),
    ]
