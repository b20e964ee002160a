"""Import of cases at the steps after the sympathiser list: class certificate,
dossier with its introducers, the cell's resolution, the committee's resolution
and decision, the ceremony and recognition. Each step goes through the pipeline
services, so their rule checks apply, and every row is checked against the
importer's rights for the step."""

import datetime

import pytest

from uutu.accounts.models import RoleAssignment
from uutu.accounts.roles import Role
from uutu.core.models import AuditEntry
from uutu.imports import services
from uutu.imports.models import Kind, Status
from uutu.people.models import Party
from uutu.pipeline.models import AwarenessClass, Case, CaseEvent, Enrolment, RuleSet, Step
from uutu.pipeline.rules import ensure_rule_sets

from .files import xlsx
from .test_cases_import import HEADER as FIRST_STEPS_HEADER

C = Kind.CASES
D = datetime.date
# The columns of the steps up to the sympathiser list, then those of the later steps.
HEADER = FIRST_STEPS_HEADER + [
    "Số giấy chứng nhận",
    "Ngày cấp giấy chứng nhận",
    "Lớp bồi dưỡng nhận thức về Đảng",
    "Đơn vị tổ chức lớp",
    "Ngày hoàn thiện hồ sơ",
    "Nhận xét của Hội LHPN (5-KNĐ)",
    "Người giới thiệu 1",
    "Chi bộ của người giới thiệu 1",
    "Người giới thiệu 1 cùng công tác từ ngày",
    "Người giới thiệu 2",
    "Chi bộ của người giới thiệu 2",
    "Người giới thiệu 2 cùng công tác từ ngày",
    "Ngày nghị quyết chi bộ (6-KNĐ)",
    "Số nghị quyết chi bộ",
    "Số phiếu tán thành",
    "Số đảng viên chính thức",
    "Ngày nghị quyết Đảng ủy (8-KNĐ)",
    "Số nghị quyết Đảng ủy",
    "Ngày quyết định kết nạp (9-KNĐ)",
    "Số quyết định kết nạp",
    "Ngày lễ kết nạp",
    "Ngày công nhận đảng viên chính thức",
    "Số quyết định công nhận chính thức",
]
DATES = {
    Step.SOURCE: D(2024, 1, 15),
    Step.CULTIVATION: D(2024, 2, 1),
    Step.INTRODUCED: D(2024, 6, 3),
    Step.SYMPATHISER: D(2024, 7, 1),
    Step.CLASS: D(2024, 8, 20),
    Step.DOSSIER: D(2024, 9, 10),
    Step.CELL_RESOLUTION: D(2024, 9, 20),
    Step.COMMITTEE_RESOLUTION: D(2024, 10, 15),
    Step.DECISION: D(2024, 10, 25),
    Step.CEREMONY: D(2024, 11, 15),
    Step.OFFICIAL: D(2025, 11, 17),
}
LATER = [
    Step.CLASS,
    Step.DOSSIER,
    Step.CELL_RESOLUTION,
    Step.COMMITTEE_RESOLUTION,
    Step.DECISION,
    Step.CEREMONY,
    Step.OFFICIAL,
]


def errors_of(imp):
    return [services.format_error(e) for e in imp.errors]


