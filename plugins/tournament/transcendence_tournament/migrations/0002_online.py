from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_accounts'), ('tournament', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Entry',
            name='ai_level',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Entry',
            name='joined_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=True),
        ),
        ops.AddField(
            model_name='Game',
            name='forfeit',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Game',
            name='left_joined',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Game',
            name='ready_deadline',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Game',
            name='right_joined',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Game',
            name='swapped',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Tournament',
            name='no_show_seconds',
            field=fields.IntField(default=60),
        ),
        ops.AddField(
            model_name='Tournament',
            name='seeding',
            field=fields.CharField(default='random', max_length=16),
        ),
        ops.AddField(
            model_name='Tournament',
            name='size',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Tournament',
            name='started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Tournament',
            name='starts_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
