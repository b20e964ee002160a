"""Recreate the member-count triggers from ``uutu.people.counts``: on SQLite a member
taken off a chi hội now only updates its count row (the first version inserted one,
which broke a test database's flush: the unit was already deleted). PostgreSQL's
triggers are recreated unchanged."""

from django.db import migrations


def recreate(apps, schema_editor):
    from uutu.people import counts

    counts.drop_triggers(schema_editor.connection)
    counts.create_triggers(schema_editor.connection, with_path=False)


class Migration(migrations.Migration):
    dependencies = [("people", "0004_member_count")]

    operations = [migrations.RunPython(recreate, recreate)]
