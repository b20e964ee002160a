"""The figures' counters (uutu.pipeline.counters): after every kind of event and
every reorganisation they equal a recount from the events (``verify()`` finds no
difference), and the figures read from them equal the figures counted from the
events the old way (subtree scan)."""

import datetime
import random

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse

from uutu.orgs import services as org_services
from uutu.orgs.models import OrgEvent, Unit
from uutu.people import services as people_services
from uutu.pipeline import counters
from uutu.pipeline import figures as F
from uutu.pipeline import services as S
from uutu.pipeline.models import CaseEvent, FigureCount, Organisation, Status, Step
from uutu.pipeline.tests.test_services import DAY, ago, member, take_class, walk
from uutu.reports import views_dashboard
from uutu.targets import progress
from uutu.targets.models import ManualFigure, Period, Quota

STEPS = list(Step)


def _reorganised_after(on) -> bool:
    return OrgEvent.objects.filter(date__gt=on).exists()


def _explicit_scope(unit, on):
    """The scope of ``unit`` on ``on`` given as ids, which forces the
    event-scanning path: after a reorganisation dated after ``on``, the tree of
    that day rebuilt from the unit versions (the definition); otherwise the current
    tree."""
    if _reorganised_after(on):
        return F.rebuilt_scope(unit, on)
    rows = Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path")
    child_of = {}
    for pk, path in rows:
        segment = path[len(unit.path) :].split(".", 1)[0]
        if segment:
            child_of[pk] = int(segment)
    return F.Scope(unit, on, {pk for pk, _ in rows}, child_of)


COMMUNES = progress._communes


def _communes_by_loading(scope, by_child):
    """The communes counted the old way: on the tree rebuilt as of the day when it
    was reorganised since; otherwise every active commune under the unit loaded,
    its child read from its path."""
    if _reorganised_after(scope.on):
        return COMMUNES(scope, by_child)
    total, children = 0, {}
    rows = Unit.objects.filter(
        path__startswith=scope.unit.path, is_active=True, level__code__in=progress.COMMUNE_LEVELS
    ).values_list("pk", "path")
    for pk, path in rows:
        total += 1
        child = scope.child(pk, path) if by_child else None
        if child is not None:
            children[child] = children.get(child, 0) + 1
    return {"total": total, "children": children}


def _raw(monkeypatch, call, *args, **kwargs):
    """``call`` with the counters, the SQL child grouping and the figures' cache
    switched off."""
    with monkeypatch.context() as m:
        m.setattr(counters, "cached", lambda kind, units, parts, compute, **kw: compute())
        m.setattr(F, "scope_as_of", _explicit_scope)
        m.setattr(progress, "_communes", _communes_by_loading)
        m.setattr(counters, "month_span", lambda start, end: None)
        return call(*args, **kwargs)


def _periods():
    today = datetime.date.today()
    return [Period.year(today.year - 1), Period.year(today.year), Period.half(today.year)]


def assert_exact(world, monkeypatch, *, units=None):
    """No difference between the counters and a recount, and every screen's
    figures the same from the counters as from the events."""
    assert counters.verify() == []
    assert counters.verify_heads() == []
    hoi = units or [
        world.hoi_root,
        world.province,
        world.commune_a,
        world.commune_b,
        world.branch_a1,
    ]
    party = [world.dang_root, world.party_province, world.party_a, world.party_b]
    for period in _periods():
        for unit in hoi:
            unit.refresh_from_db()
            fast = progress.figures(unit, period, by_child=True)
            raw = _raw(monkeypatch, progress.figures, unit, period, by_child=True)
            assert fast == raw, (unit.name, period.name)
            chart = views_dashboard.monthly_chart(unit, period)
            assert chart == _raw(monkeypatch, views_dashboard.monthly_chart, unit, period)
            assert_heads_exact(unit, period, monkeypatch)
            assert_dashboard_exact(unit, period, monkeypatch)
        for unit in party:
            unit.refresh_from_db()
            args = (unit, period.start, period.end)
            assert F.cell_figures(*args) == _raw(monkeypatch, F.cell_figures, *args)
            for figure in ("admitted", "introduced"):
                for need in (0, 1, 2):
                    assert F.cells_meeting(*args, figure, need) == _raw(
                        monkeypatch, F.cells_meeting, *args, figure, need
                    )
            chart = views_dashboard.monthly_chart(unit, period)
            assert chart == _raw(monkeypatch, views_dashboard.monthly_chart, unit, period)
            assert_dashboard_exact(unit, period, monkeypatch)


