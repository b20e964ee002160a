"""The unit of a new report and the parent unit of the overview and of the
deadlines: a dropdown for a small scope, the search-as-you-type picker
(``orgs:unit_search?for=reports`` / ``reports_overview``) for a large one, and
either way only the units of the user's scope."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from uutu.core.testing import assert_unit_dropdown, assert_unit_picker
from uutu.core.text import fold
from uutu.orgs import forms as org_forms
from uutu.orgs.forms import unit_label
from uutu.reports.models import Report, ReportDeadline
from uutu.reports.views import _parent_units, _units

TODAY = datetime.date.today()


def _options(response) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', response.text)]


def _value(unit, how):
    return {"id": unit.pk, "label": unit_label(unit), "name": unit.name}[how]


def _refused(response, value):
    assert response.status_code == 200
    message = f"Không tìm thấy đơn vị “{value}” trong phạm vi của bạn."
    assert message in response.context["form"].errors["unit"]


# --- a new report -----------------------------------------------------------------


def test_report_create_small_scope_keeps_the_dropdown(world, login):
    page = login(world.users["commune_a"]).get(reverse("reports:report_create")).text
    assert_unit_dropdown(page, "unit", world.commune_a, world.commune_b)


def test_report_create_large_scope_gets_the_picker(world, login, monkeypatch):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 1)
    client = login(world.users["commune_a"])
    page = client.get(reverse("reports:report_create")).text
    assert_unit_picker(page, "unit", "reports")
    assert f'<option value="{world.branch_a1.pk}"' not in page
    response = client.post(
        reverse("reports:report_create"),
        {"unit": unit_label(world.commune_a), "kind": "annual", "year": TODAY.year},
    )
    assert response.status_code == 302
    assert Report.objects.get().unit == world.commune_a


@pytest.mark.parametrize("dropdown_max", [1, 60])
@pytest.mark.parametrize(
    "persona, unit, how",
    [
        ("commune_a", "commune_b", "id"),
        ("commune_a", "commune_b", "label"),
        ("commune_a", "commune_b", "name"),
        ("commune_a", "province", "id"),  # her parent
        ("admin", "hoi_root", "id"),  # the central level writes no periodic report
        ("admin", "hoi_root", "name"),
    ],
)
def test_report_create_refuses_a_unit_outside_the_scope(
    world, login, monkeypatch, dropdown_max, persona, unit, how
):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", dropdown_max)
    value = _value(getattr(world, unit), how)
    response = login(world.users[persona]).post(
        reverse("reports:report_create"), {"unit": value, "kind": "annual", "year": TODAY.year}
    )
    _refused(response, value)
    assert not Report.objects.exists()


# --- the parent's overview and the deadlines ----------------------------------------


def test_overview_large_scope_gets_the_picker(world, login, monkeypatch):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 1)
    client = login(world.users["province"])
    url = reverse("reports:report_children")
    page = client.get(url).text
    assert_unit_picker(page, "unit", "reports_overview")
    # Her highest unit is chosen at first, shown by its label.
    assert f'value="{escape(unit_label(world.province))}"' in page
    response = client.get(
        url, {"unit": unit_label(world.commune_a), "kind": "annual", "year": TODAY.year}
    )
    assert response.context["form"].cleaned_data["unit"] == world.commune_a
    rows = response.context["overview"]["rows"]
    assert {r.unit for r in rows} == {world.branch_a1, world.branch_a2}
    # The deadline page too, and the picker's label sets the deadline.
    url = reverse("reports:deadline_set")
    assert_unit_picker(client.get(url).text, "unit", "reports_overview")
    due = datetime.date(TODAY.year, 7, 10)
    data = {"kind": "six_monthly", "year": TODAY.year, "due": due.isoformat()}
    response = client.post(url, {**data, "unit": unit_label(world.commune_b)})
    assert response.status_code == 302
    assert ReportDeadline.objects.get().unit == world.commune_b


def test_overview_small_scope_keeps_the_dropdown(world, login):
    page = login(world.users["commune_a"]).get(reverse("reports:report_children")).text
    assert '<select name="unit"' in page
    assert f'<option value="{world.commune_a.pk}" selected>' in page


@pytest.mark.parametrize("dropdown_max", [0, 60])
@pytest.mark.parametrize(
    "unit, how",
    [
        ("commune_a", "id"),  # a sibling
        ("commune_a", "label"),
        ("commune_a", "name"),
        ("province", "id"),  # her parent
        ("branch_b1", "id"),  # her own chi hội: no children to oversee
        ("branch_b1", "name"),
    ],
)
def test_overview_and_deadline_refuse_a_unit_outside_the_scope(
    world, login, monkeypatch, dropdown_max, unit, how
):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", dropdown_max)
    value = _value(getattr(world, unit), how)
    client = login(world.users["commune_b"])
    params = {"unit": value, "kind": "annual", "year": TODAY.year}
    response = client.get(reverse("reports:report_children"), params)
    _refused(response, value)
    assert response.context["overview"] is None
    due = datetime.date(TODAY.year, 12, 20).isoformat()
    response = client.post(reverse("reports:deadline_set"), {**params, "due": due})
    _refused(response, value)
    assert not ReportDeadline.objects.exists()


@pytest.mark.parametrize("persona", ["commune_a", "province", "party_a", "admin"])
@pytest.mark.parametrize(
    "purpose, words",
    [
        ("reports", "thon"),
        ("reports", "xa an"),
        ("reports", "tinh"),
        ("reports", "viet nam"),  # the central level is not offered
        ("reports_overview", "xa"),
        ("reports_overview", "tinh"),
        ("reports_overview", "viet nam"),
    ],
)
def test_the_search_offers_only_units_the_form_accepts(world, login, persona, purpose, words):
    user = world.users[persona]
    response = login(user).get(reverse("orgs:unit_search"), {"for": purpose, "q": words})
    labels = _options(response)
    units = _units(user, "reports") if purpose == "reports" else _parent_units(user)
    expected = sorted(
        unit_label(u)
        for u in units.select_related("parent")
        if all(w in fold(u.name) for w in words.split())
    )
    assert sorted(labels) == expected
    if persona in ("province", "admin") and words != "viet nam":
        assert expected
    field = org_forms.ScopedUnitField()
    field.offer(units, purpose)
    for label in labels:
        assert field.clean(label) in units
    assert world.hoi_root.name not in labels and world.dang_root.name not in labels
    if persona == "commune_a":
        assert unit_label(world.commune_b) not in labels
