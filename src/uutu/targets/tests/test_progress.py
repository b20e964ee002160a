"""Progress against hand-counted figures in a small world, after a branch move and a
commune merge, and a query-count guard.

The world: province → communes A (chi hội A1 Thôn Đông, A2 Thôn Tây) and B (chi hội
B1 Thôn Bắc). In the period three members are introduced to the Party: in A, the
branch head of A1 and a member of A2; in B, a member of B1. By hand: introduced 3,
of which branch heads 1 and others 2; A: 2 (1 + 1), B: 1 (0 + 1).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from uutu.orgs import services as org_services
from uutu.orgs.models import Unit
from uutu.people import services as people_services
from uutu.targets import services as S
from uutu.targets.progress import figures, progress

from .helpers import ago, introduce, member, past_period

KEYS = ("introduced", "introduced_branch_heads", "introduced_others")


def _counts(values: dict) -> tuple:
    return tuple(values.get(k, 0) for k in KEYS)


@pytest.fixture
def small(world):
    """The three introductions, dated inside a period that ended 60 days ago, and
    the province's quota of 4 handed down as A 2, B 2."""
    w = world
    w.period = past_period(start_days=240, end_days=60)
    w.member_a2 = member(w, "Vi Thị Hạnh", datetime.date(1992, 4, 1), branch=w.branch_a2)
    w.member_b1 = member(w, "Đinh Thị Thu", datetime.date(1990, 2, 3), branch=w.branch_b1)
    introduce(w, w.person_a1, ago(150))  # the branch head of A1
    introduce(w, w.member_a2, ago(140))
    introduce(w, w.member_b1, ago(130))
    p = w.users["province"]
    S.set_quota(w.province, w.period, "introduced", 4, p)
    S.allocate(w.province, w.period, "introduced", {w.commune_a: 2, w.commune_b: 2}, p)
    return w


def test_hand_counted_figures(small):
    w = small
    result = figures(w.province, w.period, by_child=True)
    assert _counts(result["total"]) == (3, 1, 2)
    assert _counts(result["children"][w.commune_a.pk]) == (2, 1, 1)
    assert _counts(result["children"][w.commune_b.pk]) == (1, 0, 1)
    commune_a = figures(w.commune_a, w.period, by_child=True)
    assert _counts(commune_a["total"]) == (2, 1, 1)
    assert _counts(commune_a["children"][w.branch_a1.pk]) == (1, 1, 0)
    assert _counts(commune_a["children"][w.branch_a2.pk]) == (1, 0, 1)
    rows = {r.code: r for r in progress(w.province, w.period)}
    assert rows["introduced"].achieved == 3
    assert rows["introduced"].completion == 75.0
    assert rows["introduced"].status == "behind"
    assert rows["introduced_branch_heads"].achieved == 1
    assert rows["introduced_others"].achieved == 2
    # the branch head of A1 was not a party member and was introduced: 1 / 1
    assert rows["nonparty_heads_cultivated_pct"].detail == "1 / 1"


def test_progress_page(small, login):
    w = small
    client = login(w.users["province"])
    url = reverse("targets:progress", args=[w.province.pk])
    html = client.get(f"{url}?period={w.period.pk}").content.decode()
    assert 'data-indicator="introduced"' in html
    assert "75%" in html  # completion bar of 3 / 4
    assert 'style="width: 75%"' in html
    assert f'data-unit="{w.commune_a.pk}"' in html and f'data-unit="{w.commune_b.pk}"' in html
    assert "Hội LHPN Xã An Bình" in html and "Hội LHPN Xã Bình Minh" in html
    assert "Tiến độ thực hiện chỉ tiêu" in html
    # the commune page lists its chi hội
    url = reverse("targets:progress", args=[w.commune_a.pk])
    html = login(w.users["commune_a"]).get(f"{url}?period={w.period.pk}").content.decode()
    assert "Chi hội Thôn Đông" in html and "Chi hội Thôn Tây" in html


