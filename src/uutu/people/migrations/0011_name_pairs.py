"""The pairs of words of members' names (PostgreSQL): ``people_name_pairs`` and a GIN
index on it, for full-name searches (``uutu.people.namewords``). Nothing on
SQLite."""

from django.db import migrations

from uutu.people import namewords


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_name_words"),
    ]

    operations = [
        migrations.RunPython(namewords.install_pairs, namewords.uninstall_pairs, elidable=False),
    ]
