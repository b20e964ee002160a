"""The per-chi-hội member counts (uutu.people.counts): after every kind of write —
the services, the pipeline's admission, the member import (bulk and row by row),
``QuerySet.update``, ``bulk_create``, a branch merge, the generator's bulk load —
the stored rows equal a recount, and the home page shows what a direct count of
the members gives. The home page's queries do not grow with the data, and
``manage.py verify`` reports and mends a wrong row."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from uutu.accounts import permissions
from uutu.emulation.tests.helpers import member, walk
from uutu.orgs import services as org_services
from uutu.people import counts
from uutu.people import services as people_services
from uutu.people.models import MemberCount, Party, Person
from uutu.pipeline import services as pipeline_services
from uutu.pipeline.models import Step

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def direct(user) -> dict:
    """What the home page counted before the counters: the members themselves."""
    members = Person.objects.restrict(user, "people.view").current()
    return members.aggregate(
        total=Count("id"),
        party=Count("id", filter=~Q(party_status__in=[Party.NONE, Party.LEFT])),
        core=Count("id", filter=Q(is_core_member=True)),
        exemplar=Count("id", filter=Q(is_exemplar=True)),
        away=Count("id", filter=Q(working_away=True)),
    )


def row(branch) -> tuple:
    """The stored counts of one branch (zeros when it has no row)."""
    values = MemberCount.objects.filter(branch=branch).values_list(*counts.FIELDS).first()
    return values or (0, 0, 0, 0, 0)


def plus(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def assert_exact(world, client) -> None:
    """Stored = recount, and every persona's home page = the direct count."""
    assert counts.verify() == []
    seen = 0
    for user in world.users.values():
        client.force_login(user)
        response = client.get(reverse("core:home"))
        assert response.status_code == 200
        if permissions.has_any(user, "people.view"):
            assert response.context["stats"] == direct(user), user.username
            seen += 1
        else:
            assert "stats" not in response.context
    assert seen >= 4


def new_member(branch, name="Hà Thị Mới", **fields):
    return people_services.create_person(
        actor=None,
        branch=branch,
        full_name=name,
        birth_date=datetime.date(1990, 1, 1),
        joined_hoi_on=datetime.date(2015, 1, 1),
        **fields,
    )


# --- the services ---------------------------------------------------------------------


def test_the_world_is_counted(world, client):
    assert row(world.branch_a1)[0] == 1 and row(world.branch_b1)[0] == 1
    assert sum(MemberCount.objects.values_list("total", flat=True)) == Person.objects.count()
    assert_exact(world, client)


def test_create_person(world, client):
    before = row(world.branch_a1)
    new_member(world.branch_a1, is_core_member=True, working_away=True)
    assert row(world.branch_a1) == plus(before, (1, 0, 1, 0, 1))
    assert_exact(world, client)


def test_update_flags(world, client):
    before = row(world.branch_a2)
    people_services.update_person(
        world.person_a2,
        actor=None,
        is_core_member=True,
        is_exemplar=True,
        exemplar_citation="Dẫn đầu phong trào tiết kiệm",
        working_away=True,
    )
    assert row(world.branch_a2) == plus(before, (0, 0, 1, 1, 1))
    people_services.update_person(world.person_a2, actor=None, is_exemplar=False)
    assert row(world.branch_a2) == plus(before, (0, 0, 1, 0, 1))
    # an edit of a column that is not counted changes nothing
    people_services.update_person(world.person_a2, actor=None, phone="0987000111")
    assert row(world.branch_a2) == plus(before, (0, 0, 1, 0, 1))
    assert_exact(world, client)


def test_party_status_changes(world, client):
    before = row(world.branch_b1)
    person = world.person_b1
    people_services.set_party_status(person, status=Party.PROBATIONARY, on=ago(30), actor=None)
    assert row(world.branch_b1) == plus(before, (0, 1, 0, 0, 0))
    people_services.set_party_status(person, status=Party.OFFICIAL, on=ago(20), actor=None)
    assert row(world.branch_b1) == plus(before, (0, 1, 0, 0, 0))
    people_services.set_party_status(person, status=Party.LEFT, on=ago(10), actor=None)
    assert row(world.branch_b1) == before
    assert_exact(world, client)