def assert_dashboard_exact(unit, period, monkeypatch) -> None:
    """The dashboard's figures as the page gets them (from the cache when an
    earlier call kept them, which every change must make stale) equal the same
    figures counted from the events with no cache."""
    shown = views_dashboard.unit_context(unit, period)
    assert shown == _raw(monkeypatch, views_dashboard._unit_context, unit, period), unit.name


def assert_heads_exact(unit, period, monkeypatch) -> None:
    """The branch-head figures read from the branch-head rows equal the figures
    counted from the positions, party periods and events (the definition), on the
    current tree and on the tree given as ids, for the period and for single days."""
    days = [(period.start, period.end), (period.end, period.end), (period.start, period.start)]
    for since, on in days:
        for by_child in (False, True):
            kwargs = {"since": since, "by_child": by_child}
            fast = F.branch_head_figures(unit, on, **kwargs)
            assert fast == F.branch_head_figures_raw(unit, on, **kwargs), (unit.name, since, on)
            scope = _explicit_scope(unit, on)
            assert F.branch_head_figures(unit, on, scope=scope, **kwargs) == fast


def _root_total(step, head=None):
    rows = FigureCount.objects.filter(unit__parent__isnull=True, unit__tree="hoi", step=step)
    if head is not None:
        rows = rows.filter(head=head)
    return rows.aggregate(n=Sum("n"))["n"] or 0


@pytest.fixture(autouse=True)
def _warm_cache(world, monkeypatch):
    """Every test starts with every unit's figures in the cache: a change that does
    not replace its province's token then shows as a stale figure in assert_exact."""
    assert_exact(world, monkeypatch)


# --- every kind of event ------------------------------------------------------------


@pytest.mark.parametrize("until", [Step.INTRODUCED, Step.DOSSIER, Step.DECISION, Step.OFFICIAL])
def test_every_step_is_counted_where_it_happened(world, monkeypatch, until):
    case = walk(world, world.person_a2, until, anonymous=True)
    recorded = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STEP).count()
    assert recorded == STEPS.index(until) + 1
    # Every step once for the chi hội, the commune, the province and the root.
    for unit in (world.branch_a2, world.commune_a, world.province, world.hoi_root):
        assert FigureCount.objects.filter(unit=unit).aggregate(n=Sum("n"))["n"] == recorded
    assert not FigureCount.objects.filter(unit=world.commune_b).exists()
    # The party side: the introduction (and decision) under the cell and above.
    cell = FigureCount.objects.filter(unit=world.cell_a1)
    expected = {Step.INTRODUCED} | (
        {Step.DECISION} if until in (Step.DECISION, Step.OFFICIAL) else set()
    )
    assert set(cell.values_list("step", flat=True)) == expected
    assert_exact(world, monkeypatch)


def test_branch_head_introduction_counts_as_head(world, monkeypatch):
    walk(world, world.person_a1, Step.INTRODUCED, on=ago(10), anonymous=True)
    assert _root_total(Step.INTRODUCED, head=True) == 1
    assert _root_total(Step.INTRODUCED, head=False) == 0
    year = Period.year(ago(10).year)
    values = progress.figures(world.province, year)["total"]
    assert values["introduced_branch_heads"] == 1 and values["introduced_others"] == 0
    assert_exact(world, monkeypatch)


