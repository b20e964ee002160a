"""``Case.search_name``: the case list's search text, so that a search reads the
cases' table alone (see ``Case.search_name_for``), and its value for every case.

The cases are read in batches of ``BATCH`` by id; on PostgreSQL each batch is one
``UPDATE … FROM unnest(…)``. The fold is Python's (``uutu.core.text.fold``), the
same the model uses, so the migration writes what ``save()`` would."""

from django.db import migrations, models

BATCH = 10_000


def _search_name(full_name, member):
    # Case.search_name_for, as it is today (a migration must not import the model's
    # module: it would change with later versions of the model).
    from uutu.core.text import fold

    own = fold(full_name or "")
    if member and member != own:
        return f"{own} {member}"
    return own


def fill(apps, schema_editor):
    Case = apps.get_model("pipeline", "Case")
    connection = schema_editor.connection
    last = 0
    while True:
        rows = list(
            Case.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "full_name", "person__search_name")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        ids = [pk for pk, _full, _member in rows]
        names = [_search_name(full, member) for _pk, full, member in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE pipeline_case c SET search_name = v.name "
                    "FROM unnest(%s::bigint[], %s::text[]) AS v (id, name) WHERE c.id = v.id",
                    [ids, names],
                )
            else:
                cursor.executemany(
                    "UPDATE pipeline_case SET search_name = %s WHERE id = %s",
                    list(zip(names, ids, strict=True)),
                )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_name_words"),
        ("pipeline", "0009_path_collation"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="search_name",
            field=models.CharField(default="", editable=False, max_length=301),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
