from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0004_module_failures")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="theme",
            field=fields.CharField(default="standard", max_length=16),
        ),
        ops.AddField(
            model_name="User",
            name="text_size",
            field=fields.CharField(default="normal", max_length=8),
        ),
    ]