def test_external_candidate_counts_on_the_party_side_only(world, monkeypatch):
    S.open_external_case(
        cell=world.cell_a1,
        organisation=Organisation.DOAN,
        full_name="Hoàng Thị Thu",
        birth_date=datetime.date(2000, 4, 1),
        on=ago(5),
        actor=None,
    )
    rows = FigureCount.objects.filter(unit=world.cell_a1)
    assert list(rows.values_list("step", "organisation", "n")) == [
        (Step.INTRODUCED, Organisation.DOAN, 1)
    ]
    assert not FigureCount.objects.filter(unit__tree="hoi").exists()
    assert_exact(world, monkeypatch)


def test_exit_reopen_notes_and_reviews_change_no_counter(world, monkeypatch):
    case = walk(world, world.person_a2, Step.SYMPATHISER, anonymous=True)
    before = list(FigureCount.objects.order_by("pk").values_list("unit_id", "step", "n"))
    S.exit_case(case, status=Status.PAUSED, reason="Đi làm ăn xa", on=ago(0), actor=None)
    S.reopen_case(case, on=ago(0), actor=None)
    S.add_note(case, on=ago(0), text="Tiến bộ", actor=None)
    S.review_sympathisers(world.cell_a1, on=ago(0), actor=None)
    after = list(FigureCount.objects.order_by("pk").values_list("unit_id", "step", "n"))
    assert after == before
    assert_exact(world, monkeypatch)


def test_a_renewed_certificate_counts_again(world, monkeypatch):
    case = walk(world, world.person_a2, Step.CLASS, on=ago(40), anonymous=True)
    take_class(world, case, ago(3), certificate_no="GCN-2")
    assert CaseEvent.objects.filter(case=case, step=Step.CLASS).count() == 2
    assert _root_total(Step.CLASS) == 2
    assert_exact(world, monkeypatch)


def test_member_moved_after_the_event_keeps_the_event_where_it_happened(world, monkeypatch):
    walk(world, world.person_a2, Step.INTRODUCED, on=ago(20), anonymous=True)
    people_services.move_person(world.person_a2, to_branch=world.branch_b1, on=ago(0), actor=None)
    assert FigureCount.objects.filter(unit=world.commune_b).count() == 0
    assert_exact(world, monkeypatch)


def test_moving_a_case_to_another_cell_moves_its_party_counts(world, monkeypatch):
    case = walk(world, world.person_a2, Step.DECISION, anonymous=True)
    other = org_services.create_unit(
        parent=world.party_b, level=world.levels["dang_cell"], name="Chi bộ Mới", code="CB-X"
    )
    old = case.party_unit_id
    case.party_unit = other
    case.save(update_fields=["party_unit"])
    counters.case_party_unit_changed(case, old)
    assert FigureCount.objects.filter(unit=world.cell_a1).aggregate(n=Sum("n"))["n"] == 0
    assert FigureCount.objects.filter(unit=other).aggregate(n=Sum("n"))["n"] == 2
    assert_exact(world, monkeypatch)


def test_removing_events_takes_them_out(world, monkeypatch):
    case = walk(world, world.person_a2, Step.CULTIVATION, anonymous=True)
    event = case.events.get(step=Step.CULTIVATION)
    counters.count_events([event], sign=-1)
    CaseEvent.objects.filter(pk=event.pk).delete()
    assert _root_total(Step.CULTIVATION) == 0
    assert_exact(world, monkeypatch)


def test_quotas_manual_figures_and_names_reach_the_cached_figures(world, monkeypatch):
    """The cache was warmed before each change (``_warm_cache``); every change
    below must show at once on the dashboard's figures."""
    w = world
    period = Period.year(ago(0).year)
    quota = Quota.objects.create(unit=w.commune_a, period=period, indicator="admitted", value=2)
    Quota.objects.create(unit=w.party_a, period=period, indicator="new_members_per_cell", value=1)
    assert_exact(w, monkeypatch)
    quota.value = 1
    quota.save()
    figure = ManualFigure.objects.create(
        unit=w.commune_b, period=period, indicator="propaganda_sessions", value=3
    )
    assert_exact(w, monkeypatch)
    figure.value = 7
    figure.save()
    quota.delete()
    org_services.rename_unit(w.commune_b, new_name="Hội LHPN Xã Mới Tên", on=ago(0))
    assert_exact(w, monkeypatch)
    shown = views_dashboard.unit_context(w.province, period)
    assert [row.unit.name for row in shown["ranked"]].count("Hội LHPN Xã Mới Tên") == 1


