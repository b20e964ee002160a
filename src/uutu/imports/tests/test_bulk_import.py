"""The member import's bulk commit writes exactly what the row-by-row path
(``people.services.create_person`` / ``update_person`` per row) writes: the same
members, membership history, party-status rows and audit rows, in a number of
queries that does not grow with the rows."""

import datetime
import os

import pytest
from django.db import transaction

from uutu.core.models import AuditEntry
from uutu.imports import services
from uutu.imports.models import Kind, Status
from uutu.people import services as people_services
from uutu.people.models import Membership, PartyStatusPeriod, Person

from .files import xlsx

P = Kind.PEOPLE
HEADER = [c.label for c in services.PEOPLE_COLUMNS]
GIVEN = ["Một", "Hai", "Ba", "Bốn", "Năm", "Sáu", "Bảy", "Tám", "Chín", "Mười"]


def row(**cells):
    return [cells.get(h, "") for h in HEADER]


def rows_for(world, n=24):
    out = [
        # updates of existing members: by CCCD (phone, ethnicity, a new spelling of
        # the name), by name + birth date + branch (a CCCD added)
        row(
            **{
                "Họ và tên": "Nguyễn Thị Hoa",
                "Ngày sinh": datetime.date(1990, 5, 17),
                "Số CCCD": "004190001234",
                "Chi hội": "Thôn Đông",
                "Điện thoại": "0987654321",
                "Dân tộc": "Nùng",
                "Nghề nghiệp": "Giáo viên",
            }
        ),
        row(
            **{
                "Họ và tên": "lê thị hòa",
                "Ngày sinh": "02/01/1985",
                "Số CCCD": "004185000777",
                "Chi hội": "Chi hội Thôn Tây",
            }
        ),
        row(
            **{
                "Họ và tên": "Phạm Thị Thu Hà",
                "Ngày sinh": "03/03/1992",
                "Số CCCD": "001192000555",
                "Chi hội": "Thôn Đông",
            }
        ),
        # unchanged
        row(**{"Họ và tên": "Vi Thị Lụa", "Ngày sinh": "04/04/1994", "Chi hội": "Thôn Tây"}),
    ]
    for i in range(n):
        out.append(
            row(
                **{
                    "Họ và tên": f"Hà Thị {GIVEN[i % 10]} {GIVEN[i // 10 % 10]} {GIVEN[i // 100]}",
                    "Ngày sinh": datetime.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                    "Số CCCD": f"0041{60 + i % 40:02d}{i:06d}" if i % 3 else "",
                    "Chi hội": "Thôn Đông" if i % 2 else "thon tay",
                    "Dân tộc": "Tày" if i % 4 else "",
                    "Tôn giáo": "Phật giáo" if i % 5 == 0 else "",
                    "Trình độ học vấn": "THCS" if i % 2 else "12/12",
                    "Nghề nghiệp": "Làm ruộng",
                    "Điện thoại": f"09{i:08d}",
                    "Nơi ở hiện nay": f"Xóm {i}",
                    "Ngày vào Hội": datetime.date(2000, 1, 1) if i % 2 else "",
                    "Đi làm ăn xa": "Có" if i % 6 == 0 else "Không",
                    "Hội viên nòng cốt": "x" if i % 3 == 0 else "",
                    "Gương điển hình": "Có" if i % 7 == 0 else "",
                    "Thành tích điển hình": "Giỏi việc nước" if i % 7 == 0 else "",
                }
            )
        )
    return out


def _existing(world):
    people_services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Phạm Thị Thu",
        birth_date=datetime.date(1992, 3, 3),
        cccd="001192000555",
    )
    people_services.create_person(
        actor=None,
        branch=world.branch_a2,
        full_name="Vi Thị Lụa",
        birth_date=datetime.date(1994, 4, 4),
    )


def _key(person_id):
    p = Person.objects.get(pk=person_id)
    return (p.search_name, p.birth_date.isoformat())


