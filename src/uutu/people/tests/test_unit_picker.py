"""The chi hội of a new member and of a move: a dropdown for a small scope, the
search-as-you-type picker (``orgs:unit_search?for=people_add`` / ``people_move``)
for a large one, and either way only the chi hội of the user's scope."""

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
from uutu.people.models import Person
from uutu.people.views import ADD, MOVE, _branches

TODAY = datetime.date.today()


def _member(branch):
    return {
        "branch": branch,
        "full_name": "Vi Thị Thu",
        "birth_date": "1990-02-03",
        "ethnicity": "Tày",
        "religion": "none",
        "education": "upper_secondary",
    }


def _options(response) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', response.text)]


def test_a_small_scope_keeps_the_dropdown(world, login):
    page = login(world.users["commune_a"]).get(reverse("people:create")).content.decode()
    assert_unit_dropdown(page, "branch", world.branch_a2, world.branch_b1)


def test_a_large_scope_gets_the_picker_and_its_label_adds_the_member(world, login, monkeypatch):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 1)
    client = login(world.users["commune_a"])
    page = client.get(reverse("people:create")).content.decode()
    assert_unit_picker(page, "branch", "people_add")
    assert f'<option value="{world.branch_a2.pk}"' not in page
    # A link "add a member to this chi hội" (?chi_hoi=<id>) fills the picker.
    page = client.get(reverse("people:create"), {"chi_hoi": world.branch_a2.pk}).text
    assert f'value="{escape(unit_label(world.branch_a2))}"' in page

    response = client.post(reverse("people:create"), _member(unit_label(world.branch_a2)))
    assert response.status_code == 302
    assert Person.objects.get(full_name="Vi Thị Thu").branch == world.branch_a2


@pytest.mark.parametrize("dropdown_max", [1, 60])
@pytest.mark.parametrize(
    "unit, how",
    [
        ("branch_b1", "id"),  # commune B's chi hội
        ("branch_b1", "label"),
        ("branch_b1", "name"),
        ("commune_a", "id"),  # in her scope, but not a chi hội
        ("commune_a", "name"),
    ],
)
def test_a_branch_outside_the_scope_is_refused(world, login, monkeypatch, dropdown_max, unit, how):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", dropdown_max)
    other = getattr(world, unit)
    value = {"id": other.pk, "label": unit_label(other), "name": other.name}[how]
    n = Person.objects.count()
    response = login(world.users["commune_a"]).post(reverse("people:create"), _member(value))
    assert response.status_code == 200
    message = f"Không tìm thấy đơn vị “{value}” trong phạm vi của bạn."
    assert message in response.context["form"].errors["branch"]
    assert escape(message) in response.text
    assert Person.objects.count() == n


def test_a_move_through_the_picker(world, login, monkeypatch):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 1)
    person = world.person_a1  # in chi hội Thôn Đông
    client = login(world.users["province"])
    url = reverse("people:move", args=[person.pk])
    assert_unit_picker(client.get(url).text, "to_branch", "people_move")
    data = {"on": TODAY.isoformat(), "reason": "Theo gia đình"}
    # Her own chi hội is not offered, by label nor by id.
    for value in (unit_label(world.branch_a1), world.branch_a1.pk):
        response = client.post(url, {**data, "to_branch": value})
        assert response.status_code == 200
        assert "Không tìm thấy đơn vị" in response.context["form"].errors["to_branch"][0]
    response = client.post(url, {**data, "to_branch": unit_label(world.branch_b1)})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.branch == world.branch_b1


@pytest.mark.parametrize("dropdown_max", [0, 60])
@pytest.mark.parametrize("how", ["id", "label", "name"])
def test_a_move_outside_the_scope_is_refused(world, login, monkeypatch, dropdown_max, how):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", dropdown_max)
    person = world.person_a1
    other = world.branch_b1
    value = {"id": other.pk, "label": unit_label(other), "name": other.name}[how]
    response = login(world.users["commune_a"]).post(
        reverse("people:move", args=[person.pk]),
        {"to_branch": value, "on": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert (
        f"Không tìm thấy đơn vị “{value}” trong phạm vi của bạn."
        in response.context["form"].errors["to_branch"]
    )
    person.refresh_from_db()
    assert person.branch == world.branch_a1


@pytest.mark.parametrize("purpose, action", [("people_add", ADD), ("people_move", MOVE)])
@pytest.mark.parametrize("persona", ["commune_a", "province"])
@pytest.mark.parametrize("words", ["thon", "chi hoi", "xa", "dong"])
def test_the_search_offers_only_branches_the_form_accepts(
    world, login, purpose, action, persona, words
):
    user = world.users[persona]
    response = login(user).get(reverse("orgs:unit_search"), {"for": purpose, "q": words})
    labels = _options(response)
    branches = _branches(user, action)
    expected = sorted(
        unit_label(u) for u in branches if all(w in fold(u.name) for w in words.split())
    )
    assert sorted(labels) == expected
    if words != "xa":  # no chi hội is named "xã": neither the commune nor the party unit
        assert expected
    field = org_forms.ScopedUnitField()
    field.offer(branches, purpose)
    for label in labels:
        assert field.clean(label) in branches
    if persona == "commune_a":
        assert unit_label(world.branch_b1) not in labels