def test_a_change_in_one_province_keeps_the_others_cached(world):
    """Tokens are per province: a step recorded in one province leaves the other
    province's token (and cached figures) as they were; the root sees both."""
    w = world
    other = org_services.create_unit(
        parent=w.hoi_root, level=w.levels["hoi_province"], name="Hội LHPN Tỉnh Khác", code="97"
    )
    tokens = (counters.figures_token(w.province), counters.figures_token(other))
    root = counters.figures_token(w.hoi_root)
    walk(w, w.person_a2, Step.CULTIVATION, anonymous=True)
    assert counters.figures_token(w.province) != tokens[0]
    assert counters.figures_token(other) == tokens[1]
    assert counters.figures_token(w.hoi_root) != root


# --- every reorganisation -----------------------------------------------------------


@pytest.fixture
def busy(world, monkeypatch):
    """Events in every branch of both communes, this year and last year."""
    walk(world, world.person_a1, Step.DECISION, anonymous=True)
    walk(world, world.person_a2, Step.INTRODUCED, on=ago(30), anonymous=True)
    walk(world, world.person_b1, Step.SYMPATHISER, on=ago(60), anonymous=True)
    ManualFigure.objects.create(
        unit=world.commune_a, period=Period.year(ago(0).year), indicator="model_1plus1_pct", value=1
    )
    assert_exact(world, monkeypatch)  # checks the changes above, then warms the cache
    return world


def test_moving_a_branch_to_another_commune(busy, monkeypatch):
    w = busy
    org_services.move_unit(w.branch_a2, new_parent=w.commune_b, on=ago(0))
    assert counters.verify() == []
    b = FigureCount.objects.filter(unit=w.commune_b, step=Step.INTRODUCED)
    assert b.aggregate(n=Sum("n"))["n"] == 2  # her own introduction and B1's
    assert_exact(w, monkeypatch)


def test_moving_a_commune_to_another_province(busy, monkeypatch):
    w = busy
    other = org_services.create_unit(
        parent=w.hoi_root, level=w.levels["hoi_province"], name="Hội LHPN Tỉnh Khác", code="98"
    )
    org_services.move_unit(w.commune_a, new_parent=other, on=ago(0))
    assert counters.verify() == []
    assert_exact(w, monkeypatch, units=[w.hoi_root, w.province, other, w.commune_a, w.commune_b])


def test_merging_communes(busy, monkeypatch):
    w = busy
    merged = org_services.merge_units(
        [w.commune_a, w.commune_b], on=ago(0), name="Hội LHPN Xã Hợp Nhất", code="99009"
    )
    org_services.merge_units(
        [w.party_a, w.party_b], on=ago(0), name="Đảng bộ Xã Hợp Nhất", code="99009"
    )
    rows = FigureCount.objects.filter(unit=merged, step=Step.SOURCE)
    assert rows.aggregate(n=Sum("n"))["n"] == 3
    assert_exact(w, monkeypatch, units=[w.hoi_root, w.province, merged, w.commune_a])


def test_merging_branches_into_one(busy, monkeypatch):
    w = busy
    org_services.merge_units([w.branch_a2], into=w.branch_a1, on=ago(0))
    assert_exact(w, monkeypatch)


