"""Each member-count row holds its chi hội's path, so a scope's total is a range of
the (path, total) index instead of a join with every unit of the scope. The rows
are filled from the units; the member triggers are created again so that a new row
takes its path, and a trigger on orgs_unit passes a moved unit's new path to its
row (uutu.people.counts). On SQLite a migration that rebuilds orgs_unit drops that
trigger: it must create it again (``counts.create_path_trigger``), and
``manage.py verify`` reports any row whose path is not its chi hội's."""

from django.db import migrations, models


def drop_member_triggers(apps, schema_editor):
    """First: on SQLite adding the column rebuilds the table, which the triggers
    that write to it would not survive."""
    from uutu.people import counts

    counts.drop_triggers(schema_editor.connection)


def forwards(apps, schema_editor):
    from uutu.people import counts

    connection = schema_editor.connection
    schema_editor.execute(counts.fill_paths_sql())
    counts.create_triggers(connection)
    counts.create_path_trigger(connection)


def backwards(apps, schema_editor):
    from uutu.people import counts

    connection = schema_editor.connection
    counts.drop_path_trigger(connection)
    counts.drop_triggers(connection)


def create_old_triggers(apps, schema_editor):
    from uutu.people import counts

    counts.create_triggers(schema_editor.connection, with_path=False)


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_unitversion_ordering"),
        ("people", "0007_fewer_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_member_triggers, create_old_triggers),
        migrations.AddField(
            model_name="membercount",
            name="path",
            field=models.CharField(default="", editable=False, max_length=255),
        ),
        migrations.AddIndex(
            model_name="membercount",
            index=models.Index(
                fields=["path", "total"],
                name="membercount_path_total",
                # PostgreSQL: a prefix LIKE can use the index whatever the collation
                opclasses=["varchar_pattern_ops", "int4_ops"],
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
