"""Member import with real files: every kind of bad cell, each encoding, a
re-import that changes nothing, and a failure halfway that changes nothing."""

import datetime

import pytest
from openpyxl import load_workbook

from uutu.core.models import AuditEntry
from uutu.imports import services
from uutu.imports.models import Import, Kind, Status
from uutu.orgs import services as org_services
from uutu.people.models import Person

from .files import PEOPLE_HEADER, csv_file, xlsx

P = Kind.PEOPLE
TOMORROW = datetime.date.today() + datetime.timedelta(days=1)


def good_rows():
    return [
        [
            "Phạm Thị Hường",
            datetime.datetime(1985, 3, 4),
            "001185001111",
            "Chi hội Thôn Đông",
            "0987654321",
            "Kinh",
        ],
        ["vũ thị  lan", "12/11/1992", 1192002222, "thôn đông", 912000111, "Tày"],
        ["Đỗ Thị Mai", "01/02/1970", "", "Thon Tay", "", ""],
    ]


def errors_of(imp):
    return [services.format_error(e) for e in imp.errors]


def test_preview_then_commit_creates_members_through_the_services(world, tmp_path, run_import):
    user = world.users["commune_a"]
    path = xlsx(tmp_path / "hoi-vien.xlsx", PEOPLE_HEADER, good_rows())
    before = Person.objects.count()
    imp = run_import(user, P, path)
    assert imp.status == Status.READY, errors_of(imp)
    assert (imp.to_create, imp.to_update, imp.unchanged, imp.error_count) == (3, 0, 0, 0)
    assert Person.objects.count() == before  # the preview writes nothing

    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE
    assert (imp.created, imp.updated) == (3, 0)
    huong = Person.objects.get(cccd="001185001111")
    assert huong.branch == world.branch_a1
    assert huong.birth_date == datetime.date(1985, 3, 4)
    lan = Person.objects.get(full_name="Vũ Thị Lan")
    assert lan.cccd == "001192002222"  # the number cell lost its leading zeros in Excel
    assert lan.phone == "0912000111"
    assert lan.ethnicity == "Tày"
    mai = Person.objects.get(full_name="Đỗ Thị Mai")
    assert mai.branch == world.branch_a2 and mai.cccd is None and mai.ethnicity == "Kinh"
    assert mai.memberships.count() == 1  # through create_person

    # Every change is audited with the import as its source.
    rows = AuditEntry.objects.filter(request_id=f"import-{imp.pk}")
    created = rows.filter(action="people.person.created")
    assert created.count() == 3
    assert set(created.values_list("source", flat=True)) == {"import"}
    assert set(created.values_list("user", flat=True)) == {user.pk}
    summary = rows.get(action="imports.import.committed")
    assert summary.after["import"] == imp.pk and summary.after["created"] == 3


def test_reimport_of_the_same_file_changes_nothing(world, tmp_path, run_import):
    user = world.users["commune_a"]
    path = xlsx(tmp_path / "hoi-vien.xlsx", PEOPLE_HEADER, good_rows())
    run_import(user, P, path, commit=True)
    count, audits = Person.objects.count(), AuditEntry.objects.count()

    again = run_import(user, P, path)
    assert again.status == Status.READY
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 3)
    assert not again.can_commit  # nothing to do
    assert Person.objects.count() == count
    assert AuditEntry.objects.count() == audits


def test_a_changed_cell_updates_the_matched_member(world, tmp_path, run_import):
    user = world.users["commune_a"]
    run_import(user, P, xlsx(tmp_path / "a.xlsx", PEOPLE_HEADER, good_rows()), commit=True)
    rows = good_rows()
    rows[0][4] = "0911222333"  # new phone, matched on CCCD
    rows[2][4] = "0944555666"  # matched on name + birth date + branch (no CCCD)
    imp = run_import(user, P, xlsx(tmp_path / "b.xlsx", PEOPLE_HEADER, rows), commit=True)
    assert (imp.created, imp.updated, imp.unchanged) == (0, 2, 1)
    assert Person.objects.get(cccd="001185001111").phone == "0911222333"
    assert Person.objects.get(full_name="Đỗ Thị Mai").phone == "0944555666"
    assert (
        AuditEntry.objects.filter(
            request_id=f"import-{imp.pk}", action="people.person.updated", source="import"
        ).count()
        == 2
    )


def test_world_member_matched_by_cccd_is_unchanged(world, tmp_path, run_import):
    rows = [["Nguyễn Thị Hoa", "17/05/1990", "004190001234", "Chi hội Thôn Đông", "", "Tày"]]
    imp = run_import(world.users["commune_a"], P, xlsx(tmp_path / "a.xlsx", PEOPLE_HEADER, rows))
    assert (imp.to_create, imp.to_update, imp.unchanged) == (0, 0, 1)


