"""Emulation: criteria (audited), scores computed from hand-made pipeline data and
quotas, the ranking, its pages and its .xlsx export."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from uutu.core.models import AuditEntry
from uutu.emulation import services
from uutu.emulation.models import Criterion, CriterionSet, ManualScore
from uutu.orgs import services as org_services
from uutu.orgs.models import Unit
from uutu.pipeline.models import Step
from uutu.targets.models import Period, Quota

from .helpers import member, walk

YEAR = datetime.date.today().year - 1  # a whole past year: every month has happened


def _on(month, day):
    return datetime.date(YEAR, month, day)


def build_data(w):
    """Commune A: 3 introduced (one a chi hội trưởng), 1 admitted. Commune B: 2
    introduced, 1 admitted. Quotas: A 4 introduced / 2 admitted, B 2 / 2."""
    head_since = datetime.date(YEAR - 2, 1, 1)
    a_head = member(w.branch_a2, "Vi Thị Hằng", head_since=head_since)
    walk(a_head, cell=w.cell_a1, party_commune=w.party_a, until=Step.DECISION, on=_on(3, 10))
    for name in ("Đinh Thị Thu", "Hà Thị Nga"):
        m = member(w.branch_a1, name)
        walk(m, cell=w.cell_a1, party_commune=w.party_a, until=Step.INTRODUCED, on=_on(3, 10))
    b1 = member(w.branch_b1, "Lục Thị Yến")
    walk(b1, cell=w.cell_b1, party_commune=w.party_b, until=Step.DECISION, on=_on(3, 10))
    b2 = member(w.branch_b1, "Mã Thị Hiên")
    walk(b2, cell=w.cell_b1, party_commune=w.party_b, until=Step.INTRODUCED, on=_on(3, 10))
    period = Period.year(YEAR)
    for unit, introduced, admitted in ((w.commune_a, 4, 2), (w.commune_b, 2, 2)):
        Quota.objects.create(unit=unit, period=period, indicator="introduced", value=introduced)
        Quota.objects.create(unit=unit, period=period, indicator="admitted", value=admitted)
    Quota.objects.create(unit=w.province, period=period, indicator="introduced", value=10)
    Quota.objects.create(unit=w.province, period=period, indicator="admitted", value=4)
    return period


def define_criteria(w, actor=None):
    unit = w.province
    c1 = services.create_criterion(
        actor=actor, unit=unit, year=YEAR, name="Giới thiệu", kind="indicator",
        indicator="introduced", method="completion", weight=40,
    )  # fmt: skip
    c2 = services.create_criterion(
        actor=actor, unit=unit, year=YEAR, name="Kết nạp", kind="indicator",
        indicator="admitted", method="completion", weight=30,
    )  # fmt: skip
    c3 = services.create_criterion(
        actor=actor, unit=unit, year=YEAR, name="Chi hội trưởng được giới thiệu",
        kind="indicator", indicator="introduced_branch_heads", method="relative", weight=10,
    )  # fmt: skip
    c4 = services.create_criterion(
        actor=actor, unit=unit, year=YEAR, name="Đánh giá chung", kind="manual", weight=20
    )
    services.set_manual_scores(
        c4, actor=actor, scores={w.commune_a.pk: (50, ""), w.commune_b.pk: (90, "Tốt")}
    )
    return c1, c2, c3, c4


@pytest.fixture
def data(world):
    build_data(world)
    return world


def test_ranking_matches_hand_computed_scores(data):
    w = data
    define_criteria(w)
    ranking = services.rank(w.province, YEAR)
    assert ranking.max_points == 100
    by_unit = {row.unit.pk: row for row in ranking.rows}
    a, b = by_unit[w.commune_a.pk], by_unit[w.commune_b.pk]
    # A: 3/4 → 75 % of 40 = 30; 1/2 → 50 % of 30 = 15; heads 1 (best) → 10; manual 50 → 10
    assert [s.level for s in a.scores] == [75.0, 50.0, 100.0, 50.0]
    assert [s.points for s in a.scores] == [30.0, 15.0, 10.0, 10.0]
    assert a.total == 65.0
    # B: 2/2 → 40; 1/2 → 15; heads 0 → 0; manual 90 → 18
    assert [s.points for s in b.scores] == [40.0, 15.0, 0.0, 18.0]
    assert b.total == 73.0
    assert [(r.unit.pk, r.rank) for r in ranking.rows] == [(w.commune_b.pk, 1), (w.commune_a.pk, 2)]
    assert b.percent == 73.0
    assert a.scores[0].detail == "3 / 4"


def test_cap_rewards_over_achievement_and_ties_share_a_rank(data):
    w = data
    c1, c2, c3, c4 = define_criteria(w)
    Quota.objects.filter(unit=w.commune_b, indicator="introduced").update(value=1)
    services.update_criterion(
        c1, actor=None, name="Giới thiệu", kind="indicator", indicator="introduced",
        method="completion", weight=40, cap=120,
    )  # fmt: skip
    ranking = services.rank(w.province, YEAR)
    b = next(r for r in ranking.rows if r.unit.pk == w.commune_b.pk)
    assert b.scores[0].level == 120.0 and b.scores[0].points == 48.0  # 2/1 = 200 %, capped
    # equal totals share a rank
    services.set_manual_scores(
        c4, actor=None, scores={w.commune_a.pk: (100, ""), w.commune_b.pk: (100, "")}
    )
    services.delete_criterion(c3, actor=None)
    Quota.objects.filter(unit=w.commune_a, indicator="introduced").update(value=3)
    services.update_criterion(
        c1, actor=None, name="Giới thiệu", kind="indicator", indicator="introduced",
        method="completion", weight=40, cap=100,
    )  # fmt: skip
    ranking = services.rank(w.province, YEAR)
    assert [r.total for r in ranking.rows] == [75.0, 75.0]
    assert [r.rank for r in ranking.rows] == [1, 1]


def test_child_without_quota_gets_no_level(data):
    w = data
    define_criteria(w)
    Quota.objects.filter(unit=w.commune_a).delete()
    ranking = services.rank(w.province, YEAR)
    a = next(r for r in ranking.rows if r.unit.pk == w.commune_a.pk)
    assert a.scores[0].level is None and a.scores[0].points == 0


def test_services_validate_and_audit(world):
    w = world
    province_user = w.users["province"]
    with pytest.raises(ValidationError) as exc:
        services.create_criterion(
            actor=province_user, unit=w.province, year=YEAR, name="", kind="indicator",
            indicator="", weight=0,
        )  # fmt: skip
    assert {"name", "indicator", "weight"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError):  # per-cell indicators cannot be scored per child
        services.create_criterion(
            actor=province_user, unit=w.province, year=YEAR, name="x", kind="indicator",
            indicator="new_members_per_cell", weight=5,
        )  # fmt: skip
    with pytest.raises(ValidationError):  # not her unit
        services.create_criterion(
            actor=w.users["commune_a"], unit=w.province, year=YEAR, name="x", kind="manual",
            weight=5,
        )  # fmt: skip
    made = services.create_default_criteria(actor=province_user, unit=w.province, year=YEAR)
    assert sum(c.weight for c in made) == 100
    with pytest.raises(ValidationError):
        services.create_default_criteria(actor=province_user, unit=w.province, year=YEAR)
    manual = next(c for c in made if c.kind == Criterion.Kind.MANUAL)
    with pytest.raises(ValidationError):  # a branch is not a child of the province
        services.set_manual_scores(manual, actor=province_user, scores={w.branch_a1.pk: (50, "")})
    with pytest.raises(ValidationError):
        services.set_manual_scores(manual, actor=province_user, scores={w.commune_a.pk: (150, "")})
    assert (
        services.set_manual_scores(manual, actor=province_user, scores={w.commune_a.pk: (80, "")})
        == 1
    )
    assert (
        services.set_manual_scores(manual, actor=province_user, scores={w.commune_a.pk: (80, "")})
        == 0
    )  # unchanged: nothing written
    services.update_criterion(
        made[0], actor=province_user, name="Giới thiệu (sửa)", kind="indicator",
        indicator="introduced", method="relative", weight=35,
    )  # fmt: skip
    services.delete_criterion(made[1], actor=province_user)
    services.create_criterion(
        actor=province_user, unit=w.province, year=YEAR, name="Khác", kind="manual", weight=5
    )
    actions = list(
        AuditEntry.objects.filter(action__startswith="emulation.").values_list("action", flat=True)
    )
    assert set(actions) == set(services.ACTION_LABELS)
    entry = AuditEntry.objects.get(action="emulation.criterion.updated")
    assert entry.before == {"name": made[0].name, "method": "completion", "weight": "30.0"}
    assert entry.action_label == "Sửa tiêu chí thi đua"
    assert entry.unit_id == w.province.pk and entry.user_id == province_user.pk


def test_ranking_runs_a_fixed_number_of_queries(data):
    w = data
    define_criteria(w)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            services.rank(w.province, YEAR)
        return len(ctx)

    before = count()
    lv = w.levels
    for i in range(3):
        commune = org_services.create_unit(
            parent=w.province, level=lv["hoi_commune"], name=f"Hội LHPN Xã Mới {i}", code=f"X{i}"
        )
        branch = org_services.create_unit(
            parent=commune, level=lv["hoi_branch"], name=f"Chi hội {i}", code=f"X{i}-CH01"
        )
        party = org_services.create_unit(
            parent=w.party_province, level=lv["dang_commune"], name=f"Đảng bộ {i}", code=f"X{i}"
        )
        cell = org_services.create_unit(
            parent=party, level=lv["dang_cell"], name=f"Chi bộ {i}", code=f"X{i}-CB01"
        )
        org_services.link_counterpart(commune, party)
        org_services.link_counterpart(branch, cell)
        branch.refresh_from_db()
        m = member(branch, f"Nguyễn Thị Mới {i}")
        walk(m, cell=cell, party_commune=party, until=Step.INTRODUCED, on=_on(5, 4))
        Quota.objects.create(
            unit=commune, period=Period.year(YEAR), indicator="introduced", value=3
        )
    assert count() == before
    assert len(services.rank(w.province, YEAR).rows) == 5


# --- pages ---------------------------------------------------------------------------


def test_criteria_pages_add_edit_score_delete(data, login):
    w = data
    client = login(w.users["province"])
    url = reverse("emulation:criteria")
    page = client.get(url, {"year": YEAR})
    assert page.status_code == 200 and page.context["unit"] == w.province
    assert "Chưa có tiêu chí thi đua" in page.content.decode()

    add = reverse("emulation:criterion_add", args=[w.province.pk, YEAR])
    response = client.post(add, {"name": "", "kind": "indicator", "weight": "10", "cap": "100"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(
        add,
        {
            "name": "Giới thiệu",
            "kind": "indicator",
            "indicator": "introduced",
            "method": "completion",
            "weight": "60",
            "cap": "100",
        },
    )
    assert response.status_code == 302
    response = client.post(
        add, {"name": "Đánh giá chung", "kind": "manual", "method": "completion",
              "weight": "40", "cap": "100"},
    )  # fmt: skip
    assert response.status_code == 302
    manual = Criterion.objects.get(kind="manual")
    scores = reverse("emulation:manual_scores", args=[manual.pk])
    assert client.get(scores).status_code == 200
    response = client.post(
        scores,
        {
            f"score_{w.commune_a.pk}": "100",
            f"note_{w.commune_a.pk}": "Xuất sắc",
            f"score_{w.commune_b.pk}": "",
        },
    )
    assert response.status_code == 302
    assert ManualScore.objects.get().score == Decimal("100")

    edit = reverse("emulation:criterion_edit", args=[manual.pk])
    assert client.get(edit).context["form"].initial["name"] == "Đánh giá chung"

    ranking = client.get(reverse("emulation:ranking"), {"unit": w.province.pk, "year": YEAR})
    rows = ranking.context["ranking"].rows
    # A: 3/4 of 60 = 45 + 40 = 85; B: 60 + 0 = 60
    assert [(r.unit.pk, r.total) for r in rows] == [(w.commune_a.pk, 85.0), (w.commune_b.pk, 60.0)]
    assert "Hội LHPN Xã An Bình" in ranking.content.decode()

    delete = reverse("emulation:criterion_delete", args=[manual.pk])
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert not Criterion.objects.filter(pk=manual.pk).exists()
    assert not ManualScore.objects.exists()

    defaults = reverse("emulation:criteria_defaults", args=[w.commune_a.pk, YEAR])
    assert client.get(defaults).status_code == 200
    assert client.post(defaults).status_code == 302
    assert CriterionSet.objects.get(unit=w.commune_a, year=YEAR).criteria.count() == 6


def test_pages_respect_scope(data, login):
    w = data
    define_criteria(w)
    criterion = Criterion.objects.first()
    # commune A's cadre cannot reach the province's criteria (404) nor another commune's
    client = login(w.users["commune_a"])
    assert client.get(reverse("emulation:criterion_edit", args=[criterion.pk])).status_code == 404
    assert client.get(reverse("emulation:ranking"), {"unit": w.province.pk}).status_code == 404
    assert client.get(reverse("emulation:criteria"), {"unit": w.commune_b.pk}).status_code == 404
    assert (
        client.get(reverse("emulation:criterion_add", args=[w.commune_b.pk, YEAR])).status_code
        == 404
    )
    # her own commune: its chi hội are ranked
    response = client.get(reverse("emulation:ranking"), {"year": YEAR})
    assert response.status_code == 200 and response.context["unit"] == w.commune_a
    # the party committee has commune A in scope (counterpart) but no emulation role
    party = login(w.users["party_a"])
    assert party.get(reverse("emulation:criteria"), {"unit": w.commune_a.pk}).status_code == 403


def test_export_xlsx(data, login):
    w = data
    define_criteria(w)
    Unit.objects.filter(pk=w.commune_b.pk).update(name='=HYPERLINK("http://x","Bấm")')
    client = login(w.users["province"])
    response = client.get(reverse("emulation:ranking_export"), {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert f"xep-hang-thi-dua-{YEAR}" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.active
    assert ws["A1"].value == "HỘI LHPN TỈNH THỬ NGHIỆM"
    assert ws["A2"].value == f"BẢNG XẾP HẠNG THI ĐUA NĂM {YEAR}"
    headers = [c.value for c in ws[5]]
    assert headers[:2] == ["Hạng", "Đơn vị"]
    assert headers[2] == "Giới thiệu (tối đa 40 điểm)"
    assert headers[-2:] == ["Tổng điểm", "Tỷ lệ so với điểm tối đa (%)"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=6, max_row=7)]
    assert rows[0][0] == 1 and rows[0][-2] == 73.0
    assert rows[0][1] == '\'=HYPERLINK("http://x","Bấm")'  # text, never a formula
    assert ws["B6"].data_type == "s"
    assert rows[1][:2] == [2, "Hội LHPN Xã An Bình"] and rows[1][2:6] == [30, 15, 10, 10]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
