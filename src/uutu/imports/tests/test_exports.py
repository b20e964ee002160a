"""Exports: open the files and check the values, the real dates, the scope and the
formula neutralising."""

import datetime
import io

from django.urls import reverse
from openpyxl import load_workbook

from uutu.core.exports import write_xlsx
from uutu.people import services as people_services
from uutu.pipeline import services as pipeline_services


def sheet(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def rows_by_name(ws):
    header = [c.value for c in ws[1]]
    return header, {r[0].value: dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=2)}


def test_write_xlsx_neutralises_formulas_and_keeps_dates():
    data = write_xlsx(
        ["Chữ", "Ngày", "Số", "Có/không"],
        [
            ['=HYPERLINK("http://x","bấm")', datetime.date(2020, 2, 29), 3, True],
            ["+84912345678", None, 1.5, False],
            ["-2+3", None, None, None],
            ["@SUM(A1)", None, None, None],
            ["\t=1", None, None, None],
            ["Bình thường", None, None, None],
        ],
        "Thử",
    )
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == ["Chữ", "Ngày", "Số", "Có/không"]
    for row in range(2, 7):
        cell = ws.cell(row, 1)
        assert cell.data_type == "s", cell.value
        assert cell.quotePrefix is True, cell.value
    assert ws["A2"].value == '=HYPERLINK("http://x","bấm")'  # shown as typed, never run
    assert ws["A3"].value == "+84912345678"
    assert ws["A7"].quotePrefix is False
    assert ws["B2"].is_date and ws["B2"].value.date() == datetime.date(2020, 2, 29)
    assert ws["B2"].number_format == "DD/MM/YYYY"
    assert ws["C2"].value == 3 and ws["D2"].value == "Có" and ws["D3"].value == "Không"


def test_member_export_with_filter_scope_and_formula_cells(world, login):
    people_services.update_person(
        world.person_a1, actor=None, occupation="=cmd|' /C calc'!A0", residence="@Thôn Đông"
    )
    client = login(world.users["commune_a"])
    header, rows = rows_by_name(sheet(client.get(reverse("people:export"))))
    assert header[:4] == ["Họ và tên", "Ngày sinh", "Số CCCD", "Chi hội"]
    assert set(rows) == {"Nguyễn Thị Hoa", "Lê Thị Hòa"}  # not Trần Thị Ánh (commune B)
    hoa = rows["Nguyễn Thị Hoa"]
    assert hoa["Ngày sinh"].is_date and hoa["Ngày sinh"].value.date() == datetime.date(1990, 5, 17)
    assert hoa["Số CCCD"].value == "004190001234"
    assert hoa["Chi hội"].value == "Chi hội Thôn Đông"
    assert hoa["Hội LHPN xã"].value == "Hội LHPN Xã An Bình"
    assert hoa["Chức vụ"].value == "Chi hội trưởng"
    assert hoa["Ngày vào Hội"].is_date
    assert hoa["Nghề nghiệp"].value == "=cmd|' /C calc'!A0"
    assert hoa["Nghề nghiệp"].data_type == "s" and hoa["Nghề nghiệp"].quotePrefix
    assert hoa["Nơi ở hiện nay"].quotePrefix
    # The list's filter applies.
    _, rows = rows_by_name(sheet(client.get(reverse("people:export"), {"q": "hoa"})))
    assert set(rows) == {"Nguyễn Thị Hoa", "Lê Thị Hòa"}
    _, rows = rows_by_name(
        sheet(client.get(reverse("people:export"), {"unit": world.branch_a2.pk}))
    )
    assert set(rows) == {"Lê Thị Hòa"}
    # The branch head sees her own branch only.
    _, rows = rows_by_name(sheet(login(world.users["branch_head"]).get(reverse("people:export"))))
    assert set(rows) == {"Nguyễn Thị Hoa"}


def test_exported_members_reimport_unchanged(world, login, tmp_path, run_import):
    client = login(world.users["commune_a"])
    path = tmp_path / "xuat.xlsx"
    path.write_bytes(client.get(reverse("people:export")).content)
    imp = run_import(world.users["commune_a"], "people", path)
    assert (imp.to_create, imp.to_update, imp.unchanged, imp.error_count) == (0, 0, 2, 0), (
        imp.errors
    )


def test_case_deadline_and_class_exports(world, login):
    user = world.users["commune_a"]
    on = datetime.date.today() - datetime.timedelta(days=30)
    case = pipeline_services.open_case(world.person_a1, on=on, actor=user)
    pipeline_services.open_case(world.person_b1, on=on, actor=world.users["commune_b"])
    client = login(user)
    header, rows = rows_by_name(sheet(client.get(reverse("pipeline:case_export"))))
    assert set(rows) == {"Nguyễn Thị Hoa"}
    row = rows["Nguyễn Thị Hoa"]
    assert row["Bước hiện tại"].value == "Tạo nguồn"
    assert row["Ngày tạo nguồn"].is_date and row["Ngày tạo nguồn"].value.date() == on
    assert row["Ngày sinh"].is_date
    _, rows = rows_by_name(
        sheet(client.get(reverse("pipeline:case_export"), {"step": "introduced"}))
    )
    assert rows == {}

    # Deadlines: an overdue decision after the cell's resolution.
    case.due_step, case.due_on = "decision", datetime.date.today() - datetime.timedelta(days=3)
    case.save(update_fields=["due_step", "due_on"])
    ws = sheet(client.get(reverse("pipeline:deadlines_export")))
    assert [c.value for c in ws[1]][:4] == ["Hạn", "Tình trạng", "Số ngày quá hạn", "Họ và tên"]
    due, status, days, name = (c.value for c in ws[2][:4])
    assert due.date() == case.due_on and status == "Quá hạn" and days == 3
    assert name == "Nguyễn Thị Hoa"

    klass = pipeline_services.create_class(
        organiser=world.party_a,
        title="+Lớp khóa 1",
        start=datetime.date(2025, 5, 1),
        end=datetime.date(2025, 5, 5),
        actor=None,
    )
    ws = sheet(login(world.users["party_a"]).get(reverse("pipeline:class_export")))
    assert [c.value for c in ws[1]][:3] == ["Tên lớp", "Đơn vị tổ chức", "Từ ngày"]
    assert ws["A2"].value == klass.title and ws["A2"].quotePrefix
    assert ws["C2"].is_date
