"""The word index of members' names (PostgreSQL): the table of distinct name words,
its trigger, and a GIN index on ``string_to_array(search_name, ' ')``. See
``uutu.people.namewords``. On SQLite only the (unused) table is created."""

from django.db import migrations, models

from uutu.people import namewords


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0009_path_collation"),
    ]

    operations = [
        migrations.CreateModel(
            name="NameWord",
            fields=[
                ("word", models.CharField(max_length=150, primary_key=True, serialize=False)),
            ],
            options={
                "verbose_name": "từ trong họ tên",
                "verbose_name_plural": "từ trong họ tên",
            },
        ),
        migrations.RunPython(namewords.install, namewords.uninstall, elidable=False),
    ]