def full_row(step=Step.OFFICIAL, **extra):
    row = {
        "Họ và tên": "Nguyễn Thị Hoa",
        "Ngày sinh": D(1990, 5, 17),
        "Số CCCD": "004190001234",
        "Chi hội": "Thôn Đông",
        "Bước hiện tại": str(Step(step).label),
        "Ngày tạo nguồn": DATES[Step.SOURCE],
        "Ngày bắt đầu bồi dưỡng": DATES[Step.CULTIVATION],
        "Ngày giới thiệu cho chi bộ": DATES[Step.INTRODUCED],
        "Chi bộ": "Chi bộ Thôn Đông",
        "Số văn bản giới thiệu": "12/GT-PN",
        "Ngày vào danh sách cảm tình Đảng": DATES[Step.SYMPATHISER],
        "Đảng viên được phân công giúp đỡ": "Lý Văn Tài",
        "Số giấy chứng nhận": "125/GCN",
        "Ngày cấp giấy chứng nhận": DATES[Step.CLASS],
        "Lớp bồi dưỡng nhận thức về Đảng": "Lớp khóa 2/2024",
        "Ngày hoàn thiện hồ sơ": DATES[Step.DOSSIER],
        "Nhận xét của Hội LHPN (5-KNĐ)": "Gương mẫu, nhiệt tình.",
        "Người giới thiệu 1": "Hoàng Văn Một",
        "Chi bộ của người giới thiệu 1": "Chi bộ Thôn Đông",
        "Người giới thiệu 1 cùng công tác từ ngày": D(2020, 1, 1),
        "Người giới thiệu 2": "Đàm Thị Hai",
        "Chi bộ của người giới thiệu 2": "Chi bộ Thôn Đông",
        "Người giới thiệu 2 cùng công tác từ ngày": "01/03/2021",
        "Ngày nghị quyết chi bộ (6-KNĐ)": DATES[Step.CELL_RESOLUTION],
        "Số nghị quyết chi bộ": "05-NQ/CB",
        "Số phiếu tán thành": 14,
        "Số đảng viên chính thức": "18",
        "Ngày nghị quyết Đảng ủy (8-KNĐ)": DATES[Step.COMMITTEE_RESOLUTION],
        "Số nghị quyết Đảng ủy": "31-NQ/ĐU",
        "Ngày quyết định kết nạp (9-KNĐ)": DATES[Step.DECISION],
        "Số quyết định kết nạp": "112-QĐ/ĐU",
        "Ngày lễ kết nạp": DATES[Step.CEREMONY],
        "Ngày công nhận đảng viên chính thức": DATES[Step.OFFICIAL],
        "Số quyết định công nhận chính thức": "40-QĐ/ĐU",
    }
    row.update(extra)
    return [row.get(h, "") for h in HEADER]


def step_dates(case):
    return dict(case.events.filter(kind=CaseEvent.Kind.STEP).values_list("step", "date"))


@pytest.fixture
def admin(world):
    ensure_rule_sets()
    return world.users["admin"]


@pytest.mark.parametrize("target", LATER)
def test_a_case_is_imported_at_each_later_step_and_reimport_changes_nothing(
    world, admin, tmp_path, run_import, target
):
    path = xlsx(tmp_path / "ho-so.xlsx", HEADER, [full_row(target)])
    imp = run_import(admin, C, path)
    assert imp.status == Status.READY, errors_of(imp)
    assert (imp.to_create, imp.to_update, imp.unchanged) == (1, 0, 0)
    assert not Case.objects.exists() and not AwarenessClass.objects.exists()  # only tried
    assert not AuditEntry.objects.filter(request_id=f"import-{imp.pk}").exists()

    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.DONE, imp.failure
    case = Case.objects.get(person=world.person_a1)
    expected = {s: d for s, d in DATES.items() if Step.values.index(s) <= Step.values.index(target)}
    assert step_dates(case) == expected
    assert case.step == target
    assert set(case.events.values_list("actor", flat=True)) == {admin.pk}
    enrolment = Enrolment.objects.get(case=case)
    assert (enrolment.certificate_no, enrolment.certificate_on) == ("125/GCN", DATES[Step.CLASS])
    assert enrolment.klass.title == "Lớp khóa 2/2024"
    assert enrolment.klass.organiser == world.party_a  # the commune party committee
    actions = set(
        AuditEntry.objects.filter(request_id=f"import-{imp.pk}").values_list("action", flat=True)
    )
    assert f"pipeline.case.{target}" in actions and "imports.import.committed" in actions
    if Step.values.index(target) >= Step.values.index(Step.DOSSIER):
        assert sorted(case.introducers.values_list("full_name", flat=True)) == [
            "Hoàng Văn Một",
            "Đàm Thị Hai",
        ]
        assert case.dossier.hoi_comment == "Gương mẫu, nhiệt tình."
    if target == Step.CELL_RESOLUTION:
        event = case.events.get(step=Step.CELL_RESOLUTION)
        assert (event.doc_no, event.data) == ("05-NQ/CB", {"votes_for": 14, "members": 18})
        assert case.due_step == Step.DECISION and case.due_on is not None  # 60 working days
    if target == Step.DECISION:
        assert case.events.get(step=Step.DECISION).doc_no == "112-QĐ/ĐU"
        assert case.due_step == Step.CEREMONY
    if target == Step.CEREMONY:
        world.person_a1.refresh_from_db()
        assert world.person_a1.party_status == Party.PROBATIONARY
    if target == Step.OFFICIAL:
        world.person_a1.refresh_from_db()
        assert case.status == "done" and world.person_a1.party_status == Party.OFFICIAL

    audit_rows = AuditEntry.objects.count()
    again = run_import(admin, C, path)
    assert again.status == Status.READY, errors_of(again)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 1)
    assert not again.can_commit  # nothing to do
    assert Case.objects.count() == 1 and step_dates(Case.objects.get()) == expected
    assert AuditEntry.objects.count() == audit_rows


