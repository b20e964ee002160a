"""Quota, allocation, manual figure and period services: validation, scope and audit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from uutu.core.models import AuditEntry
from uutu.targets import services as S
from uutu.targets.models import ManualFigure, Period, Quota
from uutu.targets.progress import figures, progress

from .helpers import period_2024


def test_set_quota_creates_updates_and_audits(world):
    w, period = world, period_2024()
    q = S.set_quota(w.province, period, "introduced", 500, w.users["province"])
    assert q.value == Decimal("500.0")
    S.set_quota(w.province, period, "introduced", "520", w.users["province"])
    S.set_quota(w.province, period, "introduced", 520, w.users["province"])  # no change
    assert Quota.objects.get(unit=w.province, period=period, indicator="introduced").value == 520
    entries = AuditEntry.objects.filter(action="targets.quota.set").order_by("pk")
    assert entries.count() == 2
    assert entries.last().before == {"value": "500.0"}
    assert entries.last().after == {"value": "520.0"}
    assert entries.last().unit_id == w.province.pk


@pytest.mark.parametrize(
    ("value", "message"),
    [(-1, "không được âm"), ("abc", "không phải là số"), ("", "vui lòng nhập")],
)
def test_set_quota_rejects_bad_values(world, value, message):
    with pytest.raises(ValidationError, match=message):
        S.set_quota(world.province, period_2024(), "introduced", value, world.users["province"])
    assert not Quota.objects.exists()


def test_set_quota_needs_an_existing_period_and_indicator(world):
    unsaved = Period(kind="year", name="Năm 2030", start=datetime.date(2030, 1, 1))
    with pytest.raises(ValidationError, match="Kỳ giao chỉ tiêu không tồn tại"):
        S.set_quota(world.province, unsaved, "introduced", 5, world.users["province"])
    with pytest.raises(ValidationError, match="không có trong danh mục"):
        S.set_quota(world.province, period_2024(), "nope", 5, world.users["province"])
    with pytest.raises(ValidationError, match="lớn hơn 100%"):
        S.set_quota(world.province, period_2024(), "branch_heads_party_pct", 120, None)


def test_quota_is_handed_down(world):
    """A commune's quota is set by the province, not by the commune itself; a
    cadre of another commune cannot touch it."""
    w, period = world, period_2024()
    S.set_quota(w.commune_a, period, "introduced", 30, w.users["province"])
    for persona in ("commune_a", "commune_b", "branch_head", "party_a"):
        with pytest.raises(ValidationError, match="không có quyền"):
            S.set_quota(w.commune_a, period, "introduced", 40, w.users[persona])
    # the commune cadre hands hers down to her chi hội
    S.set_quota(w.branch_a1, period, "introduced", 10, w.users["commune_a"])
    with pytest.raises(ValidationError, match="không có quyền"):
        S.set_quota(w.branch_a1, period, "introduced", 10, w.users["commune_b"])
    # the province's own quota (from the central Hội) is typed in by the province
    S.set_quota(w.province, period, "introduced", 500, w.users["province"])
    with pytest.raises(ValidationError, match="không có quyền"):
        S.set_quota(w.province, period, "introduced", 1, w.users["commune_a"])


def test_allocate_is_all_or_nothing(world):
    w, period = world, period_2024()
    actor = w.users["province"]
    S.allocate(w.province, period, "introduced", {w.commune_a: 300, w.commune_b: 150}, actor)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        S.allocate(w.province, period, "introduced", {w.commune_a: 200, w.commune_b: -3}, actor)
    assert "không được âm" in str(exc.value)
    with pytest.raises(ValidationError, match="không phải là đơn vị trực thuộc"):
        S.allocate(w.province, period, "introduced", {w.commune_a: 1, w.branch_a1: 1}, actor)
    assert AuditEntry.objects.count() == before
    assert dict(Quota.objects.filter(period=period).values_list("unit_id", "value")) == {
        w.commune_a.pk: 300,
        w.commune_b.pk: 150,
    }
    # a blank takes a child's quota away; unchanged values are not rewritten
    assert (
        S.allocate(w.province, period, "introduced", {w.commune_a: 300, w.commune_b: None}, actor)
        == 1
    )
    assert not Quota.objects.filter(unit=w.commune_b).exists()
    assert AuditEntry.objects.filter(action="targets.quota.removed").count() == 1
    assert AuditEntry.objects.filter(action="targets.quota.allocated").count() == 2
    with pytest.raises(ValidationError, match="không có quyền"):
        S.allocate(w.commune_a, period, "introduced", {w.branch_a1: 1}, w.users["commune_b"])


@pytest.mark.parametrize(
    ("total", "level", "text"),
    [
        (
            450,
            "warning",
            "Giao chưa đủ: tổng đã giao cho các đơn vị trực thuộc là 450, thấp hơn chỉ tiêu "
            "được giao 500 (còn thiếu 50).",
        ),
        (
            520,
            "warning",
            "Giao vượt: tổng đã giao cho các đơn vị trực thuộc là 520, cao hơn chỉ tiêu "
            "được giao 500 (vượt 20).",
        ),
        (500, "success", "Đã giao đủ"),
    ],
)
def test_allocation_status(total, level, text):
    got_level, message = S.allocation_status(
        Decimal(500), [Decimal(300), Decimal(total - 300), None], "introduced"
    )
    assert got_level == level
    assert text in message


def test_allocation_status_without_own_quota_and_for_shares():
    assert S.allocation_status(None, [Decimal(3)], "introduced")[0] == "info"
    level, message = S.allocation_status(
        Decimal(50), [Decimal(40), Decimal(60)], "nonparty_heads_cultivated_pct"
    )
    assert level == "warning" and "1 đơn vị" in message and "không cộng dồn" in message


def test_manual_figures_validate_and_roll_up(world):
    w, period = world, period_2024()
    a, b = w.users["commune_a"], w.users["commune_b"]
    S.set_manual_figure(w.commune_a, period, "propaganda_sessions", 3, a)
    S.set_manual_figure(w.commune_b, period, "propaganda_sessions", 2, b)
    S.set_manual_figure(w.branch_a1, period, "propaganda_sessions", 1, a)
    S.set_manual_figure(w.commune_a, period, "model_1plus1_pct", 1, a)
    S.set_manual_figure(w.commune_b, period, "model_1plus1_pct", 0, b)
    with pytest.raises(ValidationError, match="0 \\(không\\) hoặc 1 \\(có\\)"):
        S.set_manual_figure(w.commune_a, period, "model_3co3biet_pct", 2, a)
    with pytest.raises(ValidationError, match="Chỉ cơ sở Hội"):
        S.set_manual_figure(w.branch_a1, period, "model_3co3biet_pct", 1, a)
    with pytest.raises(ValidationError, match="không được âm"):
        S.set_manual_figure(w.commune_a, period, "exemplars", -1, a)
    with pytest.raises(ValidationError, match="số nguyên"):
        S.set_manual_figure(w.commune_a, period, "exemplars", "1.5", a)
    with pytest.raises(ValidationError, match="không phải là số liệu tự nhập"):
        S.set_manual_figure(w.commune_a, period, "introduced", 1, a)
    with pytest.raises(ValidationError, match="không có quyền"):
        S.set_manual_figure(w.commune_a, period, "exemplars", 1, b)
    assert ManualFigure.objects.count() == 5
    assert AuditEntry.objects.filter(action="targets.figure.set").count() == 5

    values = figures(w.province, period, by_child=True)
    assert values["total"]["propaganda_sessions"] == 6
    assert values["children"][w.commune_a.pk]["propaganda_sessions"] == 4
    rows = {r.code: r for r in progress(w.province, period)}
    assert rows["model_1plus1_pct"].achieved == 50.0
    assert rows["model_1plus1_pct"].detail == "1 / 2"
    assert rows["propaganda_sessions"].achieved == 6


def test_create_period(world):
    province = world.users["province"]
    term = S.create_period(
        kind="term",
        start=datetime.date(2021, 10, 1),
        end=datetime.date(2026, 9, 30),
        actor=province,
    )
    assert term.name == "Nhiệm kỳ 2021–2026"
    year = S.create_period(kind="year", year=2025, actor=province)
    assert (year.start, year.end, year.name) == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
        "Năm 2025",
    )
    nine = S.create_period(kind="nine", year=2025, actor=None)
    assert nine.end == datetime.date(2025, 9, 30)
    half = S.create_period(kind="half", year=2025, name="Sơ kết 6 tháng 2025", actor=None)
    assert half.name == "Sơ kết 6 tháng 2025"
    mid = S.create_period(
        kind="mid_term",
        start=datetime.date(2021, 10, 1),
        end=datetime.date(2023, 12, 31),
        actor=None,
    )
    assert mid.name == "Giữa nhiệm kỳ 2021–2023"
    with pytest.raises(ValidationError, match="đã có"):
        S.create_period(kind="year", year=2025, actor=province)
    with pytest.raises(ValidationError, match="phải sau ngày bắt đầu"):
        S.create_period(
            kind="term", start=datetime.date(2026, 1, 1), end=datetime.date(2021, 1, 1), actor=None
        )
    with pytest.raises(ValidationError, match="nhập năm"):
        S.create_period(kind="year", actor=None)
    with pytest.raises(ValidationError, match="không có quyền"):
        S.create_period(kind="year", year=2027, actor=world.users["commune_a"])
    assert AuditEntry.objects.filter(action="targets.period.created").count() == 5