def test_every_kind_of_bad_cell_is_reported_by_row_and_column(world, tmp_path, run_import):
    lv = world.levels
    # A second "Thôn Đông" in commune B makes the name ambiguous for the province.
    org_services.create_unit(
        parent=world.commune_b, level=lv["hoi_branch"], name="Chi hội Thôn Đông", code="99002-CH09"
    )
    rows = [
        ["Lò Thị Một", "31/02/1990", "", "Chi hội Thôn Đông", "", ""],  # 2: impossible date
        ["Lò Thị Hai", "hôm qua", "", "Chi hội Thôn Đông", "", ""],  # 3: not a date
        ["Lò Thị Ba", "01/01/1990", "12345", "Chi hội Thôn Đông", "", ""],  # 4: short CCCD
        ["Lò Thị Bốn", "01/01/1990", "001090001234", "Chi hội Thôn Đông", "", ""],  # 5: male
        ["Lò Thị Năm", "01/01/1990", "", "Chi hội Thôn Nam", "", ""],  # 6: unknown unit
        ["Lò Thị Sáu", "01/01/1990", "", "Chi hội Thôn Bắc", "", ""],  # 7: out of scope
        ["Lò Thị Bảy", TOMORROW.strftime("%d/%m/%Y"), "", "Thôn Đông", "", ""],  # 8: future
        ["Lò Thị Tám", "01/01/1991", "001191003333", "Thôn Đông", "", ""],  # 9: fine
        ["Lò Thị Tám", "01/01/1991", "001191003333", "Thôn Đông", "", ""],  # 10: duplicate
        ["Lò Thị Chín", "01/01/1990", "", "Thôn Đông", "", "Kinhh"],  # 11: ethnicity
    ]
    path = xlsx(tmp_path / "loi.xlsx", PEOPLE_HEADER, rows)
    before = Person.objects.count()
    imp = run_import(world.users["commune_a"], P, path)
    assert imp.status == Status.INVALID
    errors = errors_of(imp)
    text = "\n".join(errors)
    assert "Dòng 2, cột Ngày sinh: “31/02/1990” không phải là ngày hợp lệ" in text
    assert "Dòng 3, cột Ngày sinh: “hôm qua” không phải là ngày hợp lệ" in text
    assert "Dòng 4, cột Số CCCD: “12345”: số CCCD phải gồm đúng 12 chữ số." in text
    assert any(e.startswith("Dòng 5, cột Số CCCD:") and "giới tính nam" in e for e in errors)
    assert (
        "Dòng 6, cột Chi hội: Không tìm thấy chi hội “Chi hội Thôn Nam” trong phạm vi của bạn."
        in text
    )
    assert "Dòng 7, cột Chi hội: Chi hội “Chi hội Thôn Bắc” nằm ngoài phạm vi quản lý" in text
    assert "Dòng 8, cột Ngày sinh: Ngày sinh không được ở tương lai" in text
    assert "Dòng 10: trùng với dòng 9 (cùng số CCCD)." in text
    assert "Dòng 11, cột Dân tộc:" in text
    assert not any(e.startswith("Dòng 9") for e in errors)
    assert imp.error_count == 9 and imp.to_create == 1
    assert not imp.can_commit
    assert not services.queue_commit(imp)
    assert Person.objects.count() == before

    # The province sees both "Thôn Đông": ambiguous, unless the commune is given.
    province = world.users["province"]
    rows = [["Lò Thị Mười", "01/01/1990", "", "thôn đông", "", ""]]
    imp = run_import(province, P, xlsx(tmp_path / "mo-ho.xlsx", PEOPLE_HEADER, rows))
    (error,) = errors_of(imp)
    assert error.startswith("Dòng 2, cột Chi hội: “thôn đông” khớp với nhiều chi hội")
    header = [*PEOPLE_HEADER, "Hội LHPN xã"]
    rows = [["Lò Thị Mười", "01/01/1990", "", "thôn đông", "", "", "Xã An Bình"]]
    imp = run_import(province, P, xlsx(tmp_path / "ro.xlsx", header, rows))
    assert imp.status == Status.READY and imp.to_create == 1, errors_of(imp)


def test_missing_column_and_unreadable_file(world, tmp_path, run_import):
    user = world.users["commune_a"]
    imp = run_import(user, P, xlsx(tmp_path / "a.xlsx", ["Họ và tên", "Chi hội"], [["A B", "x"]]))
    assert "Dòng 1, cột Ngày sinh: thiếu cột “Ngày sinh”." in errors_of(imp)
    bad = tmp_path / "hong.xlsx"
    bad.write_bytes(b"not a zip")
    imp = run_import(user, P, bad)
    assert imp.status == Status.INVALID
    assert "Không mở được tệp Excel" in errors_of(imp)[0]