def test_admission_through_the_pipeline(world, client):
    person = member(world.branch_a1, "Bế Thị Kết Nạp")
    before = row(world.branch_a1)
    case = walk(
        person, cell=world.cell_a1, party_commune=world.party_a, until=Step.DECISION, on=ago(100)
    )
    assert row(world.branch_a1) == before
    pipeline_services.ceremony(case, on=ago(50), actor=None)
    person.refresh_from_db()
    assert person.party_status == Party.PROBATIONARY
    assert row(world.branch_a1) == plus(before, (0, 1, 0, 0, 0))
    assert_exact(world, client)


def test_move_to_another_branch(world, client):
    a2, b1 = row(world.branch_a2), row(world.branch_b1)
    people_services.update_person(
        world.person_a2, actor=None, is_exemplar=True, exemplar_citation="Làm kinh tế giỏi"
    )
    people_services.move_person(world.person_a2, to_branch=world.branch_b1, on=ago(0))
    assert row(world.branch_a2) == plus(a2, (-1, 0, 0, 0, 0))
    assert row(world.branch_b1) == plus(b1, (1, 0, 0, 1, 0))
    assert_exact(world, client)


def test_archive_and_restore(world, client):
    people_services.update_person(world.person_a1, actor=None, working_away=True)
    before = row(world.branch_a1)
    people_services.archive_person(world.person_a1, reason="Chuyển đi nơi khác", actor=None)
    assert row(world.branch_a1) == plus(before, (-1, 0, 0, 0, -1))
    assert_exact(world, client)
    people_services.restore_person(world.person_a1, actor=None)
    assert row(world.branch_a1) == before
    assert_exact(world, client)


def test_merging_branches_moves_their_counts(world, client):
    new_member(world.branch_a2, "Lò Thị Hai", is_core_member=True)
    a1, a2 = row(world.branch_a1), row(world.branch_a2)
    assert a2[0] == 2
    merged = org_services.merge_units(
        [world.branch_a1, world.branch_a2], on=ago(0), name="Chi hội Thôn Mới", code="M1"
    )
    assert row(merged) == plus(a1, a2)
    assert row(world.branch_a1) == row(world.branch_a2) == (0, 0, 0, 0, 0)
    assert_exact(world, client)


def test_moving_a_unit_carries_its_rows_paths(world, client):
    """A row holds its chi hội's path (a scope's total reads the rows alone): a
    branch moved to another commune, and a commune moved with its branches to
    another province, take their rows' paths along; the lists count the same."""

    def paths():
        return dict(MemberCount.objects.values_list("branch_id", "path"))

    assert paths()[world.branch_a1.pk] == world.branch_a1.path
    org_services.move_unit(world.branch_a2, new_parent=world.commune_b, on=ago(0))
    world.branch_a2.refresh_from_db()
    assert world.branch_a2.path.startswith(world.commune_b.path)
    assert paths()[world.branch_a2.pk] == world.branch_a2.path
    assert_exact(world, client)
    # A whole commune (its branches' paths change with it) under another province.
    other = org_services.create_unit(
        parent=world.province.parent, level=world.province.level, name="Tỉnh Khác", code="98"
    )
    org_services.move_unit(world.commune_a, new_parent=other, on=ago(0))
    world.branch_a1.refresh_from_db()
    assert paths()[world.branch_a1.pk] == world.branch_a1.path
    assert world.branch_a1.path.startswith(other.path)
    for user in world.users.values():  # their units' paths changed: read them again
        permissions.clear_cache(user)
    assert_exact(world, client)


# --- writes that bypass Person.save() ---------------------------------------------------


def test_queryset_update(world, client):
    a1, a2, b1 = row(world.branch_a1), row(world.branch_a2), row(world.branch_b1)
    Person.objects.filter(branch__in=[world.branch_a1, world.branch_a2]).update(
        is_exemplar=True, party_status=Party.OFFICIAL
    )
    assert row(world.branch_a1) == plus(a1, (0, 1, 0, 1, 0))
    assert row(world.branch_a2) == plus(a2, (0, 1, 0, 1, 0))
    # every member of commune A moves to B1 in one statement
    Person.objects.filter(branch__path__startswith=world.commune_a.path).update(
        branch=world.branch_b1
    )
    assert row(world.branch_a1) == row(world.branch_a2) == (0, 0, 0, 0, 0)
    assert row(world.branch_b1) == plus(b1, plus(plus(a1, a2), (0, 2, 0, 2, 0)))
    # and an update that changes nothing counted
    Person.objects.update(occupation="Nông dân")
    assert_exact(world, client)


