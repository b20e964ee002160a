"""A province cadre adds a member: her province has too many chi hội for a
dropdown, so she types part of the chi hội's name without accents, the picker
offers it (htmx sends the field's own name, ``branch``, to the search), she picks
it and the member is saved in that chi hội."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from uutu.core.testing import build_world
from uutu.orgs import forms as org_forms
from uutu.orgs.forms import unit_label
from uutu.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_province_cadre_picks_a_chi_hoi_by_typing(live_server, desktop, shot, log_in, monkeypatch):
    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 1)  # the test world is small
    world = build_world()
    base = live_server.url
    page = desktop
    log_in(page, "tinh")

    page.goto(base + reverse("people:create"))
    picker = page.locator("#id_branch")
    picker.fill("thon tay")  # typed without accents
    option = page.locator("#id_branch-options option")
    expect(option).to_have_count(1)
    expect(option.first).to_have_attribute("value", unit_label(world.branch_a2))
    picker.fill(option.first.get_attribute("value"))  # what choosing the suggestion does
    page.fill("input[name=full_name]", "Vi Thị Thu")
    page.fill("input[name=birth_date]", "1990-02-03")
    shot(page, "member-branch-picker")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("Vi Thị Thu")
    assert Person.objects.get(full_name="Vi Thị Thu").branch == world.branch_a2
