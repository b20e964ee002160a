"""Import of cases at their current step: the steps are recorded through the
pipeline services, with the importer's rights checked for each step."""

import datetime

from uutu.core.models import AuditEntry
from uutu.imports import services
from uutu.imports.models import Kind, Status
from uutu.pipeline.models import Case, CaseEvent, Step

from .files import csv_file, xlsx

C = Kind.CASES
HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Số CCCD",
    "Chi hội",
    "Bước hiện tại",
    "Ngày tạo nguồn",
    "Ngày bắt đầu bồi dưỡng",
    "Ngày giới thiệu cho chi bộ",
    "Chi bộ",
    "Số văn bản giới thiệu",
    "Ngày vào danh sách cảm tình Đảng",
    "Đảng viên được phân công giúp đỡ",
]
D = datetime.date


def errors_of(imp):
    return [services.format_error(e) for e in imp.errors]


def hoa_row(step="Giới thiệu cho chi bộ", **extra):
    row = {
        "Họ và tên": "Nguyễn Thị Hoa",
        "Ngày sinh": "17/05/1990",
        "Số CCCD": "004190001234",
        "Chi hội": "Thôn Đông",
        "Bước hiện tại": step,
        "Ngày tạo nguồn": datetime.datetime(2025, 3, 1),
        "Ngày bắt đầu bồi dưỡng": "01/04/2025",
        "Ngày giới thiệu cho chi bộ": "01/09/2025",
        "Chi bộ": "chi bộ thôn đông",
        "Số văn bản giới thiệu": "12/GT-PN",
    }
    row.update(extra)
    return [row.get(h, "") for h in HEADER]


def test_cases_are_created_at_their_step_and_reimport_changes_nothing(world, tmp_path, run_import):
    user = world.users["commune_a"]
    rows = [
        hoa_row(),
        # Lê Thị Hòa (no CCCD): name + birth date + branch, only a source.
        ["le thi hoa", "02/01/1985", "", "Chi hội Thôn Tây", "Tạo nguồn", "15/03/2025"],
    ]
    path = xlsx(tmp_path / "ho-so.xlsx", HEADER, rows)
    imp = run_import(user, C, path)
    assert imp.status == Status.READY, errors_of(imp)
    assert (imp.to_create, imp.to_update, imp.unchanged) == (2, 0, 0)
    assert not Case.objects.exists()
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE, imp.failure
    case = Case.objects.get(person=world.person_a1)
    assert case.step == Step.INTRODUCED and case.party_unit == world.cell_a1
    dates = dict(case.events.filter(kind=CaseEvent.Kind.STEP).values_list("step", "date"))
    assert dates == {
        Step.SOURCE: D(2025, 3, 1),
        Step.CULTIVATION: D(2025, 4, 1),
        Step.INTRODUCED: D(2025, 9, 1),
    }
    assert set(case.events.values_list("actor", flat=True)) == {user.pk}
    assert Case.objects.get(person=world.person_a2).step == Step.SOURCE
    audit = AuditEntry.objects.filter(request_id=f"import-{imp.pk}", action="pipeline.case.opened")
    assert audit.count() == 2 and audit.first().source == "import"

    again = run_import(user, C, path)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 2)

    # A later file moves Lê Thị Hòa on to cultivation: an update.
    rows[1] = [*rows[1], "20/03/2025"]
    rows[1][4] = "Bồi dưỡng"
    later = run_import(user, C, xlsx(tmp_path / "sau.xlsx", HEADER, rows), commit=True)
    assert (later.created, later.updated, later.unchanged) == (0, 1, 1)
    assert Case.objects.get(person=world.person_a2).step == Step.CULTIVATION


def test_a_hoi_cadre_cannot_import_party_side_steps(world, tmp_path, run_import):
    row = hoa_row(
        "Cảm tình Đảng",
        **{
            "Ngày vào danh sách cảm tình Đảng": "01/10/2025",
            "Đảng viên được phân công giúp đỡ": "X",
        },
    )
    imp = run_import(world.users["commune_a"], C, xlsx(tmp_path / "a.xlsx", HEADER, [row]))
    (error,) = errors_of(imp)
    assert error == (
        "Dòng 2, cột Bước hiện tại: bước “Cảm tình Đảng” do tổ chức Đảng ghi nhận; "
        "tài khoản của bạn không có quyền này."
    )
    later = hoa_row("Quyết định kết nạp (9-KNĐ)")
    imp = run_import(world.users["commune_a"], C, xlsx(tmp_path / "b.xlsx", HEADER, [later]))
    assert "do tổ chức Đảng ghi nhận" in errors_of(imp)[0]


def test_the_administrator_can_import_up_to_the_sympathiser_list(world, tmp_path, run_import):
    row = hoa_row(
        "cam tinh dang",
        **{
            "Ngày vào danh sách cảm tình Đảng": "01/10/2025",
            "Đảng viên được phân công giúp đỡ": "Lý Văn Tài",
        },
    )
    path = csv_file(tmp_path / "a.csv", HEADER, [[str(v) if v else "" for v in row]])
    imp = run_import(world.users["admin"], C, path)
    # the CSV has the source date as "2025-03-01 00:00:00" text: ISO dates are accepted
    assert imp.status == Status.READY, errors_of(imp)
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE, imp.failure
    case = Case.objects.get(person=world.person_a1)
    assert case.step == Step.SYMPATHISER and case.helper_name == "Lý Văn Tài"


def test_bad_case_rows(world, tmp_path, run_import):
    rows = [
        hoa_row("Bước lạ"),
        hoa_row(**{"Ngày bắt đầu bồi dưỡng": "01/02/2025"}),  # before the source date
        hoa_row(**{"Chi bộ": "Chi bộ Thôn Bắc"}),  # a cell of another commune
        ["Không Có Ai", "01/01/1990", "", "Thôn Đông", "Tạo nguồn", "01/01/2025"],
        hoa_row(**{"Ngày tạo nguồn": ""}),
    ]
    imp = run_import(world.users["commune_a"], C, xlsx(tmp_path / "a.xlsx", HEADER, rows))
    errors = errors_of(imp)
    assert errors[0].startswith("Dòng 2, cột Bước hiện tại: “Bước lạ” không phải là một bước")
    # Row 2 fails before the duplicate check, so row 3 is the first row about her
    # and rows 4 and 6 repeat it.
    assert errors[1].startswith(
        "Dòng 3, cột Ngày bắt đầu bồi dưỡng: ngày 01/02/2025 không được trước ngày của bước"
    )
    assert errors[2] == "Dòng 4: trùng với dòng 3 (cùng số CCCD)."
    assert errors[3].startswith("Dòng 5: không tìm thấy hội viên Không Có Ai")
    assert errors[4] == "Dòng 6: trùng với dòng 3 (cùng số CCCD)."


def test_cell_of_another_commune_and_missing_date(world, tmp_path, run_import):
    user = world.users["commune_a"]
    imp = run_import(
        user, C, xlsx(tmp_path / "a.xlsx", HEADER, [hoa_row(**{"Chi bộ": "Chi bộ Thôn Bắc"})])
    )
    assert errors_of(imp) == [
        "Dòng 2, cột Chi bộ: không tìm thấy chi bộ “Chi bộ Thôn Bắc” thuộc Đảng bộ xã của hội viên."
    ]
    imp = run_import(
        user, C, xlsx(tmp_path / "b.xlsx", HEADER, [hoa_row(**{"Ngày tạo nguồn": ""})])
    )
    assert errors_of(imp) == ["Dòng 2, cột Ngày tạo nguồn: vui lòng ghi ngày tạo nguồn."]
