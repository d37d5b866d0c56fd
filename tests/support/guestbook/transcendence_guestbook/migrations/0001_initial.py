from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Entry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('author_id', fields.IntField(db_index=True)),
                ('text', fields.CharField(max_length=200)),
            ],
            options={'table': 'guestbook_entry', 'app': 'guestbook', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