def test_bulk_create_and_delete(world, client):
    before = row(world.branch_b1)
    people = [
        people_services.new_person(
            world.branch_b1,
            full_name=f"Vi Thị Số {i}",
            birth_date=datetime.date(1980, 1, 1),
            is_core_member=i % 2 == 0,
        )
        for i in range(6)
    ]
    for p in people:
        p.derive_fields()
    Person.objects.bulk_create(people)
    assert row(world.branch_b1) == plus(before, (6, 0, 3, 0, 0))
    assert_exact(world, client)
    # a statement that removes rows (members without history) is counted too
    Person.objects.filter(full_name__startswith="Vi Thị Số").delete()
    assert row(world.branch_b1) == before
    assert counts.verify() == []


# --- the member import ----------------------------------------------------------------


IMPORT_HEADER = ["Họ và tên", "Ngày sinh", "Số CCCD", "Chi hội", "Điện thoại", "Dân tộc"]


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "row-by-row"])
def test_member_import(world, client, tmp_path, settings, bulk):
    from openpyxl import Workbook

    from uutu.imports import services as import_services
    from uutu.imports.models import Kind, Status

    settings.IMPORT_DIR = tmp_path / "store"
    settings.IMPORT_BULK = bulk
    rows = [
        [f"Hoàng Thị Nhập {w}", "01/02/1988", "", "Chi hội Thôn Đông", "", ""]
        for w in ("Một", "Hai", "Ba")
    ]
    rows.append(["Lê Thị Tây", "03/04/1975", "", "Chi hội Thôn Tây", "", ""])
    # an existing member (by CCCD): her data are updated, her count does not move
    rows.append(["Nguyễn Thị Hoa", "17/05/1990", "004190001234", "Chi hội Thôn Đông", "", "Nùng"])
    book = Workbook()
    sheet = book.active
    sheet.append(IMPORT_HEADER)
    for r in rows:
        sheet.append(r)
    path = tmp_path / "hoi-vien.xlsx"
    book.save(path)
    a1, a2 = row(world.branch_a1), row(world.branch_a2)

    uploaded = SimpleUploadedFile(path.name, path.read_bytes())
    imp = import_services.start_import(
        user=world.users["commune_a"], kind=Kind.PEOPLE, uploaded=uploaded
    )
    imp = import_services.run_validation(imp.pk)
    assert imp.status == Status.READY, imp.errors[:3]
    assert import_services.queue_commit(imp)
    imp = import_services.run_commit(imp.pk)
    assert imp.status == Status.DONE, imp.failure
    assert imp.created == 4

    assert row(world.branch_a1) == plus(a1, (3, 0, 0, 0, 0))
    assert row(world.branch_a2) == plus(a2, (1, 0, 0, 0, 0))
    assert_exact(world, client)


# --- the demo loader and the generator's bulk load -------------------------------------


def test_demo_loader(db, client):
    from uutu.accounts.models import User
    from uutu.core.demo import build_demo

    build_demo(members=300, seed=7, communes=3)
    current = Person.objects.current()
    assert current.exclude(party_status__in=[Party.NONE, Party.LEFT]).exists()
    assert counts.verify() == []
    assert sum(MemberCount.objects.values_list("total", flat=True)) == current.count()
    shown = 0
    for user in User.objects.filter(assignments__isnull=False).distinct()[:20]:
        if permissions.has_any(user, "people.view"):
            client.force_login(user)
            assert client.get(reverse("core:home")).context["stats"] == direct(user)
            shown += 1
    assert shown > 0


def test_generator_rebuilds_the_counts_and_leaves_the_triggers_on(db):
    from uutu.scale.generator import Generator

    result = Generator("commune", seed=5, members=200, province=12).run()
    assert any("bộ đếm hội viên" in name for name in result.phases)
    current = Person.objects.current()
    assert counts.verify() == []
    assert sum(MemberCount.objects.values_list("total", flat=True)) == current.count()
    assert sum(MemberCount.objects.values_list("party", flat=True)) == (
        current.exclude(party_status__in=[Party.NONE, Party.LEFT]).count()
    )
    # the triggers count again after the load
    branch = Person.objects.current().first().branch
    before = row(branch)
    new_member(branch, "Sau Thị Nạp")
    assert row(branch) == plus(before, (1, 0, 0, 0, 0))
    assert counts.verify() == []