def test_splitting_a_commune(busy, monkeypatch):
    w = busy
    parts = org_services.split_unit(
        w.commune_a,
        parts=[
            {"name": "Hội LHPN Xã Đông", "code": "99011", "children": [w.branch_a1]},
            {"name": "Hội LHPN Xã Tây", "code": "99012", "children": [w.branch_a2]},
        ],
        on=ago(0),
    )
    east = FigureCount.objects.filter(unit=parts[0]).aggregate(n=Sum("n"))["n"]
    branch = FigureCount.objects.filter(unit=w.branch_a1).aggregate(n=Sum("n"))["n"]
    assert east == branch > 0
    assert FigureCount.objects.filter(unit=w.commune_a).aggregate(n=Sum("n"))["n"] == 0
    assert_exact(w, monkeypatch, units=[w.hoi_root, w.province, *parts, w.commune_a])


def test_dissolving_and_creating_units(busy, monkeypatch):
    w = busy
    new = org_services.create_unit(
        parent=w.commune_b, level=w.levels["hoi_branch"], name="Chi hội Mới", code="B-NEW"
    )
    org_services.dissolve_unit(new, on=ago(0))
    assert not FigureCount.objects.filter(unit=new).exists()
    assert_exact(w, monkeypatch)


def test_units_created_after_a_period_leave_its_figures_on_the_counters(busy, monkeypatch):
    """A commune and a chi hội founded, and a chi hội renamed, after last year: last
    year's tree is still the current one but for the new units, so its figures come
    from the counters (no rebuilt tree), and they equal the events counted on the
    tree of last year's end (the new commune is not one of its communes)."""
    w = busy
    last_year = Period.year(ago(0).year - 1)

    def found(parent, level, name, code):
        return org_services.create_unit(
            parent=parent, level=w.levels[level], name=name, code=code, on=ago(0)
        )

    commune = found(w.province, "hoi_commune", "Hội LHPN Xã Mới", "99031")
    branch = found(commune, "hoi_branch", "Chi hội Mới", "99031-1")
    committee = found(w.party_province, "dang_commune", "Đảng bộ Xã Mới", "99031")
    cell = found(committee, "dang_cell", "Chi bộ Mới", "99031-1")
    org_services.link_counterpart(commune, committee)
    org_services.link_counterpart(branch, cell)
    org_services.rename_unit(w.branch_b1, new_name="Chi hội Bình Minh 1", on=ago(0))
    ManualFigure.objects.create(
        unit=commune, period=last_year, indicator="model_1plus1_pct", value=1
    )
    walk(
        w,
        member(w, "Lò Thị Mới", datetime.date(1995, 5, 5), branch=branch),
        Step.INTRODUCED,
        anonymous=True,
    )
    scope = F.scope_as_of(w.province, last_year.end)
    assert scope.current and scope.later == {commune.pk, branch.pk, committee.pk, cell.pk}
    assert F.scope_as_of(w.province, ago(0)).later == frozenset()
    before = progress.figures(w.province, last_year)["total"]
    assert before["communes"] == 2 and "model_1plus1_pct__yes" not in before
    assert_exact(w, monkeypatch, units=[w.hoi_root, w.province, commune, branch, w.commune_b])


def test_a_move_after_a_period_rebuilds_its_tree_only_where_it_crossed_a_boundary(
    busy, monkeypatch
):
    """Chi hội A2 moves from commune A to commune B today. On last year's end the
    country and the province held both communes, as they do now: their totals stay
    on the counters. Communes A and B, and the province's rows per commune, need last
    year's tree, when A2 was A's: rebuilt from the versions."""
    w = busy
    last_year = Period.year(ago(0).year - 1)
    person = member(w, "Đinh Thị Năm Ngoái", datetime.date(1992, 2, 2), branch=w.branch_a2)
    walk(w, person, Step.INTRODUCED, on=last_year.end - 60 * DAY, anonymous=True)
    org_services.move_unit(w.branch_a2, new_parent=w.commune_b, on=ago(0))
    end = last_year.end
    assert F.scope_as_of(w.hoi_root, end).current
    assert F.scope_as_of(w.branch_a1, end).current
    for unit in (w.province, w.commune_a, w.commune_b):
        assert not F.scope_as_of(unit, end).current, unit.name
    assert F.scope_as_of(w.province, ago(0)).current  # today's tree is the current one
    shown = progress.figures(w.province, last_year, by_child=True)
    assert shown["children"][w.commune_a.pk]["introduced"] == 1
    assert shown["children"].get(w.commune_b.pk, {}).get("introduced", 0) == 0
    assert_exact(w, monkeypatch)


