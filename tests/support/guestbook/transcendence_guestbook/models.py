from tortoise import fields
from tortoise.models import Model


class Entry(Model):
    id = fields.IntField(primary_key=True)
    author_id = fields.IntField(db_index=True)
    text = fields.CharField(max_length=200)

    class Meta:
        table = "guestbook_entry"
