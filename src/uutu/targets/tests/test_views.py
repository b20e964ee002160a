"""The quota pages: list, own quotas, allocation warnings, manual figures, periods."""

import datetime
from decimal import Decimal

from django.urls import reverse

from uutu.core.models import AuditEntry
from uutu.targets import services as S
from uutu.targets.models import ManualFigure, Period, Quota

from .helpers import period_2024


def _url(name, unit, period, **params):
    query = "&".join(f"{k}={v}" for k, v in {"period": period.pk, **params}.items())
    return f"{reverse(f'targets:{name}', args=[unit.pk])}?{query}"


def test_allocation_warns_under_and_over(world, login):
    w, period = world, period_2024()
    S.set_quota(w.province, period, "introduced", 500, w.users["province"])
    client = login(w.users["province"])
    url = _url("allocation", w.province, period, indicator="introduced")
    html = client.get(url).content.decode()
    assert 'data-testid="own-quota">500' in html
    assert "Hội LHPN Xã An Bình" in html and "Hội LHPN Xã Bình Minh" in html

    data = {
        "period": period.pk,
        "indicator": "introduced",
        f"child_{w.commune_a.pk}": "300",
        f"child_{w.commune_b.pk}": "150",
    }
    response = client.post(url, data, follow=True)
    html = response.content.decode()
    assert "Đã lưu phân bổ chỉ tiêu." in html
    assert "Giao chưa đủ" in html and "còn thiếu 50" in html
    assert 'data-testid="allocated-total">450' in html
    assert Quota.objects.get(unit=w.commune_b, period=period, indicator="introduced").value == 150

    data[f"child_{w.commune_b.pk}"] = "250"
    html = client.post(url, data, follow=True).content.decode()
    assert "Giao vượt" in html and "vượt 50" in html

    data[f"child_{w.commune_b.pk}"] = "200"
    html = client.post(url, data, follow=True).content.decode()
    assert "Đã giao đủ" in html

    data[f"child_{w.commune_b.pk}"] = "-4"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Không được nhập số âm." in response.content.decode()
    assert Quota.objects.get(unit=w.commune_b, period=period, indicator="introduced").value == 200


def test_allocation_without_own_quota(world, login):
    w, period = world, period_2024()
    client = login(w.users["commune_a"])
    html = client.get(_url("allocation", w.commune_a, period, indicator="admitted")).content
    assert "chưa được giao chỉ tiêu" in html.decode()


def test_quota_list_colours_by_status(world, login):
    w, period = world, Period.year(datetime.date.today().year)
    S.set_quota(w.commune_a, period, "introduced", 10, w.users["province"])
    S.set_quota(w.commune_a, period, "branch_heads_party_pct", 40, w.users["province"])
    client = login(w.users["commune_a"])
    url = f"{reverse('targets:quota_list')}?unit={w.commune_a.pk}&period={period.pk}"
    html = client.get(url).content.decode()
    assert "Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp" in html
    assert 'data-status="behind"' in html
    assert "bg-danger" in html  # 0 of 10 introduced
    assert "0 / 1" in html  # branch heads who are party members: n / N
    # the commune cadre cannot change her own quota (handed down) but allocates
    assert reverse("targets:quota_edit", args=[w.commune_a.pk]) not in html
    assert reverse("targets:allocation", args=[w.commune_a.pk]) in html
    # the default unit is her own commune
    assert "Hội LHPN Xã An Bình · Năm" in client.get(reverse("targets:quota_list")).content.decode()


def test_a_large_scope_picks_the_quota_unit_by_typing(world, login, monkeypatch):
    from uutu.core.testing import assert_unit_picker
    from uutu.orgs import forms as org_forms
    from uutu.orgs.forms import unit_label

    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 2)
    w, period = world, Period.year(datetime.date.today().year)
    S.set_quota(w.commune_b, period, "introduced", 7, w.users["province"])
    client = login(w.users["province"])
    page = client.get(reverse("targets:quota_list")).content.decode()
    assert_unit_picker(page, "unit", "targets")
    assert f'value="{unit_label(w.province)}"' in page  # her own unit, by default
    response = client.get(
        reverse("targets:quota_list"), {"unit": unit_label(w.commune_b), "period": period.pk}
    )
    assert response.context["unit"] == w.commune_b
    assert "Hội LHPN Xã Bình Minh · Năm" in response.content.decode()
    # the party committee's picker offers the Hội counterparts of her units
    found = login(w.users["party_a"]).get(
        reverse("orgs:unit_search"), {"for": "targets", "unit": "an binh"}
    )
    assert unit_label(w.commune_a) in found.content.decode()


def test_party_committee_sees_the_commune_quotas(world, login):
    w, period = world, period_2024()
    S.set_quota(w.commune_a, period, "introduced", 10, w.users["province"])
    html = login(w.users["party_a"]).get(reverse("targets:quota_list")).content.decode()
    assert "Hội LHPN Xã An Bình" in html
    assert reverse("targets:allocation", args=[w.commune_a.pk]) not in html


def test_quota_edit(world, login):
    w, period = world, period_2024()
    client = login(w.users["province"])
    url = _url("quota_edit", w.commune_a, period)
    response = client.post(url, {"introduced": "30", "introduced_branch_heads": "10"}, follow=True)
    assert "Đã lưu chỉ tiêu được giao." in response.content.decode()
    assert dict(Quota.objects.filter(unit=w.commune_a).values_list("indicator", "value")) == {
        "introduced": Decimal("30.0"),
        "introduced_branch_heads": Decimal("10.0"),
    }
    client.post(url, {"introduced": "30"})
    assert list(Quota.objects.filter(unit=w.commune_a).values_list("indicator", flat=True)) == [
        "introduced"
    ]
    assert AuditEntry.objects.filter(action="targets.quota.removed").count() == 1


def test_manual_figures_page(world, login):
    w, period = world, period_2024()
    client = login(w.users["commune_a"])
    url = _url("manual_figures", w.commune_a, period)
    html = client.get(url).content.decode()
    assert "Buổi tuyên truyền về Đảng" in html
    assert "Cơ sở Hội có thực hiện mô hình “1+1”" in html
    data = {"period": period.pk, "propaganda_sessions": "12", "propaganda_attendance": "450"}
    data["model_1plus1_pct"] = "1"
    data["model_3co3biet_pct"] = "0"
    response = client.post(url, data, follow=True)
    assert "Đã lưu số liệu của kỳ Năm 2024." in response.content.decode()
    values = dict(ManualFigure.objects.filter(unit=w.commune_a).values_list("indicator", "value"))
    assert values == {
        "propaganda_sessions": 12,
        "propaganda_attendance": 450,
        "model_1plus1_pct": 1,
        "model_3co3biet_pct": 0,
    }
    response = client.post(url, {**data, "exemplars": "-2"})
    assert "Không được nhập số âm." in response.content.decode()
    # a chi hội has no yes/no models
    html = client.get(_url("manual_figures", w.branch_a1, period)).content.decode()
    assert "“1+1”" not in html


def test_periods(world, login):
    client = login(world.users["province"])
    response = client.post(
        reverse("targets:period_create"),
        {"kind": "term", "start": "2021-10-01", "end": "2026-09-30"},
        follow=True,
    )
    html = response.content.decode()
    assert "Đã tạo kỳ mới." in html and "Nhiệm kỳ 2021–2026" in html
    response = client.post(reverse("targets:period_create"), {"kind": "year"})
    assert "Vui lòng nhập năm" in response.content.decode()
    assert Period.objects.count() == 1
