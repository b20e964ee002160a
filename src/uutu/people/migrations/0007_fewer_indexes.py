"""The membership history's chi hội index goes: the (branch, start) index starts
with it. One index fewer for every member an import writes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_unitversion_ordering"),
        ("people", "0006_fewer_person_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="branch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.unit",
                verbose_name="chi hội",
            ),
        ),
    ]
