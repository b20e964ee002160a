"""The unit of a new account or of a granted role: a dropdown for a small scope, the
search-as-you-type picker (``orgs:unit_search?for=accounts``) for a large one, and
either way only the units the user manages."""

import html
import re

import pytest
from django.urls import reverse

from uutu.accounts.models import RoleAssignment, User
from uutu.accounts.roles import Role
from uutu.accounts.views import _manageable_units
from uutu.core.testing import assert_unit_dropdown, assert_unit_picker
from uutu.core.text import fold
from uutu.orgs import forms as org_forms
from uutu.orgs.forms import unit_label

PASSWORD = "Mot-mat-khau-dai-2026"


def _new_account(unit, username="moi"):
    return {
        "username": username,
        "full_name": "Người Mới",
        "unit": unit,
        "role": Role.BRANCH_HEAD,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


def _options(response) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', response.text)]


def test_a_small_scope_keeps_the_dropdown(world, login):
    page = login(world.users["commune_a"]).get(reverse("accounts:user_create")).content.decode()
    assert_unit_dropdown(page, "unit", world.branch_a2, world.branch_b1)


def test_a_large_scope_gets_the_picker_and_its_label_creates_the_account(world, login, monkeypatch):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 2)
    client = login(world.users["commune_a"])
    page = client.get(reverse("accounts:user_create")).content.decode()
    assert_unit_picker(page, "unit", "accounts")
    assert f'<option value="{world.branch_a2.pk}"' not in page

    response = client.post(
        reverse("accounts:user_create"), _new_account(unit_label(world.branch_a2))
    )
    assert response.status_code == 302
    assignment = User.objects.get(username="moi").assignments.get()
    assert (assignment.unit, assignment.role) == (world.branch_a2, Role.BRANCH_HEAD)


@pytest.mark.parametrize("dropdown_max", [2, 60])
@pytest.mark.parametrize("how", ["id", "label", "name"])
def test_a_unit_outside_the_scope_is_refused(world, login, monkeypatch, dropdown_max, how):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", dropdown_max)
    other = world.branch_b1  # commune B's chi hội
    value = {"id": other.pk, "label": unit_label(other), "name": other.name}[how]
    response = login(world.users["commune_a"]).post(
        reverse("accounts:user_create"), _new_account(value)
    )
    assert response.status_code == 200
    assert (
        f"Không tìm thấy đơn vị “{value}” trong phạm vi của bạn."
        in response.context["form"].errors["unit"]
    )
    assert not User.objects.filter(username="moi").exists()


def test_a_role_on_a_unit_outside_the_scope_is_refused(world, login, monkeypatch):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 2)
    client = login(world.users["commune_a"])
    head = world.users["branch_head"]
    n = RoleAssignment.objects.count()
    url = reverse("accounts:role_grant", args=[head.pk])
    response = client.post(
        url, {"unit": unit_label(world.branch_b1), "role": Role.BRANCH_HEAD}, follow=True
    )
    assert "Không tìm thấy đơn vị “Chi hội Thôn Bắc (Hội LHPN Xã Bình Minh)”" in response.text
    assert RoleAssignment.objects.count() == n
    # The picker's label of a unit in her scope grants the role there.
    client.post(url, {"unit": unit_label(world.branch_a2), "role": Role.BRANCH_HEAD})
    assert head.assignments.filter(unit=world.branch_a2, is_active=True).exists()


@pytest.mark.parametrize("persona", ["commune_a", "province", "party_a"])
@pytest.mark.parametrize("words", ["thon", "xa an", "chi"])
def test_the_search_offers_only_units_the_form_accepts(world, login, persona, words):
    user = world.users[persona]
    response = login(user).get(reverse("orgs:unit_search"), {"for": "accounts", "q": words})
    labels = _options(response)
    units = _manageable_units(user)
    expected = sorted(
        unit_label(u)
        for u in units.select_related("parent")
        if all(w in fold(u.name) for w in words.split())
    )
    assert expected and sorted(labels) == expected
    field = org_forms.ScopedUnitField()
    field.offer(units, "accounts")
    for label in labels:
        assert field.clean(label) in units
    if persona == "commune_a":
        assert unit_label(world.branch_b1) not in labels
