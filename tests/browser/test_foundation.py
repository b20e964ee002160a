"""Foundation journeys in a real browser (Playwright + Debian Chromium)."""

import datetime

import pytest
from playwright.sync_api import expect

from uutu.core.testing import PASSWORD, build_world
from uutu.pipeline import services as pipeline_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, username):
    page.goto(f"{base}/tai-khoan/dang-nhap/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_commune_cadre_finds_and_edits_a_member(live_server, desktop, shot):
    world = build_world()
    page = desktop
    _log_in(page, live_server.url, "xa_a")
    assert "Cán bộ Hội LHPN xã" in page.inner_text("[data-testid=nav-scope]")
    page.click("nav >> text=Hội viên")
    page.click("text=Danh sách hội viên")
    rows = page.locator("[data-testid=people-table] tbody tr")
    assert rows.count() == 2
    # Typing filters the list in place (htmx), without pressing the button.
    page.fill("input[name=q]", "nguyen thi hoa")
    expect(rows).to_have_count(1)
    assert "q=nguyen" in page.url
    assert "Nguyễn Thị Hoa" in rows.first.inner_text()
    shot(page, "foundation-search")
    rows.first.locator("a").click()
    page.click("text=Sửa")
    page.fill("input[name=birth_date]", "2099-01-01")
    page.click("button:has-text('Lưu')")
    assert "Ngày sinh không được ở tương lai." in page.content()
    shot(page, "foundation-error")
    page.fill("input[name=birth_date]", "1990-05-17")
    page.fill("input[name=occupation]", "Giáo viên")
    page.click("button:has-text('Lưu')")
    assert "Đã lưu thông tin hội viên." in page.content()
    world.person_a1.refresh_from_db()
    assert world.person_a1.occupation == "Giáo viên"


def test_branch_head_on_a_phone(live_server, phone, shot):
    world = build_world()
    page = phone
    _log_in(page, live_server.url, "chihoi")
    assert _no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/hoi-vien/")
    assert _no_horizontal_scroll(page)
    assert "Nguyễn Thị Hoa" in page.content()
    assert "Lê Thị Hòa" not in page.content()  # another branch
    page.click("text=Nguyễn Thị Hoa")
    page.click("text=Cập nhật liên hệ")
    page.fill("input[name=phone]", "0987000111")
    page.click("button:has-text('Lưu')")
    assert "Đã cập nhật thông tin liên hệ." in page.content()
    assert _no_horizontal_scroll(page)
    shot(page, "foundation-phone-branch-head")
    world.person_a1.refresh_from_db()
    assert world.person_a1.phone == "0987000111"

    # Her other daily task: follow the candidate of her branch and note how she does.
    case = pipeline_services.open_case(world.person_a2, on=datetime.date.today(), actor=None)
    case.branch = world.branch_a1  # a candidate of her branch
    case.save(update_fields=["branch"])
    page.goto(f"{live_server.url}/phat-trien-dang/")
    assert _no_horizontal_scroll(page)
    page.click("text=Lê Thị Hòa")
    assert _no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/phat-trien-dang/{case.pk}/ghi-chep/")
    page.fill("textarea[name=text]", "Chị tham gia tốt buổi sinh hoạt chi hội tháng này.")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "Chị tham gia tốt buổi sinh hoạt" in page.content()
    assert _no_horizontal_scroll(page)
    shot(page, "foundation-phone-note")
