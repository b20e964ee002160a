"""The member import's shortcuts give what the plain paths give: the field checks'
quick path (``people.services._quick_check``) the messages of ``full_clean``, and
the commit's COPYs sent from a thread of their own (``services.CopyPipe``,
PostgreSQL) the same rows, or the same failure, as COPYs run in turn."""

import copy
import datetime
import sys

import pytest
from django.db import connection, transaction

from uutu.imports import services
from uutu.imports.models import Kind, Status
from uutu.people import services as people_services
from uutu.people.models import Membership, Person

from .files import xlsx
from .test_bulk_import import HEADER, rows_for

BIRTH = datetime.date(1990, 5, 17)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"cccd": "001190002222", "phone": "0912345678"},
        {"phone": "+84912345678", "residence": "Xóm 1", "occupation": "Làm ruộng"},
        {"full_name": "Hà " + "Thị " * 40 + "Dài"},  # over 150 letters
        {"full_name": ""},
        {"full_name": "Hoa"},
        {"cccd": "00119000222a"},
        {"cccd": "0011900022223"},
        {"cccd": "001190002222\n"},
        {"cccd": "٠٠١١٩٠٠٠٢٢٢٢"},  # other digits: \d accepts them, validate_cccd too
        {"cccd": "002190002222"},  # a man's code
        {"phone": "12345"},
        {"phone": "0912 345 678"},
        {"phone": "0" * 16},
        {"phone": 912345678},  # not text: the field's own path
        {"birth_date": datetime.datetime(1990, 5, 17, 8, 0)},
        {"birth_date": "1990-05-17"},
        {"birth_date": None},
        {"joined_hoi_on": datetime.date(1980, 1, 1)},
        {"exemplar_citation": "x" * 301, "is_exemplar": True},
    ],
)
def test_quick_field_checks_give_the_messages_of_full_clean(world, values):
    fields = {"full_name": "Nguyễn Thị Hoa", "birth_date": BIRTH, **values}
    person = people_services.new_person(world.branch_a1, **fields)
    quick, plain = copy.copy(person), copy.copy(person)
    assert people_services.field_errors(quick, {}) == people_services.field_errors(plain)
    assert quick.__dict__.keys() == plain.__dict__.keys()
    for key in quick.__dict__:
        if key != "_state":
            assert quick.__dict__[key] == plain.__dict__[key], key


def test_the_quick_checks_cover_the_fields_whose_values_differ_row_by_row():
    plan = {name: quick for _f, _a, name, _b, _e, quick in people_services._clean_plan(Person)}
    for name in ("full_name", "cccd", "phone", "birth_date", "residence", "occupation"):
        assert plan[name] is not None, name
    for name in ("ethnicity", "religion", "education", "working_away"):
        assert plan[name] is None, name  # choices and yes/no: the cache serves them
    check = plan["cccd"]
    assert check("001190002222") and not check("00119000222a") and not check("")
    assert not check(None) and not check(1190002222)


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY pipe is PostgreSQL's"
)


def _commit(world, tmp_path, run_import):
    user = world.users["commune_a"]
    imp = run_import(user, Kind.PEOPLE, xlsx(tmp_path / "a.xlsx", HEADER, rows_for(world, 30)[4:]))
    assert imp.status == Status.READY, imp.errors[:3]
    assert services.plans_cache_path(imp).exists()
    assert services.queue_commit(imp)
    return services.run_commit(imp.pk)


@postgres_only
def test_the_replayed_commit_sends_its_copies_from_the_pipe(
    world, tmp_path, run_import, monkeypatch
):
    sent = []
    add = services.CopyPipe.add
    monkeypatch.setattr(
        services.CopyPipe, "add", lambda self, job: sent.append(job) or add(self, job)
    )
    imp = _commit(world, tmp_path, run_import)
    assert imp.status == Status.DONE and imp.created == 30, imp.failure
    assert len(sent) == 4  # members, memberships, party status, audit rows
    assert Membership.objects.filter(person__full_name__startswith="Hà Thị").count() == 30


@postgres_only
@pytest.mark.parametrize("pipe", [True, False])
def test_a_copy_that_fails_fails_the_commit_and_writes_nothing(
    world, tmp_path, run_import, monkeypatch, pipe
):
    data = services.RowWriter._copy_data

    def broken(self, rows, ids):
        out = data(self, rows, ids)
        return out.replace(b"\t", b"\t\t", 1) if self.model is Membership else out

    monkeypatch.setattr(services.RowWriter, "_copy_data", broken)
    if not pipe:
        monkeypatch.setattr(services.CopyPipe, "open", classmethod(lambda cls, model: None))
    imp = _commit(world, tmp_path, run_import)
    assert imp.status == Status.FAILED
    assert imp.failure.startswith("Lỗi khi nhập (BadCopyFileFormat). Không có dòng nào được nhập")
    assert not Person.objects.filter(full_name__startswith="Hà Thị").exists()
    assert not Membership.objects.filter(person__full_name__startswith="Hà Thị").exists()


