"""A trigram index on the folded name, PostgreSQL only.

``Person.objects.search`` filters with ``search_name LIKE '%word%'`` for each word.
A b-tree cannot answer a pattern that starts with ``%``; a GIN trigram index
(``pg_trgm``) can, so a name search over 20 million members reads a few index pages
instead of the whole table. SQLite has no such index type: both operations do
nothing there (a province on SQLite scans its few hundred thousand rows).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "person_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON people_person "
            "USING gin (search_name gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_person_phone_index"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