def test_a_commune_dissolved_after_a_period_is_one_of_its_communes(busy, monkeypatch):
    """A commune that existed last year and is dissolved today: last year's figures
    stay on the current tree and still count it among the communes; this year's,
    whose end comes after the dissolution, do not."""
    w = busy
    last_year, this_year = Period.year(ago(0).year - 1), Period.year(ago(0).year)
    old = org_services.create_unit(
        parent=w.province, level=w.levels["hoi_commune"], name="Hội LHPN Xã Cũ", code="99041"
    )
    assert progress.figures(w.province, last_year)["total"]["communes"] == 3
    org_services.dissolve_unit(old, on=ago(0))
    assert F.scope_as_of(w.province, last_year.end).current
    assert progress.figures(w.province, last_year)["total"]["communes"] == 3
    assert progress.figures(w.province, this_year)["total"]["communes"] == 2
    assert_exact(w, monkeypatch)


def test_history_imported_into_a_new_chi_hoi_rebuilds_the_old_tree(busy, monkeypatch):
    """A chi hội founded today holding a step dated last year (a member's history
    imported with her): the counters of the units above hold that step in last
    year, but the chi hội did not exist then. Last year's figures are counted on
    the tree rebuilt as of its end, which leaves that step out."""
    w = busy
    last_year = Period.year(ago(0).year - 1)
    branch = org_services.create_unit(
        parent=w.commune_b,
        level=w.levels["hoi_branch"],
        name="Chi hội Mới",
        code="99002-9",
        on=ago(0),
    )
    before = progress.figures(w.province, last_year)["total"]["sources"]
    person = member(w, "Lò Thị Cũ", datetime.date(1990, 3, 3), branch=branch)
    walk(w, person, Step.SOURCE, on=last_year.end - datetime.timedelta(days=10), anonymous=True)
    assert FigureCount.objects.filter(unit=branch, month__lte=last_year.end).exists()
    assert not F.scope_as_of(w.province, last_year.end).current
    assert progress.figures(w.province, last_year)["total"]["sources"] == before
    assert progress.figures(w.province, Period.year(ago(0).year))["total"]["sources"] >= 1
    assert_exact(w, monkeypatch, units=[w.hoi_root, w.province, branch, w.commune_b])


def test_moving_a_cell_to_another_party_committee(busy, monkeypatch):
    w = busy
    org_services.move_unit(w.cell_a1, new_parent=w.party_b, on=ago(0))
    assert FigureCount.objects.filter(unit=w.party_a).aggregate(n=Sum("n"))["n"] == 0
    assert_exact(w, monkeypatch)


# --- a random mix -------------------------------------------------------------------


def test_a_random_mix_of_steps_exits_and_moves(world, monkeypatch):
    rng = random.Random(20261122)
    w = world
    branches = [w.branch_a1, w.branch_a2, w.branch_b1]
    people = [
        member(w, f"Hội viên {i}", datetime.date(1980 + i, 1 + i % 12, 1 + i), rng.choice(branches))
        for i in range(10)
    ]
    cases = []
    for person in people:
        until = rng.choice(STEPS[:9])
        person.refresh_from_db()
        # Communes B's cadre has no cell counterpart for branch A2: any cell of her commune.
        cases.append(
            walk(
                w,
                person,
                until,
                on=ago(rng.randint(1, 300)),
                gap=rng.randint(1, 20),
                anonymous=True,
            )
        )
    for case in rng.sample(cases, 3):
        if case.status == Status.OPEN:
            S.exit_case(case, status=Status.WITHDRAWN, reason="Chuyển đi", on=ago(0), actor=None)
    assert counters.verify() == []
    org_services.move_unit(w.branch_a2, new_parent=w.commune_b, on=ago(0))
    assert counters.verify() == []
    merged = org_services.merge_units(
        [w.commune_a, w.commune_b], on=ago(0), name="Xã Mới", code="M1"
    )
    assert_exact(w, monkeypatch, units=[w.hoi_root, w.province, merged])