def _state(imp):
    """Everything the commit wrote, with ids and timestamps replaced by keys."""
    people = {}
    for p in Person.objects.all():
        values = {
            f.attname: getattr(p, f.attname)
            for f in Person._meta.concrete_fields
            if f.attname not in ("id", "created_at", "updated_at")
        }
        people[_key(p.pk)] = values
    memberships = sorted(
        (_key(m.person_id), m.branch_id, m.start, m.end, m.reason) for m in Membership.objects.all()
    )
    periods = sorted(
        (_key(s.person_id), s.status, s.start, s.end, s.doc_no)
        for s in PartyStatusPeriod.objects.all()
    )
    audits = []
    for a in AuditEntry.objects.filter(request_id=f"import-{imp.pk}"):
        after = dict(a.after or {})
        after.pop("id", None)
        if a.action == "imports.import.committed":
            after.pop("import")
            key = None
        else:
            key = _key(int(a.object_id))
        audits.append(
            (
                a.action,
                key,
                a.object_repr,
                a.unit_id,
                a.user_id,
                a.source,
                a.ip,
                str(a.content_type_id),
                repr(sorted((a.before or {}).items())),
                repr(sorted(after.items())),
            )
        )
    return people, memberships, periods, sorted(audits)


def _commit(user, path, run_import, settings, bulk):
    settings.IMPORT_BULK = bulk
    imp = run_import(user, P, path)
    assert imp.status == Status.READY, imp.errors[:3]
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE, imp.failure
    return imp


def test_bulk_commit_writes_what_the_row_by_row_commit_writes(
    world, tmp_path, run_import, settings
):
    _existing(world)
    user = world.users["commune_a"]
    path = xlsx(tmp_path / "hoi-vien.xlsx", HEADER, rows_for(world))
    with transaction.atomic():
        old = _commit(user, path, run_import, settings, bulk=False)
        expected = _state(old)
        counts = (old.created, old.updated, old.unchanged)
        transaction.set_rollback(True)
    assert not Person.objects.filter(full_name__startswith="Hà Thị").exists()

    new = _commit(user, path, run_import, settings, bulk=True)
    assert (new.created, new.updated, new.unchanged) == counts == (24, 3, 1)
    got = _state(new)
    assert got[0] == expected[0]  # members, field by field
    assert got[1] == expected[1]  # membership history
    assert got[2] == expected[2]  # party status rows
    assert got[3] == expected[3]  # audit rows
    assert len([a for a in got[3] if a[0] == "people.person.created"]) == 24
    assert len([a for a in got[3] if a[0] == "people.person.updated"]) == 3
    hoa = Person.objects.get(cccd="004190001234")
    assert (hoa.phone, hoa.ethnicity, hoa.occupation) == ("0987654321", "Nùng", "Giáo viên")
    renamed = Person.objects.get(cccd="001192000555")
    assert (renamed.full_name, renamed.given_name, renamed.search_name) == (
        "Phạm Thị Thu Hà",
        "Hà",
        "pham thi thu ha",
    )
    entry = AuditEntry.objects.get(action="people.person.updated", object_id=str(renamed.pk))
    assert (entry.before, entry.after) == (
        {"full_name": "Phạm Thị Thu"},
        {"full_name": "Phạm Thị Thu Hà"},
    )
    assert entry.source == "import" and entry.unit_id == world.branch_a1.pk

    # and a re-import changes nothing
    again = run_import(user, P, path)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 28)


@pytest.mark.parametrize("n", [40, 400])
def test_bulk_commit_queries_do_not_grow_with_the_rows(
    world, tmp_path, run_import, settings, django_assert_max_num_queries, n
):
    _existing(world)
    settings.IMPORT_BULK = True
    user = world.users["commune_a"]
    imp = run_import(user, P, xlsx(tmp_path / "a.xlsx", HEADER, rows_for(world, n)))
    assert imp.status == Status.READY, imp.errors[:3]
    assert services.queue_commit(imp)
    with django_assert_max_num_queries(40):
        imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE and imp.created == n