@postgres_only
@pytest.mark.django_db(transaction=True)  # the commit's own COMMIT, for the pipe-less case
@pytest.mark.parametrize("pipe", [True, False])
def test_a_foreign_key_broken_in_a_copy_fails_the_commit_and_writes_nothing(
    world, tmp_path, run_import, monkeypatch, pipe
):
    """With the pipe the foreign keys are checked as each COPY ends
    (``CopyPipe.check_now``), without it at COMMIT: either way the import fails and
    nothing is written."""
    data = services.RowWriter._copy_data

    def orphan(self, rows, ids):
        if self.model is Membership:  # the first membership names a member who is not there
            rows = [[10**12, *rows[0][1:]], *rows[1:]]
        return data(self, rows, ids)

    monkeypatch.setattr(services.RowWriter, "_copy_data", orphan)
    if not pipe:
        monkeypatch.setattr(services.CopyPipe, "open", classmethod(lambda cls, model: None))
    imp = _commit(world, tmp_path, run_import)
    assert imp.status == Status.FAILED
    # with the pipe the COPY's own error, without it COMMIT's
    error = "ForeignKeyViolation" if pipe else "IntegrityError"
    assert imp.failure.startswith(f"Lỗi khi nhập ({error}). Không có dòng nào được nhập")
    assert not Person.objects.filter(full_name__startswith="Hà Thị").exists()
    assert not Membership.objects.filter(person__full_name__startswith="Hà Thị").exists()


@postgres_only
def test_the_commit_defers_the_foreign_keys_again(world, tmp_path, run_import):
    """The commit runs in the test's transaction (a savepoint of it): once it is done,
    a foreign key is checked at COMMIT again, as declared."""
    imp = _commit(world, tmp_path, run_import)
    assert imp.status == Status.DONE, imp.failure
    with transaction.atomic():
        # accepted for now (an immediate check would raise here), then rolled back
        Membership.objects.create(person_id=10**12, branch=world.branch_a1, start=BIRTH)
        transaction.set_rollback(True)


@postgres_only
def test_the_pipe_hands_the_gil_over_sooner_while_it_is_open(world, tmp_path, run_import):
    before = sys.getswitchinterval()
    seen = []
    send = services.CopyPipe.send

    def spy(self):
        seen.append(sys.getswitchinterval())
        return send(self)

    services.CopyPipe.send = spy
    try:
        imp = _commit(world, tmp_path, run_import)
    finally:
        services.CopyPipe.send = send
    assert imp.status == Status.DONE, imp.failure
    assert seen and set(seen) == {min(before, services.CopyPipe.SWITCH_INTERVAL)}
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize(
    ("sizes", "pieces"),
    [
        ([], []),
        ([5], [3, 2]),
        ([3], [3]),
        ([4, 4], [3, 1, 1, 3]),
        ([10], [3, 4, 3]),
        ([10, 10], [3, 7, 7, 3]),
        ([10, 10, 10], [3, 7, 10, 7, 3]),
        ([10, 2], [3, 7, 2]),
        ([2, 2], [2, 2]),
    ],
)
def test_paced_chunks_are_the_same_rows_in_order(sizes, pieces):
    chunks, n = [], 0
    for size in sizes:
        chunks.append(list(range(n, n + size)))
        n += size
    out = list(services._paced(iter(chunks), 3))
    assert [len(c) for c in out] == pieces
    assert [r for c in out for r in c] == list(range(n))


@pytest.mark.parametrize("pipe", [True, False])
def test_a_commit_in_small_paced_chunks_writes_every_row(
    world, tmp_path, run_import, monkeypatch, pipe
):
    monkeypatch.setattr(services, "CHUNK_ROWS", 7)
    monkeypatch.setattr(services, "PACE_ROWS", 2)
    if not pipe:
        monkeypatch.setattr(services.CopyPipe, "open", classmethod(lambda cls, model: None))
    imp = _commit(world, tmp_path, run_import)
    assert imp.status == Status.DONE and imp.created == 30, imp.failure
    people = Person.objects.filter(full_name__startswith="Hà Thị")
    assert people.count() == 30
    assert Membership.objects.filter(person__in=people).count() == 30