def test_a_case_already_on_the_way_is_moved_on(world, admin, tmp_path, run_import):
    first = run_import(
        admin, C, xlsx(tmp_path / "a.xlsx", HEADER, [full_row(Step.INTRODUCED)]), commit=True
    )
    assert first.created == 1
    imp = run_import(
        admin, C, xlsx(tmp_path / "b.xlsx", HEADER, [full_row(Step.DECISION)]), commit=True
    )
    assert (imp.created, imp.updated, imp.unchanged) == (0, 1, 0), imp.failure
    assert Case.objects.get().step == Step.DECISION


def test_a_conflicting_date_is_an_error(world, admin, tmp_path, run_import):
    run_import(admin, C, xlsx(tmp_path / "a.xlsx", HEADER, [full_row(Step.DECISION)]), commit=True)
    row = full_row(Step.DECISION, **{"Ngày nghị quyết chi bộ (6-KNĐ)": "21/09/2024"})
    imp = run_import(admin, C, xlsx(tmp_path / "b.xlsx", HEADER, [row]))
    assert errors_of(imp) == [
        "Dòng 2, cột Ngày nghị quyết chi bộ (6-KNĐ): hồ sơ đã ghi bước “Chi bộ đề nghị kết nạp "
        "(6-KNĐ)” ngày 20/09/2024, khác với ngày trong tệp (21/09/2024); hãy kiểm tra lại hoặc "
        "sửa trên trang hồ sơ."
    ]


@pytest.mark.parametrize(
    ("target", "change", "column", "message"),
    [
        (
            Step.CELL_RESOLUTION,
            {"Ngày tạo nguồn": D(2019, 6, 1), "Ngày cấp giấy chứng nhận": D(2019, 8, 1)},
            "Ngày nghị quyết chi bộ (6-KNĐ)",
            "giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng chỉ có giá trị 60 tháng. Giấy số "
            "125/GCN cấp ngày 01/08/2019 đã 61 tháng: cần học lại.",
        ),
        (
            Step.DOSSIER,
            {"Người giới thiệu 2": "", "Người giới thiệu 2 cùng công tác từ ngày": ""},
            "Ngày hoàn thiện hồ sơ",
            "Hồ sơ còn thiếu: hai người giới thiệu (3-KNĐ).",
        ),
        (
            Step.CELL_RESOLUTION,
            {"Người giới thiệu 2 cùng công tác từ ngày": D(2024, 1, 2)},
            "Ngày nghị quyết chi bộ (6-KNĐ)",
            "cần 2 đảng viên chính thức giới thiệu, đã cùng công tác, sinh hoạt với người vào "
            "Đảng ít nhất 12 tháng (từ 20/09/2023 trở về trước). Hiện có 1 người đủ điều kiện.",
        ),
        (
            Step.CELL_RESOLUTION,
            {"Số phiếu tán thành": 11},
            "Ngày nghị quyết chi bộ (6-KNĐ)",
            "nghị quyết chi bộ đề nghị kết nạp cần ít nhất 2/3 đảng viên chính thức tán thành "
            "(11/18 chưa đủ).",
        ),
        (
            Step.OFFICIAL,
            {"Ngày công nhận đảng viên chính thức": D(2025, 10, 1)},
            "Ngày công nhận đảng viên chính thức",
            "thời gian dự bị là 12 tháng kể từ ngày kết nạp (15/11/2024); chỉ xét công nhận "
            "chính thức từ 15/11/2025.",
        ),
        (
            Step.DECISION,
            {"Số quyết định kết nạp": ""},
            "Số quyết định kết nạp",
            "Vui lòng nhập số văn bản.",
        ),
        (
            Step.SYMPATHISER,
            {"Ngày sinh": D(2009, 1, 1), "Số CCCD": ""},
            None,  # she does not exist: no service is reached
            None,
        ),
    ],
)
def test_a_rule_failure_names_the_row_and_column(
    world, admin, tmp_path, run_import, target, change, column, message
):
    if column is None:  # a control: a row for nobody fails before the services
        imp = run_import(admin, C, xlsx(tmp_path / "a.xlsx", HEADER, [full_row(target, **change)]))
        assert errors_of(imp)[0].startswith("Dòng 2: không tìm thấy hội viên Nguyễn Thị Hoa")
        return
    good = full_row(Step.SOURCE, **{"Họ và tên": "Lê Thị Hòa", "Ngày sinh": D(1985, 1, 2)})
    good[2:4] = ["", "Thôn Tây"]
    rows = [good, full_row(target, **change)]
    imp = run_import(admin, C, xlsx(tmp_path / "a.xlsx", HEADER, rows))
    assert imp.status == Status.INVALID
    (error,) = errors_of(imp)
    rules_name = RuleSet.objects.order_by("effective_from").first().name
    prefix = f"Dòng 3, cột {column}: "
    assert error in (prefix + message, f"{prefix}{rules_name}: {message}"), error
    assert (imp.to_create, imp.to_update) == (1, 0)  # the good row would still go in
    assert not Case.objects.exists()


