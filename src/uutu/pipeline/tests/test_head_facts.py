"""The branch-head rows (BranchHeadFact, uutu.pipeline.counters): after position
changes, party status changes (including leaving and readmission), admission, exit,
archiving, moves and merges they equal a recount (``verify_heads()`` finds nothing),
and the branch-head figures read from them equal the figures counted from the
positions, party periods and events (``branch_head_figures_raw``)."""

import datetime
import random

import pytest
from django.core.management import CommandError, call_command

from uutu.orgs import services as org_services
from uutu.people import services as people_services
from uutu.people.models import Party, Position, PositionKind
from uutu.pipeline import counters
from uutu.pipeline import figures as F
from uutu.pipeline import services as S
from uutu.pipeline.models import BranchHeadFact, Status, Step
from uutu.pipeline.tests.test_counters import assert_exact, assert_heads_exact
from uutu.pipeline.tests.test_services import ago, member, walk
from uutu.targets.models import Period

HEAD = PositionKind.BRANCH_HEAD


def _units(w):
    return [w.hoi_root, w.province, w.commune_a, w.commune_b, w.branch_a1, w.branch_a2]


def check(w, monkeypatch, units=None):
    assert counters.verify_heads() == []
    today = ago(0)
    periods = [Period.year(today.year - 1), Period.year(today.year), Period.half(today.year)]
    for unit in units or _units(w):
        unit.refresh_from_db()
        for period in periods:
            assert_heads_exact(unit, period, monkeypatch)


def _head(w, name, branch, start, **fields):
    person = member(w, name, datetime.date(1985, 3, 4), branch, **fields)
    people_services.start_position(person, kind=HEAD, unit=branch, start=start, actor=None)
    return person


def test_world_head_has_a_row(world, monkeypatch):
    fact = BranchHeadFact.objects.get(position=world.position_a1)
    assert fact.unit_id == world.branch_a1.pk and fact.path == world.branch_a1.path
    check(world, monkeypatch)


def test_positions_started_and_ended(world, monkeypatch):
    w = world
    people_services.end_position(w.position_a1, end=ago(100), actor=None)
    head = _head(w, "Lò Thị Mới", w.branch_a1, ago(99))
    fact = BranchHeadFact.objects.get(person=head)
    assert (fact.start, fact.end) == (ago(99), None)
    assert BranchHeadFact.objects.get(position=w.position_a1).end == ago(100)
    # a deputy is not a branch head: no row
    people_services.start_position(
        w.person_a2, kind=PositionKind.BRANCH_DEPUTY, unit=w.branch_a2, start=ago(50), actor=None
    )
    assert not BranchHeadFact.objects.filter(person=w.person_a2).exists()
    total = F.branch_head_figures(w.hoi_root, ago(0))["total"]
    assert total["branch_heads"] == 1
    check(w, monkeypatch)


def test_party_status_changes_leaving_and_readmission(world, monkeypatch):
    w = world
    head = _head(w, "Nông Thị Đảng", w.branch_a2, datetime.date(2015, 1, 1))
    steps = [
        (Party.PROBATIONARY, datetime.date(2016, 5, 1)),
        (Party.OFFICIAL, datetime.date(2017, 5, 1)),
        (Party.LEFT, datetime.date(2019, 1, 1)),
        (Party.PROBATIONARY, datetime.date(2022, 6, 1)),
        (Party.OFFICIAL, datetime.date(2023, 6, 1)),
    ]
    for status, on in steps:
        people_services.set_party_status(head, status=status, on=on, actor=None)
        head.refresh_from_db()
        check(w, monkeypatch, [w.hoi_root, w.commune_a, w.branch_a2])
    fact = BranchHeadFact.objects.get(person=head)
    # probationary then official merge into one spell; two spells in all
    spell = (datetime.date(2016, 5, 1), datetime.date(2019, 1, 1))
    assert (fact.party1_start, fact.party1_end) == spell
    assert (fact.party2_start, fact.party2_end) == (datetime.date(2022, 6, 1), None)
    assert not fact.more_party
    assert F.branch_head_figures(w.branch_a2, datetime.date(2018, 1, 1))["total"] == {
        "branch_heads": 1,
        "branch_heads_party": 1,
        "branch_heads_nonparty": 0,
        "branch_heads_nonparty_cultivated": 0,
    }
    assert (
        F.branch_head_figures(w.branch_a2, datetime.date(2020, 1, 1))["total"]["branch_heads_party"]
        == 0
    )
    # a third spell: the figures read her periods for that row
    people_services.set_party_status(head, status=Party.LEFT, on=ago(300), actor=None)
    head.refresh_from_db()
    people_services.set_party_status(head, status=Party.PROBATIONARY, on=ago(20), actor=None)
    assert BranchHeadFact.objects.get(person=head).more_party
    check(w, monkeypatch)
    on_day = F.branch_head_figures(w.branch_a2, ago(0), since=ago(100))["total"]
    assert on_day["branch_heads_party"] == 1 and on_day["branch_heads_nonparty"] == 1


