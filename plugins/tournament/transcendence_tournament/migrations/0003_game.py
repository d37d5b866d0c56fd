from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('tournament', '0002_online')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Tournament',
            name='game',
            field=fields.CharField(default='pong', max_length=32),
        ),
    ]