# --- rebuild, verify and the command ------------------------------------------------


def test_verify_reports_and_rebuild_repairs(world, capsys):
    walk(world, world.person_a2, Step.INTRODUCED, on=ago(10), anonymous=True)
    call_command("verify")
    assert "0 khác biệt" in capsys.readouterr().out

    FigureCount.objects.filter(unit=world.commune_a, step=Step.INTRODUCED).update(n=5)
    FigureCount.objects.filter(unit=world.branch_a2, step=Step.SOURCE).delete()
    differences = counters.verify()
    assert {(d.unit_id, d.step, d.stored, d.recounted) for d in differences} == {
        (world.commune_a.pk, Step.INTRODUCED, 5, 1),
        (world.branch_a2.pk, Step.SOURCE, 0, 1),
    }
    with pytest.raises(CommandError, match="2 khác biệt"):
        call_command("verify")
    out = capsys.readouterr().out
    assert "Hội LHPN Xã An Bình" in out and "đang lưu 5, đếm lại 1" in out
    assert f"tháng {ago(10):%m/%Y}" in out and "Giới thiệu cho chi bộ" in out

    written = counters.rebuild()
    assert written == FigureCount.objects.count() > 0
    assert counters.verify() == []


# --- the dashboard does not grow with the number of units ---------------------------


def _grow(world, communes: int, branches: int) -> None:
    """More communes with branches and events, written in bulk (as the data
    generator does), then the counters rebuilt."""
    lv = world.levels
    for i in range(communes):
        commune = org_services.create_unit(
            parent=world.province, level=lv["hoi_commune"], name=f"Xã {i}", code=f"G{i}"
        )
        for j in range(branches):
            branch = org_services.create_unit(
                parent=commune, level=lv["hoi_branch"], name=f"Chi hội {i}-{j}", code=f"G{i}-{j}"
            )
            person = member(world, f"Hội viên {i}-{j}", datetime.date(1990, 1, 1), branch)
            people_services.start_position(
                person, kind="branch_head", unit=branch, start=ago(500), actor=None
            )
            walk(world, person, Step.CULTIVATION, on=ago(5 + j), anonymous=True)
        ManualFigure.objects.create(
            unit=commune, period=Period.year(ago(0).year), indicator="model_1plus1_pct", value=1
        )


def test_dashboard_queries_do_not_grow_with_units(world, login, django_assert_max_num_queries):
    client = login(world.users["admin"])
    url = reverse("reports:dashboard")
    for unit in (world.hoi_root, world.province):
        params = {"unit": unit.pk, "year": ago(0).year}
        client.get(url, params)
        cache.clear()  # both measures read the branch-head rows (no cached figures)
        with django_assert_max_num_queries(40) as small:
            assert client.get(url, params).status_code == 200
        n_small = len(small.captured_queries)
        if unit == world.hoi_root:
            root_small = n_small
        else:
            province_small = n_small
    _grow(world, communes=4, branches=3)
    assert counters.verify() == []
    for unit, n in ((world.hoi_root, root_small), (world.province, province_small)):
        params = {"unit": unit.pk, "year": ago(0).year}
        cache.clear()
        with django_assert_max_num_queries(n):
            response = client.get(url, params)
        assert response.status_code == 200
    # The province's children: the two communes and the four new ones, counted.
    children = {c.unit.name: c for c in response.context["children"]}
    assert len(children) == 6
    year = ago(0).year
    cultivated = CaseEvent.objects.filter(step=Step.CULTIVATION, date__year=year).count()
    assert cultivated > 0 and response.context["values"]["cultivated"] == cultivated
    assert response.context["values"]["communes"] == 6
