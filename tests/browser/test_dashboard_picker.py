"""A province cadre whose scope is too large for a dropdown finds a commune's
dashboard by typing part of its name without accents: the picker offers it, she
picks it, and the dashboard shows that commune. A name that matches nothing is
said in Vietnamese and leaves her own dashboard."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from uutu.core.testing import build_world
from uutu.emulation import selection
from uutu.orgs.forms import unit_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_province_cadre_types_a_commune_name(live_server, desktop, shot, log_in, monkeypatch):
    monkeypatch.setattr(selection, "DROPDOWN_MAX", 3)  # the test world is small
    world = build_world()
    base = live_server.url
    page = desktop
    log_in(page, "tinh")

    page.goto(base + reverse("reports:dashboard"))
    picker = page.locator("#id_unit")
    expect(picker).to_have_value(unit_label(world.province))
    picker.fill("binh minh")  # typed without accents
    option = page.locator("#id_unit-options option")
    expect(option.first).to_have_attribute("value", unit_label(world.commune_b))
    picker.fill(option.first.get_attribute("value"))  # what choosing the suggestion does
    page.locator("[data-testid=dashboard-filter] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("dashboard-scope")).to_contain_text(world.commune_b.name)
    shot(page, "dashboard-picker")

    picker = page.locator("#id_unit")
    picker.fill("Xã Không Có")
    page.locator("[data-testid=dashboard-filter] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("Không tìm thấy đơn vị “Xã Không Có”")
    expect(page.get_by_test_id("dashboard-scope")).to_contain_text(world.province.name)