# --- rebuild, verify and the command ----------------------------------------------------


def test_rebuild_gives_the_rows_the_triggers_kept(world):
    new_member(world.branch_a1, "Đặng Thị Một", is_exemplar=True, exemplar_citation="Nuôi con khéo")
    people_services.move_person(world.person_a2, to_branch=world.branch_b1, on=ago(0))

    def nonzero():
        return sorted(
            (b, *v)
            for b, *v in MemberCount.objects.values_list("branch_id", *counts.FIELDS)
            if any(v)
        )

    kept = nonzero()
    assert counts.rebuild() == len(kept)
    assert nonzero() == kept


def test_verify_reports_a_wrong_row_and_fix_mends_it(world, capsys):
    call_command("verify")
    out = capsys.readouterr().out
    assert "0 khác biệt" in out and "Số hội viên" in out

    MemberCount.objects.filter(branch=world.branch_a1).update(total=7, core=2)
    MemberCount.objects.filter(branch=world.branch_b1).delete()
    differences = counts.verify()
    assert [(d.branch_id, d.figures()) for d in differences] == [
        (world.branch_a1.pk, [("total", 7, 1), ("core", 2, 0)]),
        (world.branch_b1.pk, [("total", 0, 1)]),
    ]
    with pytest.raises(CommandError, match="2 khác biệt về số hội viên"):
        call_command("verify")
    out = capsys.readouterr().out
    assert "Chi hội Thôn Đông" in out and "hội viên: đang lưu 7, đếm lại 1" in out
    assert counts.verify() != []  # without --fix nothing is written

    with pytest.raises(CommandError, match="2 khác biệt"):
        call_command("verify", "--fix")
    assert "Đã đếm lại số hội viên" in capsys.readouterr().out
    assert counts.verify() == []
    call_command("verify")
    assert "0 khác biệt" in capsys.readouterr().out

    # A row whose path is not its chi hội's (the list would count it elsewhere).
    MemberCount.objects.filter(branch=world.branch_a1).update(path="99999999.")
    assert [(d.branch_id, d.figures(), d.path) for d in counts.verify()] == [
        (world.branch_a1.pk, [], ("99999999.", world.branch_a1.path))
    ]
    with pytest.raises(CommandError, match="1 khác biệt về số hội viên"):
        call_command("verify", "--fix")
    assert "đường dẫn: đang lưu '99999999.'" in capsys.readouterr().out
    assert counts.verify() == []


# --- the home page ----------------------------------------------------------------------


def _grow(world, branches: int, per_branch: int) -> None:
    """More branches under commune A, with members written in bulk."""
    lv = world.levels
    people = []
    for i in range(branches):
        branch = org_services.create_unit(
            parent=world.commune_a, level=lv["hoi_branch"], name=f"Chi hội Số {i}", code=f"G{i}"
        )
        for j in range(per_branch):
            p = people_services.new_person(
                branch,
                full_name=f"Đào Thị Số {i} {j}",
                birth_date=datetime.date(1970, 1, 1),
                is_core_member=j % 3 == 0,
            )
            people.append(p.derive_fields())
    Person.objects.bulk_create(people)


def _home_queries(client, user) -> tuple[int, dict]:
    client.force_login(user)
    client.get(reverse("core:home"))  # session, caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:home"))
    assert response.status_code == 200
    return len(queries), response.context["stats"]


def test_home_queries_do_not_grow_with_members_or_branches(world, client):
    user = world.users["province"]
    small, stats = _home_queries(client, user)
    assert stats == direct(user)
    _grow(world, branches=12, per_branch=15)
    large, stats = _home_queries(client, user)
    assert stats == direct(user) and stats["total"] >= 180
    assert large == small
    # and the members table is not read
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("core:home"))
    assert not any(Person._meta.db_table in q["sql"] for q in queries.captured_queries)


def test_home_counts_only_the_users_scope(world, client):
    _grow(world, branches=2, per_branch=4)
    client.force_login(world.users["commune_b"])
    stats = client.get(reverse("core:home")).context["stats"]
    assert stats["total"] == Person.objects.filter(branch=world.branch_b1).count() == 1
    client.force_login(world.users["admin"])
    stats = client.get(reverse("core:home")).context["stats"]
    assert stats["total"] == Person.objects.current().count()
    assert MemberCount.objects.filter(total__gt=0).count() == 3 + 2
