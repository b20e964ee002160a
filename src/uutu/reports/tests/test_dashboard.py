"""The dashboard: every block checked against hand-counted figures, who sees which
unit, the chart served as static files under the CSP, and a fixed number of
queries however many units and cases there are."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from uutu.emulation.tests.helpers import member, walk
from uutu.emulation.tests.test_emulation import YEAR, build_data
from uutu.orgs import services as org_services
from uutu.people import services as people_services
from uutu.pipeline import services as pipeline_services
from uutu.pipeline.models import Case, Status, Step
from uutu.targets.models import Period, Quota

URL = "reports:dashboard"


@pytest.fixture
def data(world):
    build_data(world)
    return world


def _get(client, **params):
    response = client.get(reverse(URL), params)
    assert response.status_code == 200, response.status_code
    return response


def test_province_dashboard_shows_hand_counted_figures(data, login):
    w = data
    response = _get(login(w.users["province"]), year=YEAR)
    ctx = response.context
    assert ctx["unit"] == w.province and ctx["year"] == YEAR
    values = ctx["values"]
    # 5 introduced (1 chi hội trưởng), 2 admitted
    assert values["introduced"] == 5
    assert values["introduced_branch_heads"] == 1
    assert values["introduced_others"] == 4
    assert values["admitted"] == 2
    funnel = {step["key"]: step["n"] for step in ctx["funnel"]}
    assert funnel == {
        "sources": 5,
        "introduced": 5,
        "class_completed": 2,
        "proposed": 2,
        "admitted": 2,
        "official": 0,
    }
    assert ctx["funnel"][0]["width"] == 100.0 and ctx["funnel"][4]["width"] == 40.0
    # progress against the province's own quotas: 5/10 and 2/4
    rows = {p["code"]: p for p in ctx["progress_rows"]}
    assert set(rows) == {"introduced", "admitted"}
    assert rows["introduced"]["completion"] == 50.0 and rows["admitted"]["completion"] == 50.0
    # children ranked by completion: B (100 % and 50 % → 75) before A (75 % and 50 %)
    children = ctx["children"]
    assert [c.unit for c in children] == [w.commune_b, w.commune_a]
    assert [c.completion for c in children] == [75.0, 62.5]
    assert [(c.introduced, c.admitted) for c in children] == [(2, 1), (3, 1)]
    # branch heads on 31/12: A1 (Nguyễn Thị Hoa, since 400 days ago, if before the end
    # of the year) and A2 (Vi Thị Hằng); none is a party member
    heads_expected = 1 + (w.position_a1.start <= datetime.date(YEAR, 12, 31))
    assert ctx["heads"] == heads_expected and ctx["heads_party"] == 0
    assert ctx["heads_pct"] == 0.0
    html = response.content.decode()
    assert "Nam Định 23,2% (2023) – Lạng Sơn 43,7% (2021)" in html
    # chart: all introductions on 10/03, the two decisions 40 days later (19/04)
    chart = ctx["chart"]
    assert chart["labels"][0] == f"01/{YEAR}" and len(chart["labels"]) == 12
    assert chart["introduced"] == [0, 0, 5] + [0] * 9
    assert chart["admitted"] == [0, 0, 0, 2] + [0] * 8
    assert sum(chart["introduced"]) == values["introduced"]
    embedded = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    assert json.loads(embedded.group(1))["admitted"] == chart["admitted"]


def test_cached_overdue_list_follows_case_changes(data):
    """The overdue count is kept in the cache; pausing, reopening and moving a
    case to another commune show at once, on the province's and the commune's
    dashboards."""
    w = data
    today = datetime.date.today()
    province, commune_a = Client(), Client()
    province.force_login(w.users["province"])
    commune_a.force_login(w.users["commune_a"])

    def counts():
        return (
            _get(province, year=YEAR).context["overdue_count"],
            _get(commune_a, year=YEAR).context["overdue_count"],
        )

    before = counts()
    case = Case.objects.filter(
        status=Status.OPEN, due_on__lt=today, branch__parent=w.commune_a
    ).first()
    pipeline_services.exit_case(
        case, status=Status.PAUSED, reason="Đi làm ăn xa", on=today, actor=None
    )
    assert counts() == (before[0] - 1, before[1] - 1)
    pipeline_services.reopen_case(case, on=today, actor=None)
    assert counts() == before
    people_services.move_person(case.person, to_branch=w.branch_b1, on=today, actor=None)
    assert counts() == (before[0], before[1] - 1)


def test_overdue_deadlines_counted_in_the_unit(data, login):
    w = data
    today = datetime.date.today()
    overdue = Case.objects.filter(status=Status.OPEN, due_on__lt=today)
    # the two admitted cases wait for their ceremony (30 working days): overdue
    assert overdue.filter(step=Step.DECISION).count() == 2
    ctx = _get(login(w.users["province"]), year=YEAR).context
    assert ctx["overdue_count"] == overdue.count() >= 2
    ctx = _get(login(w.users["commune_a"]), year=YEAR).context
    assert ctx["unit"] == w.commune_a
    assert ctx["overdue_count"] == overdue.filter(branch__parent=w.commune_a).count() >= 1
    assert all(c.branch.parent_id == w.commune_a.pk for c in ctx["overdue"])
    assert (
        f"{reverse('pipeline:deadlines')}?unit={w.commune_a.pk}"
        in _get(login(w.users["commune_a"]), year=YEAR).content.decode()
    )


def test_commune_dashboard_ranks_its_branches(data, login):
    w = data
    ctx = _get(login(w.users["commune_a"]), year=YEAR).context
    assert ctx["values"]["introduced"] == 3 and ctx["values"]["admitted"] == 1
    rows = {p["code"]: p["completion"] for p in ctx["progress_rows"]}
    assert rows == {"introduced": 75.0, "admitted": 50.0}
    assert ctx["progress_rows"][0]["achieved"] == "3" and ctx["progress_rows"][0]["target"] == "4"
    by_branch = {c.unit: (c.introduced, c.admitted) for c in ctx["children"]}
    assert by_branch == {w.branch_a1: (2, 0), w.branch_a2: (1, 1)}


def test_party_users_see_their_cells(data, login):
    w = data
    ctx = _get(login(w.users["party_a"]), year=YEAR).context
    assert ctx["unit"] == w.party_a and not ctx["is_hoi"]
    cells = {c["name"]: c for c in ctx["cells"]}
    assert cells["Chi bộ Thôn Đông"]["admitted"] == 1
    assert cells["Chi bộ Thôn Đông"]["introduced"] == 3
    assert ctx["cells_met"] == 1
    assert ctx["chart"]["introduced"][2] == 3 and ctx["chart"]["admitted"][3] == 1
    ctx = _get(login(w.users["cell_secretary"]), year=YEAR).context
    assert ctx["unit"] == w.cell_a1
    assert [c["name"] for c in ctx["cells"]] == ["Chi bộ Thôn Đông"]


def test_branch_head_sees_her_branch(data, login):
    w = data
    ctx = _get(login(w.users["branch_head"]), year=YEAR).context
    assert ctx["unit"] == w.branch_a1
    assert ctx["values"]["introduced"] == 2 and ctx["children"] == []


def test_scope_404_and_403(data, login):
    w = data
    url = reverse(URL)
    client = login(w.users["commune_b"])
    assert client.get(url, {"unit": w.commune_a.pk}).status_code == 404
    assert client.get(url, {"unit": w.province.pk}).status_code == 404
    # the cell secretary has her chi hội in scope (counterpart) but not its dashboard
    client = login(w.users["cell_secretary"])
    assert client.get(url, {"unit": w.branch_a1.pk}).status_code == 403
    # the province cadre drills down to a commune; a bad year falls back to this year
    client = login(w.users["province"])
    ctx = _get(client, unit=w.commune_b.pk, year="abc").context
    assert ctx["unit"] == w.commune_b and ctx["year"] == datetime.date.today().year


def test_chart_is_served_as_static_files_under_the_csp(data, login):
    html = _get(login(data.users["province"])).content.decode()
    assert finders.find("vendor/chartjs/chart.umd.min.js")
    assert finders.find("uutu/dashboard.js")
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    # cards stack on a phone: every card column is full width below the md breakpoint
    assert 'class="col-12 col-lg-6"' in html and 'class="col-6 col-lg-3"' in html


def _add_commune(w, i):
    lv = w.levels
    commune = org_services.create_unit(
        parent=w.province, level=lv["hoi_commune"], name=f"Hội LHPN Xã Thêm {i}", code=f"T{i}"
    )
    party = org_services.create_unit(
        parent=w.party_province, level=lv["dang_commune"], name=f"Đảng bộ Xã Thêm {i}", code=f"T{i}"
    )
    org_services.link_counterpart(commune, party)
    for j in range(2):
        branch = org_services.create_unit(
            parent=commune, level=lv["hoi_branch"], name=f"Chi hội {i}.{j}", code=f"T{i}-CH{j}"
        )
        cell = org_services.create_unit(
            parent=party, level=lv["dang_cell"], name=f"Chi bộ {i}.{j}", code=f"T{i}-CB{j}"
        )
        org_services.link_counterpart(branch, cell)
        branch.refresh_from_db()
        cell.refresh_from_db()
        party.refresh_from_db()
        m = member(branch, f"Nguyễn Thị Thêm {i}{j}", head_since=datetime.date(YEAR - 1, 1, 1))
        until = Step.DECISION if j == 0 else Step.INTRODUCED
        walk(m, cell=cell, party_commune=party, until=until, on=datetime.date(YEAR, 6, 2))
    period = Period.year(YEAR)
    Quota.objects.create(unit=commune, period=period, indicator="introduced", value=2)
    Quota.objects.create(unit=commune, period=period, indicator="admitted", value=1)
    Quota.objects.create(unit=commune, period=period, indicator="branch_heads_party_pct", value=50)


@pytest.mark.parametrize("persona", ["province", "commune_a", "party_a"])
def test_dashboard_runs_a_fixed_number_of_queries(data, login, persona):
    w = data
    client = login(w.users[persona])
    _get(client, year=YEAR)  # warm up (sessions, periods)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            _get(client, year=YEAR)
        return len(ctx)

    def count():
        """Queries with the unit's figures counted (cold cache), then read from
        the cache."""
        cache.clear()
        return queries(), queries()

    before = count()
    assert before[1] < before[0]  # the cached figures spare the counting queries
    for i in range(3):
        _add_commune(w, i)
    # more cases in commune A too
    for k in range(2):
        m = member(w.branch_a1, f"Phạm Thị Thêm {k}")
        walk(
            m,
            cell=w.cell_a1,
            party_commune=w.party_a,
            until=Step.DECISION,
            on=datetime.date(YEAR, 7, 1),
        )
    after = count()
    assert after == before, (before, after)
    assert before[0] <= 25, before


def test_share_and_per_cell_quotas(data, login):
    """A share shows n / N and a Vietnamese decimal; a per-cell quota shows how many
    chi bộ met it out of all of them (commune A: chi bộ Thôn Đông admitted one)."""
    w = data
    period = Period.year(YEAR)
    Quota.objects.create(unit=w.commune_a, period=period, indicator="new_members_per_cell", value=1)
    Quota.objects.create(
        unit=w.commune_a, period=period, indicator="branch_heads_party_pct", value=Decimal("37.5")
    )
    response = _get(login(w.users["commune_a"]), year=YEAR)
    rows = {p["code"]: p for p in response.context["progress_rows"]}
    cell = rows["new_members_per_cell"]
    assert cell["achieved"] == "1 / 1 chi bộ đạt" and cell["target"] == "≥ 1 mỗi chi bộ"
    assert cell["completion"] == 100.0 and cell["css"] == "bg-success"
    share = rows["branch_heads_party_pct"]
    assert share["target"] == "37,5%" and share["achieved"] == "0%"
    assert share["detail"] == f"0 / {response.context['heads']}"
    assert "1 / 1 chi bộ đạt" in response.content.decode()


def test_unit_selector_is_a_dropdown_for_a_small_scope_a_picker_for_a_large_one(
    data, login, monkeypatch
):
    from django.utils.html import escape

    from uutu.emulation import selection
    from uutu.orgs.forms import unit_label

    w = data
    html = _get(login(w.users["commune_a"]), year=YEAR).content.decode()
    assert '<select name="unit" id="id_unit"' in html
    assert f'<option value="{w.branch_a1.pk}"' in html

    # A scope larger than the dropdown: the search-as-you-type picker, filled with
    # the unit shown, asking the dashboard's unit search.
    monkeypatch.setattr(selection, "DROPDOWN_MAX", 3)
    client = login(w.users["province"])
    html = _get(client, year=YEAR).content.decode()
    assert '<select name="unit"' not in html
    search = reverse("orgs:unit_search") + "?for=dashboard"
    assert f'hx-get="{escape(search)}"' in html
    assert f'value="{escape(unit_label(w.province))}"' in html
    # What the picker offers for "xa b" includes commune B; its label opens it.
    options = client.get(search, {"q": "xa b"}).content.decode()
    assert escape(unit_label(w.commune_b)) in options
    ctx = _get(client, unit=unit_label(w.commune_b), year=YEAR).context
    assert ctx["unit"] == w.commune_b
    # A name that matches no unit of her scope: said in Vietnamese, her own unit shown.
    response = _get(client, unit="Xã Không Có Thật", year=YEAR)
    assert response.context["unit"] == w.province
    assert "Không tìm thấy đơn vị “Xã Không Có Thật”" in response.content.decode()
    # Commune B's cadre cannot reach commune A by typing its name either.
    response = _get(login(w.users["commune_b"]), unit=unit_label(w.commune_a), year=YEAR)
    assert response.context["unit"] == w.commune_b
    assert "Không tìm thấy đơn vị" in response.content.decode()


def test_children_table_shows_the_best_then_all_on_demand(data, login, monkeypatch):
    from uutu.reports import views_dashboard

    w = data
    client = login(w.users["province"])
    ranked = [c.unit for c in _get(client, year=YEAR).context["children"]]
    assert ranked == [w.commune_b, w.commune_a]
    monkeypatch.setattr(views_dashboard, "CHILDREN_SHOWN", 1)
    response = _get(client, year=YEAR)
    html = response.content.decode()
    assert [c.unit for c in response.context["children"]] == [w.commune_b]
    assert html.count('data-testid="child-row"') == 1
    assert "Hiển thị 1 đơn vị đứng đầu trong tổng số 2 đơn vị trực thuộc." in html
    link = re.search(r'href="([^"]+)" data-testid="children-all"', html).group(1)
    response = client.get(reverse(URL) + link.replace("&amp;", "&").split("#")[0])
    assert [c.unit for c in response.context["children"]] == ranked
    assert 'data-testid="children-shown"' not in response.content.decode()


def test_rendered_parts_are_cached_and_follow_changes(data, login):
    """The parts of the page that are the same for every user of a unit are kept
    rendered under the figures' token: a second view reads them from the cache, and
    a new introduction or a new quota shows on the next view (the token changed)."""
    from django.core.cache.utils import make_template_fragment_key

    from uutu.pipeline import counters

    w = data
    client = login(w.users["province"])

    def shown():
        html = _get(client, year=YEAR).content.decode()
        stat = re.search(r'data-testid="stat-introduced">(\d+)<', html).group(1)
        progress = re.search(
            r'data-testid="progress-introduced">.*?fw-semibold ms-auto">([^<]+)<', html, re.S
        ).group(1)
        first_child = re.search(r'data-testid="child-row">\s*<td>1\. <a[^>]*>([^<]+)<', html)
        return int(stat), progress.strip(), first_child.group(1)

    before = shown()
    assert before == (5, "5 / 10", w.commune_b.name)
    token = counters.figures_token(w.province, w.province.counterpart)
    key = make_template_fragment_key("dashboard_stats", [w.province.pk, YEAR, token, "vi"])
    assert cache.get(key) is not None  # kept rendered
    assert shown() == before  # read back from the cache
    # Two more introductions in commune A: the stat, the progress and the ranking.
    for k in range(2):
        m = member(w.branch_a1, f"Đinh Thị Mới {k}")
        walk(
            m,
            cell=w.cell_a1,
            party_commune=w.party_a,
            until=Step.INTRODUCED,
            on=datetime.date(YEAR, 5, 2),
        )
    assert shown() == (7, "7 / 10", w.commune_a.name)
    # A new quota for the province: its progress row.
    quota = Quota.objects.get(unit=w.province, period=Period.year(YEAR), indicator="introduced")
    quota.value = 14
    quota.save()
    assert shown() == (7, "7 / 14", w.commune_a.name)
