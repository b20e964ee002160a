"""The same figures on the dashboard, in the quota progress and in the periodic
report, checked against hand counts — and again after a branch move and a commune
merge dated after the events (issue 4, "What it must show")."""

import datetime

from django.urls import reverse

from uutu.orgs import services as org_services
from uutu.people import services as people_services
from uutu.pipeline import services as P
from uutu.reports import services as R
from uutu.reports.models import Kind
from uutu.targets import progress
from uutu.targets import services as T
from uutu.targets.models import Period

YEAR = 2026
MARCH = datetime.date(YEAR, 3, 10)


def _introduce(person, cell, on=MARCH):
    case = P.open_case(person, on=on, actor=None)
    P.start_cultivation(case, on=on, actor=None)
    P.introduce(case, cell=cell, on=on, actor=None)
    return case


def _scenario(world):
    """Two introductions in commune A (one by its chi hội trưởng), one in B; quotas on
    the province and both communes."""
    _introduce(world.person_a1, world.cell_a1)  # chi hội trưởng of A1
    _introduce(world.person_a2, world.cell_a1)  # a member of A2
    _introduce(world.person_b1, world.cell_b1)  # a member of B1
    province = world.users["province"]
    half = Period.half(YEAR)
    T.set_quota(world.province, half, "introduced", 4, actor=province)
    T.allocate(
        world.province, half, "introduced", {world.commune_a: 2, world.commune_b: 2}, actor=province
    )
    return half


def _same(a: dict, b: dict) -> bool:
    """Two figure sets are the same, whenever they were taken."""
    return {k: v for k, v in a.items() if k != "taken_at"} == {
        k: v for k, v in b.items() if k != "taken_at"
    }


def test_dashboard_progress_and_report_agree_with_hand_counts(world, login):
    half = _scenario(world)
    expected_total = {"introduced": 3, "introduced_branch_heads": 1, "introduced_others": 2}
    expected_children = {world.commune_a.pk: 2, world.commune_b.pk: 1}

    # Quota progress (the engine).
    figures = progress.figures(world.province, half, by_child=True)
    for key, n in expected_total.items():
        assert figures["total"][key] == n
    assert {k: v["introduced"] for k, v in figures["children"].items()} == expected_children
    rows = {r.code: r for r in progress.progress(world.province, half)}
    assert rows["introduced"].quota == 4 and rows["introduced"].completion == 75.0

    # The dashboard of the year.
    ctx = (
        login(world.users["province"])
        .get(reverse("reports:dashboard"), {"unit": world.province.pk, "year": YEAR})
        .context
    )
    for key, n in expected_total.items():
        assert ctx["values"][key] == n
    assert {c.unit.pk: c.introduced for c in ctx["children"]} == expected_children

    # The six-monthly report of the province, then approved: the snapshot agrees.
    report = R.create_report(
        unit=world.province, period=half, kind=Kind.SIX_MONTHLY, actor=world.users["province"]
    )
    shown = R.report_figures(report)
    assert _same(shown, R.build_figures(world.province, half))
    rows = {r["code"]: r for r in shown["rows"]}
    for key, n in expected_total.items():
        assert rows[key]["achieved"] == n
    assert rows["introduced"]["quota"] == 4 and rows["introduced"]["completion"] == 75.0
    assert {c["id"]: c["introduced"] for c in shown["children"]} == expected_children
    admin = world.users["admin"]
    R.submit_report(report, actor=admin)
    R.approve_report(report, actor=admin)
    report.refresh_from_db()
    assert _same(report.snapshot, R.build_figures(world.province, half))
    assert not R.live_differs(report)


def test_figures_after_a_branch_move_and_a_commune_merge(world, login):
    half = _scenario(world)
    before = progress.figures(world.province, half, by_child=True)

    # After the period: Lê Thị Hòa moves from A2 (commune A) to B1 (commune B), and
    # then communes A and B merge into a new commune.
    today = datetime.date.today()
    people_services.move_person(world.person_a2, to_branch=world.branch_b1, on=today, actor=None)
    merged = org_services.merge_units(
        [world.commune_a, world.commune_b], on=today, name="Hội LHPN Xã An Minh", code="99009"
    )

    # The first half of the year is counted over the tree of 30/06: unchanged.
    after = progress.figures(world.province, half, by_child=True)
    assert after == before
    assert after["children"][world.commune_a.pk]["introduced"] == 2
    assert after["children"][world.commune_b.pk]["introduced"] == 1

    # The whole year is counted over the tree of 31/12, when only the merged commune
    # exists: it carries all three introductions; the province total is unchanged.
    year = Period.year(YEAR)
    whole = progress.figures(world.province, year, by_child=True)
    assert whole["total"]["introduced"] == 3
    assert whole["children"][merged.pk]["introduced"] == 3
    assert world.commune_a.pk not in whole["children"]

    # And a report of the first half made now shows A and B as they were.
    report = R.create_report(
        unit=world.province, period=half, kind=Kind.SIX_MONTHLY, actor=world.users["province"]
    )
    shown = R.report_figures(report)
    # The rows are the province's communes on 30/06, A and B; the merged commune,
    # founded after the period, is not one of them.
    assert {c["id"]: c["introduced"] for c in shown["children"]} == {
        world.commune_a.pk: 2,
        world.commune_b.pk: 1,
    }
    year_report = R.create_report(
        unit=world.province, period=year, kind=Kind.ANNUAL, actor=world.users["province"]
    )
    rows = {c["id"]: c["introduced"] for c in R.report_figures(year_report)["children"]}
    assert rows == {merged.pk: 3}
    assert progress.figures(world.province, half)["total"]["introduced"] == 3
