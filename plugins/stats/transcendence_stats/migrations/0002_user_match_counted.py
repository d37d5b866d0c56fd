from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="UserMatch",
            name="counted",
            field=fields.BooleanField(default=True),
        ),
    ]
