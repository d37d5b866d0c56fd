from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0003_totp_last_step')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ModuleFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('node', fields.CharField(max_length=128)),
                ('module', fields.CharField(max_length=32)),
                ('error', fields.TextField(unique=False)),
                ('at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'core_module_failure', 'app': 'core', 'unique_together': (('node', 'module'),), 'pk_attr': 'id', 'table_description': 'A module whose startup failed on a node, kept while that node runs.'},
            bases=['Model'],
        ),
    ]