def test_cultivation_admission_and_exit(world, monkeypatch):
    w = world
    head = _head(w, "Hà Thị Nguồn", w.branch_a2, ago(700))
    case = walk(w, head, Step.CULTIVATION, on=ago(200), anonymous=True)
    assert BranchHeadFact.objects.get(person=head).cultivated_on == ago(200)
    check(w, monkeypatch)
    year = Period.year(ago(0).year)
    total = F.branch_head_figures(w.hoi_root, year.end, since=year.start)["total"]
    assert total["branch_heads_nonparty_cultivated"] >= 1
    S.exit_case(case, status=Status.WITHDRAWN, reason="Chuyển công tác", on=ago(1), actor=None)
    check(w, monkeypatch)
    # admitted through the pipeline: the decision sets her party status
    other = _head(w, "Vi Thị Kết Nạp", w.branch_b1, ago(900))
    walk(w, other, Step.OFFICIAL, on=ago(1), anonymous=True)
    fact = BranchHeadFact.objects.get(person=other)
    assert fact.party1_start is not None and fact.party1_end is None
    check(w, monkeypatch)


def test_archiving_ends_her_positions(world, monkeypatch):
    w = world
    people_services.archive_person(w.person_a1, reason="Chuyển đi nơi khác", actor=None)
    assert BranchHeadFact.objects.get(position=w.position_a1).end == ago(0)
    check(w, monkeypatch)


def test_moves_and_merges_follow_the_tree(world, monkeypatch):
    w = world
    _head(w, "Lý Thị Hai", w.branch_a2, ago(400))
    _head(w, "Đinh Thị Ba", w.branch_b1, ago(400))
    org_services.move_unit(w.branch_a2, new_parent=w.commune_b, on=ago(0))
    w.branch_a2.refresh_from_db()
    assert set(BranchHeadFact.objects.filter(unit=w.branch_a2).values_list("path", flat=True)) == {
        w.branch_a2.path
    }
    check(w, monkeypatch)
    merged = org_services.merge_units(
        [w.commune_a, w.commune_b], on=ago(0), name="Hội LHPN Xã Hợp Nhất", code="99009"
    )
    check(w, monkeypatch, [w.hoi_root, w.province, merged, w.branch_a1, w.branch_a2])
    assert F.branch_head_figures(merged, ago(0))["total"]["branch_heads"] == 3


