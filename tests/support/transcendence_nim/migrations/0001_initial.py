from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0004_module_failures')]

    initial = True

    operations = [
        ops.CreateModel(
            name='NimInvite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sender', fields.ForeignKeyField('core.User', source_field='sender_id', db_constraint=True, to_field='id', related_name='nim_invites_sent', on_delete=OnDelete.CASCADE)),
                ('recipient', fields.ForeignKeyField('core.User', source_field='recipient_id', db_constraint=True, to_field='id', related_name='nim_invites_received', on_delete=OnDelete.CASCADE)),
                ('options', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('match_id', fields.CharField(null=True, max_length=36)),
            ],
            options={'table': 'nim_invite', 'app': 'nim', 'pk_attr': 'id', 'table_description': 'A challenge to a remote match, pending until the recipient answers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NimMatch',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('mode', fields.CharField(max_length=16)),
                ('status', fields.CharField(default='running', db_index=True, max_length=16)),
                ('seat0_user', fields.ForeignKeyField('core.User', source_field='seat0_user_id', null=True, db_constraint=True, to_field='id', related_name='nim_matches_seat0', on_delete=OnDelete.SET_NULL)),
                ('seat1_user', fields.ForeignKeyField('core.User', source_field='seat1_user_id', null=True, db_constraint=True, to_field='id', related_name='nim_matches_seat1', on_delete=OnDelete.SET_NULL)),
                ('seat0_name', fields.CharField(max_length=32)),
                ('seat1_name', fields.CharField(max_length=32)),
                ('seat1_ai', fields.CharField(null=True, max_length=8)),
                ('seat0_ai', fields.CharField(null=True, max_length=8)),
                ('options', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('keyboard', fields.BooleanField(default=False)),
                ('waiting', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('stones_left', fields.IntField()),
                ('turn', fields.IntField(default=0)),
                ('taken0', fields.IntField(default=0)),
                ('taken1', fields.IntField(default=0)),
                ('winner', fields.IntField(null=True)),
                ('forfeit', fields.BooleanField(default=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('ended_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'nim_match', 'app': 'nim', 'pk_attr': 'id', 'table_description': 'A match from its start to its end. Seat 0 moves first, and taken0 and taken1 are'},
            bases=['Model'],
        ),
    ]