def test_ambiguous_existing_match_and_cccd_elsewhere_are_errors(world, tmp_path, run_import):
    # Two members with the same name and birth date in one branch (entered before the
    # rule existed): a row without CCCD cannot tell them apart.
    for _ in range(2):
        Person(
            full_name="Hà Thị Trùng", birth_date=datetime.date(1980, 1, 1), branch=world.branch_a2
        ).save()
    rows = [
        ["Hà Thị Trùng", "01/01/1980", "", "Chi hội Thôn Tây", "", ""],
        # The CCCD of Nguyễn Thị Hoa (chi hội Thôn Đông) written in another branch.
        ["Nguyễn Thị Hoa", "17/05/1990", "004190001234", "Chi hội Thôn Tây", "", ""],
        # The CCCD of a member of commune B: not revealed.
        ["Khác Thị Người", "20/10/1979", "004179009999", "Chi hội Thôn Tây", "", ""],
    ]
    world.person_b1.cccd = "004179009999"
    world.person_b1.save()
    imp = run_import(world.users["commune_a"], P, xlsx(tmp_path / "a.xlsx", PEOPLE_HEADER, rows))
    errors = errors_of(imp)
    assert errors[0].startswith("Dòng 2: chi hội có nhiều hội viên cùng họ tên và ngày sinh")
    assert errors[1].startswith("Dòng 3, cột Chi hội: hội viên có số CCCD 004190001234")
    assert errors[2] == (
        "Dòng 4, cột Số CCCD: số CCCD 004179009999 đã có trong hệ thống (thuộc một hội viên khác)."
    )


@pytest.mark.parametrize(
    "encoding,delimiter",
    [("utf-8", ","), ("utf-8-sig", ","), ("cp1258", ","), ("utf-16", "\t"), ("utf-8", ";")],
)
def test_csv_in_each_encoding(world, tmp_path, run_import, encoding, delimiter):
    rows = [
        ["Phạm Thị Hường", "04/03/1985", "001185001111", "Chi hội Thôn Đông", "0987654321", "Kinh"],
        ["Nguyễn Thị Ngọc Ánh", "12/11/1992", "", "Thôn Tây", "", "Mường"],
    ]
    path = csv_file(tmp_path / "hoi-vien.csv", PEOPLE_HEADER, rows, encoding, delimiter)
    imp = run_import(world.users["commune_a"], P, path, commit=True)
    assert imp.status == Status.DONE, (imp.failure, errors_of(imp))
    assert (
        imp.encoding
        == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1258": "cp1258", "utf-16": "utf-16"}[
            encoding
        ]
    )
    assert imp.created == 2
    assert Person.objects.get(cccd="001185001111").full_name == "Phạm Thị Hường"
    anh = Person.objects.get(full_name="Nguyễn Thị Ngọc Ánh")
    assert anh.branch == world.branch_a2 and anh.ethnicity == "Mường"
    # And once more: nothing new.
    again = run_import(world.users["commune_a"], P, path)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize("bulk", [False, True], ids=["row-by-row", "bulk"])
def test_a_failure_halfway_through_the_commit_leaves_the_database_unchanged(
    world, tmp_path, run_import, monkeypatch, settings, bulk
):
    settings.IMPORT_BULK = bulk
    user = world.users["commune_a"]
    rows = [
        [f"Lý Thị Số {word}", "01/01/1990", "", "Chi hội Thôn Đông", "", ""]
        for word in ("Một", "Hai", "Ba", "Bốn", "Năm")
    ]
    imp = run_import(user, P, xlsx(tmp_path / "a.xlsx", PEOPLE_HEADER, rows))
    assert imp.to_create == 5
    people, audits = Person.objects.count(), AuditEntry.objects.count()
    # Row by row: the third create_person fails. In bulk: the chunk's members are
    # inserted, then building the third one's history fails.
    name = "initial_history_values" if bulk else "create_person"
    real = getattr(services.people_services, name)
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(services.people_services, name, flaky)
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert len(calls) == 3
    assert imp.status == Status.FAILED
    assert "Không có dòng nào được nhập" in imp.failure
    assert Person.objects.count() == people
    assert AuditEntry.objects.count() == audits
    assert not Person.objects.filter(full_name__startswith="Lý Thị Số").exists()