def test_after_a_member_and_a_branch_move(small):
    """After the period: the member of A2 moves to B1, then chi hội A2 itself moves
    to commune B. The period's figures do not change: each introduction stays where
    it happened, over the tree of the period's end date."""
    w = small
    people_services.move_person(w.member_a2, to_branch=w.branch_b1, on=ago(40), actor=None)
    org_services.move_unit(w.branch_a2, new_parent=w.commune_b, on=ago(30))
    result = figures(w.province, w.period, by_child=True)
    assert _counts(result["total"]) == (3, 1, 2)
    assert _counts(result["children"][w.commune_a.pk]) == (2, 1, 1)
    assert _counts(result["children"][w.commune_b.pk]) == (1, 0, 1)
    # A period running to today sees the tree of today: chi hội A2 (with the
    # introduction made there) now belongs to B, so it counts under B.
    now = past_period(start_days=240, end_days=0, name="Đến hôm nay")
    result = figures(w.province, now, by_child=True)
    assert _counts(result["children"][w.commune_a.pk]) == (1, 1, 0)
    assert _counts(result["children"][w.commune_b.pk]) == (2, 0, 2)
    # …but the introduction stays in chi hội A2, not in B1 where the member went.
    b = figures(w.commune_b, now, by_child=True)
    assert _counts(b["children"][w.branch_a2.pk]) == (1, 0, 1)
    assert _counts(b["children"][w.branch_b1.pk]) == (1, 0, 1)


def test_after_a_commune_merge(small, login):
    """A and B merge 30 days ago, after the period's end: the period's report still
    shows A and B separately (the tree of its end date), with their names then."""
    w = small
    merged = org_services.merge_units(
        [w.commune_a, w.commune_b], on=ago(30), name="Hội LHPN Xã An Bình Minh", code="99009"
    )
    result = figures(w.province, w.period, by_child=True)
    assert _counts(result["total"]) == (3, 1, 2)
    assert _counts(result["children"][w.commune_a.pk]) == (2, 1, 1)
    assert _counts(result["children"][w.commune_b.pk]) == (1, 0, 1)
    assert merged.pk not in result["children"]
    url = reverse("targets:progress", args=[w.province.pk])
    html = login(w.users["province"]).get(f"{url}?period={w.period.pk}").content.decode()
    assert "Hội LHPN Xã An Bình" in html and "Hội LHPN Xã Bình Minh" in html
    assert "Hội LHPN Xã An Bình Minh" not in html
    assert "đã sáp nhập" in html  # both communes are inactive today
    # A merged commune's own page for that period still works (a past report).
    url = reverse("targets:progress", args=[w.commune_a.pk])
    assert login(w.users["province"]).get(f"{url}?period={w.period.pk}").status_code == 200
    # A period that contains the merge date is counted over the tree of its end
    # date (today): A and B are gone, the merged commune carries their chi hội and
    # therefore all three introductions; the province total is unchanged.
    now = past_period(start_days=240, end_days=0, name="Đến hôm nay")
    result = figures(w.province, now, by_child=True)
    assert _counts(result["total"]) == (3, 1, 2)
    assert set(result["children"]) == {merged.pk}
    assert _counts(result["children"][merged.pk]) == (3, 1, 2)


def _commune_with_branches(w, n: int, start: int) -> Unit:
    lv = w.levels
    commune = Unit.objects.filter(code="99050").first() or org_services.create_unit(
        parent=w.province, level=lv["hoi_commune"], name="Hội LHPN Xã Đếm Truy Vấn", code="99050"
    )
    for i in range(start, start + n):
        branch = org_services.create_unit(
            parent=commune, level=lv["hoi_branch"], name=f"Chi hội số {i}", code=f"99050-CH{i:02d}"
        )
        person = member(w, f"Hà Thị Số {i}", datetime.date(1990, 1, 1), branch=branch)
        people_services.start_position(
            person, kind="branch_head", unit=branch, start=ago(400), actor=None
        )
        S.set_manual_figure(branch, w.period, "propaganda_sessions", 2, None)
    return commune


def _queries(fn) -> int:
    fn()  # warm caches (content types, the user's roles)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_units(small, login):
    w = small
    client = login(w.users["province"])
    url = f"{reverse('targets:progress', args=[w.province.pk])}?period={w.period.pk}"
    _commune_with_branches(w, 3, 1)
    few = (
        _queries(lambda: figures(w.province, w.period, by_child=True)),
        _queries(lambda: progress(w.province, w.period)),
        _queries(lambda: client.get(url)),
    )
    commune = _commune_with_branches(w, 9, 4)  # 12 branches now
    assert Unit.objects.filter(parent=commune).count() == 12
    many = (
        _queries(lambda: figures(w.province, w.period, by_child=True)),
        _queries(lambda: progress(w.province, w.period)),
        _queries(lambda: client.get(url)),
    )
    assert few == many
    assert figures(commune, w.period)["total"]["branch_heads"] == 12
    assert figures(commune, w.period)["total"]["propaganda_sessions"] == 24