def test_bulk_commit_reports_a_row_that_became_wrong(world, tmp_path, run_import, settings):
    """Rows are checked again at the commit, with the preview's messages."""
    settings.IMPORT_BULK = True
    user = world.users["commune_a"]
    rows = rows_for(world, 3)[4:]
    imp = run_import(user, P, xlsx(tmp_path / "a.xlsx", HEADER, rows))
    assert imp.to_create == 3
    # commune B registers the second row's CCCD for one of its members meanwhile
    people_services.create_person(
        actor=None,
        branch=world.branch_b1,
        full_name="Đinh Thị Khác",
        birth_date=datetime.date(1961, 2, 2),
        cccd="004161000001",
    )
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.FAILED
    assert [services.format_error(e) for e in imp.errors] == [
        "Dòng 3, cột Số CCCD: số CCCD 004161000001 đã có trong hệ thống (thuộc một hội viên khác)."
    ]
    assert not Person.objects.filter(full_name__startswith="Hà Thị").exists()


NAMES = [
    "Nguyễn Thị Hoa",
    "  lê   thị hòa ",
    "Phạm Thị Thu Hà",
    "Vi Thị Lụa",
    "Hoa",
    "Đặng Thị Ngọc Ánh 000123",
    "Tôn Nữ Thị Hoàng-Yến",
    "ĐOÀN THỊ ỮNG",
    "Hà Thị Một Hai Ba",
    "Nguyễn " * 60 + "Thị Dài",
    "",
    # written without diacritics: ASCII words (services._ascii_word)
    "Nguyen Thi Hoa 000123",
    "TRAN le-VAN A.",
    "O'Neil Mary_2 (Hoa)",
    "Dang Thi Ngoc Anh",
]


def test_name_fields_are_those_of_the_registry():
    """The import's name_fields (sort codes remembered per word) gives what
    Person.derive_fields() stores."""
    from uutu.core import text

    for name in NAMES:
        assert services.name_fields(name) == text.name_fields(name), name
        assert services.name_fields(name) == text.name_fields(name), name  # from the cache


def test_new_person_is_the_registrys_new_person(world):
    importer = services.PeopleImporter(world.users["commune_a"])
    fields = {
        "full_name": "Hà Thị Một ",
        "birth_date": datetime.date(1980, 1, 2),
        "cccd": "004180000001",
        "ethnicity": "Tày",
        "is_core_member": True,
    }
    fast = importer._new_person(world.branch_a1, dict(fields))
    slow = people_services.new_person(world.branch_a1, **fields)
    keep = [f.attname for f in Person._meta.concrete_fields]
    assert [getattr(fast, a) for a in keep] == [getattr(slow, a) for a in keep]
    assert fast.branch is world.branch_a1 and fast._state.adding
    # Person(*values) without its init signals: the same instance
    values = [getattr(slow, a) for a in keep]
    plain = importer._instance(list(values))
    model = Person(*values)
    assert type(plain) is Person and importer._plain_init
    assert {k: v for k, v in plain.__dict__.items() if k != "_state"} == {
        k: v for k, v in model.__dict__.items() if k != "_state"
    }
    assert list(plain.__dict__) == list(model.__dict__)
    assert (plain._state.adding, plain._state.db) == (model._state.adding, model._state.db)


def test_the_commit_reads_the_rows_the_preview_kept(world, tmp_path, run_import, settings):
    """The preview keeps the rows it read beside the upload; the commit reads them
    instead of the workbook (and still checks every row), then removes them."""
    settings.IMPORT_BULK = True
    user = world.users["commune_a"]
    imp = run_import(user, P, xlsx(tmp_path / "a.xlsx", HEADER, rows_for(world, 5)[4:]))
    assert imp.status == Status.READY and imp.to_create == 5
    kept = services.rows_cache_path(imp)
    assert kept.exists()
    source = services.file_path(imp)
    os_stat = source.stat()
    # the upload is replaced by a file that no reader can open: the kept rows are used
    source.write_bytes(b"x" * os_stat.st_size)
    os.utime(source, ns=(os_stat.st_atime_ns, os_stat.st_mtime_ns))
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE and imp.created == 5, imp.failure
    assert not kept.exists()