def test_error_workbook_puts_the_errors_beside_the_rows(world, tmp_path, run_import):
    rows = [
        ["Lò Thị Một", "01/01/1990", "", "Chi hội Thôn Đông", "", ""],
        ["Lò Thị Hai", "31/02/1990", "", "Chi hội Thôn Nam", "", ""],
    ]
    imp = run_import(world.users["commune_a"], P, xlsx(tmp_path / "a.xlsx", PEOPLE_HEADER, rows))
    wb = load_workbook(__import__("io").BytesIO(services.error_workbook(imp)))
    sheet = wb["Dòng có lỗi"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Dòng", "Lỗi", *PEOPLE_HEADER]
    assert len(values) == 2  # only the row with errors
    number, message, *cells = values[1]
    assert number == 3
    assert "Ngày sinh: “31/02/1990” không phải là ngày hợp lệ" in message
    assert "Chi hội: Không tìm thấy chi hội “Chi hội Thôn Nam”" in message
    assert cells[0] == "Lò Thị Hai" and cells[3] == "Chi hội Thôn Nam"
    listing = [[c.value for c in row] for row in wb["Danh sách lỗi"].iter_rows(min_row=2)]
    assert [r[:2] for r in listing] == [[3, "Ngày sinh"], [3, "Chi hội"]]


def test_the_error_file_itself_can_be_fixed_and_imported(world, tmp_path, run_import):
    rows = [["Lò Thị Hai", "31/02/1990", "", "Chi hội Thôn Đông", "", ""]]
    imp = run_import(world.users["commune_a"], P, xlsx(tmp_path / "a.xlsx", PEOPLE_HEADER, rows))
    fixed = tmp_path / "sua.xlsx"
    fixed.write_bytes(services.error_workbook(imp))
    wb = load_workbook(fixed)
    wb["Dòng có lỗi"]["D2"] = "28/02/1990"  # the birth date column (after Dòng, Lỗi, Họ tên)
    wb.save(fixed)
    imp = run_import(world.users["commune_a"], P, fixed, commit=True)
    assert imp.status == Status.DONE and imp.created == 1, errors_of(imp)


def test_template_has_vietnamese_headers_and_an_example_row():
    wb = load_workbook(__import__("io").BytesIO(services.template_workbook(P)))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Họ và tên", "Ngày sinh", "Số CCCD", "Chi hội"]
    example = {h: c for h, c in zip(header, ws[2], strict=False)}
    assert example["Họ và tên"].value == "Nguyễn Thị Mẫu"
    assert example["Ngày sinh"].is_date
    assert example["Số CCCD"].value == "001190012345"  # text: keeps its zeros
    assert "Hướng dẫn" in wb.sheetnames
    cases = load_workbook(__import__("io").BytesIO(services.template_workbook(Kind.CASES)))
    assert "Bước hiện tại" in [c.value for c in cases.worksheets[0][1]]


def test_imports_are_listed_only_for_their_owner(world):
    imp = Import.objects.create(
        kind=P, user=world.users["commune_a"], file_name="a.xlsx", stored_name="x.xlsx"
    )
    assert imp.request_id == f"import-{imp.pk}"


def test_an_unsized_sheet_gets_a_row_estimate(tmp_path):
    """openpyxl's write-only mode (and some other tools) write no sheet size: the
    row count is estimated so that a large file still goes to the worker."""
    from openpyxl import Workbook

    from uutu.imports.readers import open_table

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Hội viên")
    ws.append(PEOPLE_HEADER)
    for i in range(400):
        ws.append([f"Hà Thị Số {i}", datetime.date(1990, 1, 1), "", "Thôn Đông", "", "Kinh"])
    wb.save(tmp_path / "a.xlsx")
    table = open_table(tmp_path / "a.xlsx", "xlsx")
    assert 100 < table.total < 1600
    assert sum(1 for _ in table.rows) == 400
    table.close()


def test_a_renamed_member_is_found_by_her_new_name_in_the_case_list(world, tmp_path, run_import):
    """The case search reads the case's own search text (``Case.search_name``):
    an import that renames a member refreshes the text of her cases."""
    from uutu.pipeline import services as pipeline_services
    from uutu.pipeline.models import Case

    user = world.users["commune_a"]
    run_import(user, P, xlsx(tmp_path / "a.xlsx", PEOPLE_HEADER, good_rows()), commit=True)
    person = Person.objects.get(cccd="001185001111")
    case = pipeline_services.open_case(person, on=datetime.date(2026, 1, 5), actor=None)
    assert case.search_name == "pham thi huong"
    rows = good_rows()
    rows[0][0] = "Phạm Thị Thu Hường"  # matched on the CCCD, renamed
    imp = run_import(user, P, xlsx(tmp_path / "b.xlsx", PEOPLE_HEADER, rows), commit=True)
    assert imp.updated == 1
    case = Case.objects.get(pk=case.pk)
    assert case.full_name == "Phạm Thị Hường"  # the case keeps the name it was opened with
    assert case.search_name == "pham thi huong pham thi thu huong"
    assert list(Case.objects.filter(search_name__contains="thu")) == [case]
