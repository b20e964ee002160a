"""Core mechanisms: the append-only audit trail, the scoping mechanism, settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from uutu.core import audit
from uutu.core.models import AppendOnlyError, AuditEntry
from uutu.orgs.models import Unit
from uutu.people.models import Person

ROOT = Path(settings.BASE_DIR)


def test_audit_rows_cannot_be_changed_or_deleted(world):
    entry = audit.record("orgs.unit.updated", world.commune_a, after={"x": 1})
    entry.action = "something.else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "orgs.unit.updated"


def test_what_an_audit_row_names_is_protected_by_django_not_by_the_database(world):
    """The audit's user, unit and content type are plain columns in the database (no
    foreign-key check on each of the many rows an import writes), while deleting a
    user or a unit an entry names is still refused by the ORM."""
    from django.db import connection
    from django.db.models import ProtectedError

    user, unit = world.users["commune_a"], world.commune_a
    audit.record("orgs.unit.updated", unit, after={"x": 1}, user=user)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AuditEntry._meta.db_table)
    assert not [c for c in constraints.values() if c["foreign_key"]]
    for obj in (user, unit):
        with pytest.raises(ProtectedError):
            obj.delete()
    assert Unit.objects.filter(pk=unit.pk).exists()


def test_admin_shows_audit_read_only(world, admin_client):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditEntry]
    request = type("R", (), {"user": world.users["admin"]})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_restrict_is_a_subtree_filter(world):
    a = world.users["commune_a"]
    assert set(Person.objects.restrict(a, "people.view")) == {world.person_a1, world.person_a2}
    assert set(Person.objects.restrict(world.users["branch_head"], "people.view")) == {
        world.person_a1
    }
    assert Person.objects.restrict(world.users["cell_secretary"], "people.view").count() == 0
    assert Person.objects.restrict(world.users["admin"], "people.view").count() == 3
    units = set(Unit.objects.restrict(world.users["cell_secretary"], None))
    assert units == {world.cell_a1, world.branch_a1}  # her cell and its counterpart


def test_unit_activity_page_lists_changes_under_the_unit(world, login):
    from django.urls import reverse

    html = (
        login(world.users["commune_a"])
        .get(reverse("core:unit_activity", args=[world.commune_a.pk]))
        .content.decode()
    )
    assert "Thêm hội viên" in html and "Nguyễn Thị Hoa" in html
    assert "Trần Thị Ánh" not in html  # commune B's member


def test_check_deploy_passes_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "prod-secret-key-for-check-" * 3,
        "ALLOWED_HOSTS": "uutu.example.vn",
        "DJANGO_SETTINGS_MODULE": "uutu.settings",
    }
    env.pop("UUTU_HTTPS", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' conftest
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_key_from_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file-0123456789", encoding="utf-8")
    code = "import uutu.settings as s; print(s.SECRET_KEY)"
    env = {**os.environ, "SECRET_KEY_FILE": str(key_file), "UUTU_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "src",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "from-a-file-0123456789"


def test_dates_are_shown_day_month_year(world, login):
    from django.urls import reverse

    html = (
        login(world.users["commune_a"])
        .get(reverse("people:detail", args=[world.person_a1.pk]))
        .content.decode()
    )
    assert "17/05/1990" in html


def test_an_english_browser_still_gets_vietnamese_formats(world, login):
    from django.urls import reverse

    client = login(world.users["province"])
    html = client.get(reverse("reports:dashboard"), HTTP_ACCEPT_LANGUAGE="en-US,en").content
    html = html.decode()
    assert "0,0%" in html  # the branch-head ratio, with a decimal comma
    assert "0.0%" not in html