def test_kept_rows_of_another_file_are_not_used(world, tmp_path, run_import, settings):
    user = world.users["commune_a"]
    imp = run_import(user, P, xlsx(tmp_path / "a.xlsx", HEADER, rows_for(world, 3)[4:]))
    kept = services.rows_cache_path(imp)
    other = run_import(user, P, xlsx(tmp_path / "b.xlsx", HEADER, rows_for(world, 6)[4:]))
    services.rows_cache_path(other).replace(kept)  # rows of another upload
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE and imp.created == 3  # read from the workbook


def test_kept_rows_keep_every_value(tmp_path):
    from uutu.imports import readers

    source = tmp_path / "upload.xlsx"
    source.write_bytes(b"upload")
    rows = [
        (2, ["Nguyễn Thị Hoa", datetime.datetime(1990, 5, 17), 1192002222, 3.5, True, None]),
        (4, [datetime.date(2001, 2, 3), datetime.time(7, 30), datetime.timedelta(days=2), ""]),
    ]
    table = readers.Table(header=["A", "B"], rows=iter(rows), total=2, encoding="xlsx")
    table = readers.cache_rows(table, source, tmp_path / "kept")
    assert list(table.rows) == rows
    table.close()
    again = readers.cached_table(source, tmp_path / "kept")
    assert (again.header, again.total, list(again.rows)) == (["A", "B"], 2, rows)
    again.close()
    # a table not read to its end leaves nothing
    table = readers.Table(header=["A"], rows=iter(rows), total=2)
    table = readers.cache_rows(table, source, tmp_path / "half")
    next(table.rows)
    table.close()
    assert readers.cached_table(source, tmp_path / "half") is None
    assert not (tmp_path / "half.part").exists()


def test_initial_history_is_built_from_its_values(world):
    person = people_services.new_person(
        world.branch_a1, full_name="Hà Thị Một", birth_date=datetime.date(1980, 1, 2)
    )
    membership, period = people_services.initial_history(person)
    values = people_services.initial_history_values(person)
    assert (membership.branch_id, membership.start, membership.reason) == (
        values[0]["branch_id"],
        values[0]["start"],
        values[0]["reason"],
    )
    assert (period.status, period.start) == (values[1]["status"], values[1]["start"])


# --- the commit replays what the preview worked out ---------------------------------


def _no_second_plan(monkeypatch):
    """After the preview: the commit must not plan a row from its cells again."""

    def refuse(self, number, cells):
        raise AssertionError("the commit planned a row from its cells")

    monkeypatch.setattr(services.PeopleImporter, "plan", refuse)


def test_the_commit_replays_the_preview_and_writes_the_same(
    world, tmp_path, run_import, settings, monkeypatch
):
    """The preview keeps what it worked out from each row; the commit replays it
    (matching and checking against the database again) and writes exactly what
    planning every row again writes."""
    _existing(world)
    settings.IMPORT_BULK = True
    user = world.users["commune_a"]
    path = xlsx(tmp_path / "hoi-vien.xlsx", HEADER, rows_for(world))
    with transaction.atomic():
        imp = run_import(user, P, path)
        services.plans_cache_path(imp).unlink()  # no records: every row planned again
        assert services.queue_commit(imp)
        old = services.run_commit(imp.pk)
        assert old.status == Status.DONE, old.failure
        expected, counts = _state(old), (old.created, old.updated, old.unchanged)
        transaction.set_rollback(True)

    imp = run_import(user, P, path)
    kept = services.plans_cache_path(imp)
    assert kept.exists()
    _no_second_plan(monkeypatch)
    assert services.queue_commit(imp)
    new = services.run_commit(imp.pk)
    assert new.status == Status.DONE, new.failure
    assert (new.created, new.updated, new.unchanged) == counts == (24, 3, 1)
    assert _state(new) == expected
    assert not kept.exists()


