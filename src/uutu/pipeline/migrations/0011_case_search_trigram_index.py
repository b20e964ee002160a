"""A trigram index on the cases' search text, PostgreSQL only.

The case search filters ``search_name LIKE '%word%'`` per word on the cases' table
alone (migration 0010). Without an index a rare name read the whole table: 160-184
ms on a million cases; with this GIN trigram index (``pg_trgm``, installed by
migration people 0003) 6-30 ms (``bench/bench_case_list.py``, session 9). Cases are
written one at a time through the services, so the index costs no import time.
SQLite has no such index type: both operations do nothing there.
"""

from django.db import migrations

INDEX = "case_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON pipeline_case "
            "USING gin (search_name gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_search_trigram_index"),
        ("pipeline", "0010_case_search_name"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
