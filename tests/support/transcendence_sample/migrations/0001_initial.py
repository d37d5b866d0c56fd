from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Note",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("text", fields.CharField(max_length=200)),
            ],
            options={"table": "sample_note", "app": "sample", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
