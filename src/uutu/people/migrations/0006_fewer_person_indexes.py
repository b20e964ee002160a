"""Two fewer indexes on the members' table, which every import writes: the chi
hội's own index (``person_branch_sort`` starts with the chi hội and serves the same
lookups) and the pattern index of ``search_name`` (the search's ``%word%`` goes
through the trigram index of migration 0003); the name keeps a plain index for the
import's exact matching. On SQLite, altering a field rebuilds the table, which
drops its triggers: the member-count triggers are created again at the end."""

import django.db.models.deletion
from django.db import migrations, models


def recreate_triggers(apps, schema_editor):
    from uutu.people import counts

    counts.drop_triggers(schema_editor.connection)
    counts.create_triggers(schema_editor.connection, with_path=False)


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_unitversion_ordering"),
        ("people", "0005_member_count_triggers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="branch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="orgs.unit",
                verbose_name="chi hội",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="search_name",
            field=models.CharField(default="", editable=False, max_length=150),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["search_name"], name="person_search_name"),
        ),
        migrations.RunPython(recreate_triggers, recreate_triggers),
    ]