def test_party_steps_need_the_party_rights_for_the_cell(world, tmp_path, run_import):
    ensure_rule_sets()
    user = world.users["commune_a"]
    # She also keeps the party cell's book (pipeline.party), not the committee's.
    RoleAssignment.objects.create(user=user, unit=world.cell_a1, role=Role.CELL_SECRETARY)
    path = xlsx(tmp_path / "a.xlsx", HEADER, [full_row(Step.CELL_RESOLUTION)])
    imp = run_import(user, C, path, commit=True)
    assert imp.status == Status.DONE, (errors_of(imp), imp.failure)
    case = Case.objects.get()
    assert case.step == Step.CELL_RESOLUTION
    # Without the committee's rights, the class defaults to the commune Hội.
    assert Enrolment.objects.get().klass.organiser == world.commune_a

    row = full_row(Step.DECISION, **{"Họ và tên": "Lê Thị Hòa", "Ngày sinh": "02/01/1985"})
    row[2:4] = ["", "Thôn Tây"]
    imp = run_import(user, C, xlsx(tmp_path / "b.xlsx", HEADER, [row]))
    assert errors_of(imp) == [
        "Dòng 2, cột Bước hiện tại: bước “Đảng ủy xét (8-KNĐ)” do tổ chức Đảng ghi nhận; "
        "tài khoản của bạn không có quyền này."
    ]
    # A class organiser outside the units where she records classes is an error.
    row[4] = str(Step.CLASS.label)
    row[HEADER.index("Đơn vị tổ chức lớp")] = "Đảng ủy Xã Bình Minh"
    imp = run_import(user, C, xlsx(tmp_path / "c.xlsx", HEADER, [row]))
    assert errors_of(imp) == [
        "Dòng 2, cột Đơn vị tổ chức lớp: không tìm thấy đơn vị tổ chức lớp “Đảng ủy Xã Bình "
        "Minh” trong phạm vi của bạn."
    ]


def test_a_failing_row_at_commit_leaves_the_database_unchanged(world, admin, tmp_path, run_import):
    good = full_row(Step.SOURCE, **{"Họ và tên": "Lê Thị Hòa", "Ngày sinh": D(1985, 1, 2)})
    good[2:4] = ["", "Thôn Tây"]
    path = xlsx(tmp_path / "a.xlsx", HEADER, [good, full_row(Step.DECISION)])
    imp = run_import(admin, C, path)
    assert imp.status == Status.READY, errors_of(imp)
    # The rules change between the check and the commit: certificates expire at once.
    RuleSet.objects.update(certificate_valid_months=0)
    audit_rows = AuditEntry.objects.count()
    assert services.queue_commit(imp)
    imp = services.run_commit(imp.pk)
    assert imp.status == Status.FAILED
    assert imp.errors[0]["row"] == 3
    assert imp.errors[0]["column"] == "Ngày nghị quyết chi bộ (6-KNĐ)"
    assert "Dòng 3, cột Ngày nghị quyết chi bộ (6-KNĐ)" in imp.failure
    assert not Case.objects.exists()
    assert not AwarenessClass.objects.exists() and not Enrolment.objects.exists()
    assert AuditEntry.objects.count() == audit_rows


def test_template_has_the_later_step_columns():
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(services.template_workbook(C)))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    for label in HEADER:
        assert label in header, label
    example = {h: c.value for h, c in zip(header, ws[2], strict=False)}
    assert example["Bước hiện tại"] == str(Step.DECISION.label)
    assert example["Số phiếu tán thành"] == 14 and example["Số đảng viên chính thức"] == 18
    guide = [row[0].value for row in wb["Hướng dẫn"].iter_rows(min_row=2)]
    assert "Ngày nghị quyết chi bộ (6-KNĐ)" in guide