def test_a_random_mix_matches_the_definition(world, monkeypatch):
    rng = random.Random(61122)
    w = world
    heads = []
    for i in range(8):
        branch = org_services.create_unit(
            parent=rng.choice([w.commune_a, w.commune_b]),
            level=w.levels["hoi_branch"],
            name=f"Chi hội {i}",
            code=f"R{i}",
        )
        person = member(w, f"Chi hội trưởng {i}", datetime.date(1975 + i, 1 + i, 2), branch)
        start = ago(rng.randint(30, 900))
        people_services.start_position(person, kind=HEAD, unit=branch, start=start, actor=None)
        heads.append(person)
    for person in heads:
        person.refresh_from_db()
        roll = rng.random()
        if roll < 0.3:
            on = ago(rng.randint(200, 800))
            people_services.set_party_status(person, status=Party.PROBATIONARY, on=on, actor=None)
            if rng.random() < 0.5:
                person.refresh_from_db()
                people_services.set_party_status(
                    person, status=Party.OFFICIAL, on=on + datetime.timedelta(days=365), actor=None
                )
        elif roll < 0.7:
            walk(
                w,
                person,
                rng.choice([Step.CULTIVATION, Step.INTRODUCED]),
                on=ago(rng.randint(1, 400)),
                anonymous=True,
            )
    for position in rng.sample(list(Position.objects.filter(kind=HEAD)), 3):
        if position.end is None:
            people_services.end_position(position, end=ago(rng.randint(0, 25)), actor=None)
    assert_exact(w, monkeypatch)
    org_services.move_unit(w.branch_a2, new_parent=w.commune_b, on=ago(0))
    merged = org_services.merge_units(
        [w.commune_a, w.commune_b], on=ago(0), name="Xã Mới", code="M1"
    )
    assert_exact(w, monkeypatch, units=[w.hoi_root, w.province, merged])
    # rebuilding gives the same rows as keeping them up to date
    kept = sorted(BranchHeadFact.objects.values_list(*counters.HEAD_FIELDS))
    counters.rebuild_heads()
    assert sorted(BranchHeadFact.objects.values_list(*counters.HEAD_FIELDS)) == kept


def test_verify_reports_head_differences_and_fix_repairs(world, capsys):
    call_command("verify")
    assert "0 khác biệt" in capsys.readouterr().out
    BranchHeadFact.objects.filter(position=world.position_a1).update(cultivated_on=ago(3))
    differences = counters.verify_heads()
    assert [(d.position_id, d.stored[-1], d.recounted[-1]) for d in differences] == [
        (world.position_a1.pk, ago(3), None)
    ]
    with pytest.raises(CommandError, match="1 khác biệt"):
        call_command("verify", "--fix")
    out = capsys.readouterr().out
    assert f"chức vụ #{world.position_a1.pk}" in out
    assert counters.verify_heads() == []


def test_branch_head_figures_are_one_query(world, django_assert_num_queries):
    year = Period.year(ago(0).year)
    scope = F.scope_as_of(world.hoi_root, year.end)

    def figures():
        return F.branch_head_figures(
            world.hoi_root, year.end, since=year.start, by_child=True, scope=scope
        )

    with django_assert_num_queries(2):  # the rows' token, the grouped rows
        first = figures()
    with django_assert_num_queries(1):  # the token only: the figures come from the cache
        assert figures() == first


def test_cached_head_figures_follow_every_change(world, monkeypatch):
    """A head change gives the rows a new token, so the cached figures are never
    read again; a change that touches no head keeps the token."""
    year = Period.year(ago(0).year)
    w = world
    before = F.branch_head_figures(w.hoi_root, year.end, since=year.start, by_child=True)
    plain = member(w, "Lò Thị Thường", datetime.date(1990, 5, 6), w.branch_a2)
    token = counters.figures_token(w.branch_a2)
    counters.heads_changed([plain.pk])  # not a head: nothing to rewrite
    assert counters.figures_token(w.branch_a2) == token
    new_head = _head(w, "Lò Thị Mới", w.branch_a2, ago(30))
    assert counters.figures_token(w.branch_a2) != token
    after = F.branch_head_figures(w.hoi_root, year.end, since=year.start, by_child=True)
    assert after["total"]["branch_heads"] == before["total"]["branch_heads"] + 1
    assert after == F.branch_head_figures_raw(w.hoi_root, year.end, since=year.start, by_child=True)
    assert new_head is not None
