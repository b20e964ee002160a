"""A commune cadre imports her member list in a real browser: the first file has two
bad rows, she fixes them, imports again and finds the members in the list."""

import datetime

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from uutu.core.testing import PASSWORD, build_world
from uutu.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["Họ và tên", "Ngày sinh", "Số CCCD", "Chi hội", "Điện thoại", "Dân tộc"]


def _file(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _upload(page, base, path):
    page.goto(f"{base}/nhap-du-lieu/tai-len/hoi-vien/")
    page.set_input_files("input[type=file]", str(path))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_import_with_two_bad_rows_fixed_then_imported(live_server, desktop, shot, tmp_path):
    build_world()
    base, page = live_server.url, desktop
    page.goto(f"{base}/tai-khoan/dang-nhap/")
    page.fill("input[name=username]", "xa_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")

    good = [
        [
            "Phạm Thị Hường",
            datetime.datetime(1985, 3, 4),
            "001185001111",
            "Chi hội Thôn Đông",
            "0987654321",
            "Kinh",
        ],
        ["Vi Thị Lan", "12/11/1992", "", "thon tay", "", "Tày"],
    ]
    bad = [
        ["Hà Thị Ngọc", "31/02/1990", "", "Chi hội Thôn Đông", "", "Tày"],  # no such date
        ["Lò Thị Xuân", "01/01/1991", "", "Chi hội Thôn Bắc", "", "Thái"],  # commune B
    ]
    _upload(page, base, _file(tmp_path / "lan-1.xlsx", good + bad))
    errors = page.locator("[data-testid=import-errors]")
    expect(errors).to_contain_text("Dòng 4")
    expect(errors).to_contain_text("Ngày sinh")
    expect(errors).to_contain_text("Dòng 5")
    expect(page.locator("[data-testid=import-commit]")).to_have_count(0)
    shot(page, "import-1-errors")
    assert not Person.objects.filter(full_name="Phạm Thị Hường").exists()

    fixed = [
        ["Hà Thị Ngọc", "28/02/1990", "", "Chi hội Thôn Đông", "", "Tày"],
        ["Lò Thị Xuân", "01/01/1991", "", "Chi hội Thôn Tây", "", "Thái"],
    ]
    _upload(page, base, _file(tmp_path / "lan-2.xlsx", good + fixed))
    expect(page.locator("[data-testid=count-create]")).to_have_text("4")
    page.click("[data-testid=import-commit]")
    page.wait_for_load_state()
    expect(page.locator("[data-testid=import-status]")).to_contain_text("Đã nhập")
    shot(page, "import-2-done")

    page.goto(f"{base}/hoi-vien/?q=thi")
    for name in ("Phạm Thị Hường", "Vi Thị Lan", "Hà Thị Ngọc", "Lò Thị Xuân"):
        expect(page.locator("[data-testid=people-table]")).to_contain_text(name)
    assert Person.objects.filter(branch__name="Chi hội Thôn Tây", full_name="Lò Thị Xuân").exists()