def _cccd_elsewhere(world):
    people_services.create_person(
        actor=None,
        branch=world.branch_b1,
        full_name="Đinh Thị Khác",
        birth_date=datetime.date(1961, 2, 2),
        cccd="004161000001",
    )


def _twin(world):  # the second new row's member, registered meanwhile without a CCCD
    people_services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Hà Thị Hai Một Một",
        birth_date=datetime.date(1961, 2, 2),
    )


def _twin_other_cccd(world):
    people_services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Hà Thị Hai Một Một",
        birth_date=datetime.date(1961, 2, 2),
        cccd="004161999999",
    )


def _archived(world):
    person = Person.objects.get(pk=world.person_a1.pk)
    people_services.archive_person(person, reason="Chuyển đi", actor=None)


def _edited(world):  # the first row's changes, made by hand meanwhile
    person = Person.objects.get(pk=world.person_a1.pk)
    people_services.update_person(
        person, actor=None, phone="0987654321", ethnicity="Nùng", occupation="Giáo viên"
    )


def _edited_wrongly(world):  # (legacy data) joined before her birth: the update fails
    Person.objects.filter(cccd="001192000555").update(joined_hoi_on=datetime.date(1980, 1, 1))


def _renamed(world):
    from uutu.orgs import services as org_services
    from uutu.orgs.models import Unit

    org_services.rename_unit(
        Unit.objects.get(pk=world.branch_a2.pk),
        new_name="Chi hội Thôn Nam",
        on=datetime.date.today(),
        actor=None,
    )


def _no_role(world):
    world.users["commune_a"].assignments.update(is_active=False)


def _moved_role(world):  # now a cadre of commune B only
    from uutu.accounts.models import RoleAssignment
    from uutu.accounts.roles import Role

    user = world.users["commune_a"]
    user.assignments.update(is_active=False)
    RoleAssignment.objects.create(user=user, unit=world.commune_b, role=Role.COMMUNE_CADRE)


@pytest.mark.parametrize(
    "change",
    [
        None,
        _cccd_elsewhere,
        _twin,
        _twin_other_cccd,
        _archived,
        _edited,
        _edited_wrongly,
        _renamed,
        _no_role,
        _moved_role,
    ],
    ids=lambda f: f.__name__.strip("_") if f else "unchanged",
)
def test_a_replayed_commit_sees_what_changed_since_the_preview(
    world, tmp_path, run_import, settings, monkeypatch, change
):
    """Whatever changed in the database between the preview and the commit, the
    commit from the preview's records ends as the commit that plans every row
    again: the same errors (or the same rows written)."""
    _existing(world)
    settings.IMPORT_BULK = True
    user = world.users["commune_a"]
    path = xlsx(tmp_path / "hoi-vien.xlsx", HEADER, rows_for(world, 6))
    imp = run_import(user, P, path)
    assert imp.status == Status.READY, imp.errors[:3]
    kept = services.plans_cache_path(imp)
    assert kept.exists()
    records = kept.read_bytes()
    results = []
    for replay in (True, False):
        with transaction.atomic(), monkeypatch.context() as patch:
            if replay:
                kept.write_bytes(records)
                _no_second_plan(patch)
            else:
                kept.unlink(missing_ok=True)
            if change:
                change(world)
            assert services.queue_commit(imp)
            done = services.run_commit(imp.pk)
            results.append(
                (
                    done.status,
                    done.failure,
                    done.errors,
                    (done.created, done.updated, done.unchanged),
                    _state(done) if done.status == Status.DONE else None,
                )
            )
            transaction.set_rollback(True)
        imp.refresh_from_db()
        assert imp.status == Status.READY
    assert results[0] == results[1]
    if change in (None, _twin, _edited):
        assert results[0][0] == Status.DONE
    else:
        assert results[0][0] == Status.FAILED, change
    assert not Person.objects.filter(full_name__startswith="Hà Thị").exists()
