"""The periodic report workflow, the lock, the snapshot, the "data changed after
approval" flag and the parent's overview."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from uutu.pipeline import services as pipe
from uutu.reports import services as S
from uutu.reports.models import Report, ReportDeadline, Status
from uutu.targets.models import Period, Quota

TODAY = datetime.date.today()


def introduce(world, person, cell=None):
    case = pipe.open_case(person, on=TODAY, actor=None)
    pipe.start_cultivation(case, on=TODAY, actor=None)
    pipe.introduce(case, cell=cell or world.cell_a1, on=TODAY, actor=None)
    return case


@pytest.fixture
def period(db):
    return Period.year(TODAY.year)


@pytest.fixture
def report(world, period):
    """Commune A's annual report: one branch head introduced, quota 4 for the
    commune and 2 for chi hội Thôn Đông."""
    introduce(world, world.person_a1)
    Quota.objects.create(unit=world.commune_a, period=period, indicator="introduced", value=4)
    Quota.objects.create(unit=world.branch_a1, period=period, indicator="introduced", value=2)
    return S.create_report(
        unit=world.commune_a, period=period, kind="annual", actor=world.users["commune_a"]
    )


def row(figures, code):
    return next(r for r in figures["rows"] if r["code"] == code)


def test_created_report_is_prefilled(world, report):
    assert report.status == Status.DRAFT
    assert report.place == "Thử Nghiệm"
    assert report.dated == TODAY
    assert report.subtitle.endswith(f"năm {TODAY.year}")
    assert "đã giới thiệu 1 hội viên ưu tú" in report.results
    assert "Hội LHPN Tỉnh Thử Nghiệm (để báo cáo)" in report.recipients
    figures = S.report_figures(report)
    intro = row(figures, "introduced")
    assert (intro["quota"], intro["achieved"], intro["completion"]) == (4, 1, 25.0)
    assert row(figures, "introduced_branch_heads")["achieved"] == 1
    children = {c["name"]: c for c in figures["children"]}
    assert set(children) == {"Chi hội Thôn Đông", "Chi hội Thôn Tây"}
    assert children["Chi hội Thôn Đông"]["introduced"] == 1
    assert children["Chi hội Thôn Đông"]["completion"] == 50.0
    assert children["Chi hội Thôn Tây"]["introduced"] == 0
    assert figures["totals"]["introduced"] == 1
    assert figures["totals"]["quota"] == 2


def test_one_report_per_unit_period_and_kind(world, report, period):
    with pytest.raises(ValidationError):
        S.create_report(unit=world.commune_a, period=period, kind="annual", actor=None)


def test_kind_must_match_period(world, period):
    with pytest.raises(ValidationError, match="không phù hợp"):
        S.create_report(unit=world.commune_a, period=period, kind="six_monthly", actor=None)


def test_cannot_create_outside_scope(world, period):
    with pytest.raises(ValidationError):
        S.create_report(
            unit=world.commune_a, period=period, kind="annual", actor=world.users["commune_b"]
        )


def test_full_workflow_lock_snapshot_and_live_flag(world, report):
    cadre, province = world.users["commune_a"], world.users["province"]
    S.update_report(report, actor=cadre, difficulties="Nhiều chị em đi làm ăn xa.")
    S.submit_report(report, actor=cadre)
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED and report.submitted_by == cadre
    # Submitted: no edits, and the commune cannot approve its own report.
    with pytest.raises(ValidationError, match="không thể sửa"):
        S.update_report(report, actor=cadre, proposals="x")
    with pytest.raises(ValidationError, match="cấp trên trực tiếp"):
        S.approve_report(report, actor=cadre)
    with pytest.raises(ValidationError, match="lý do"):
        S.return_report(report, actor=province, comment="  ")
    # Returned with a comment, edited, resubmitted.
    S.return_report(report, actor=province, comment="Bổ sung nguyên nhân.")
    report.refresh_from_db()
    assert report.status == Status.RETURNED and report.return_comment == "Bổ sung nguyên nhân."
    S.update_report(report, actor=cadre, difficulties="Nhiều chị em đi làm ăn xa, khó gặp.")
    S.submit_report(report, actor=cadre)
    S.approve_report(report, actor=province)
    report.refresh_from_db()
    assert report.status == Status.APPROVED and report.is_locked
    assert report.decided_by == province and report.approved_at is not None
    assert row(report.snapshot, "introduced")["achieved"] == 1
    # Locked.
    with pytest.raises(ValidationError, match="đã khóa"):
        S.update_report(report, actor=cadre, proposals="x")
    with pytest.raises(ValidationError):
        S.submit_report(report, actor=cadre)
    with pytest.raises(ValidationError):
        S.approve_report(report, actor=province)
    assert S.live_differs(report) == []
    # A new pipeline event after approval: the snapshot stays, the flag shows.
    introduce(world, world.person_a2)
    report.refresh_from_db()
    assert row(S.report_figures(report), "introduced")["achieved"] == 1
    differences = S.live_differs(report)
    labels = {d.label: (d.frozen, d.live) for d in differences}
    assert labels["Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp"] == (1, 2)
    assert labels["Chi hội Thôn Tây – Đã giới thiệu"] == (0, 1)
    actions = list(report_audit_actions(report))
    assert actions == [
        "reports.report.created",
        "reports.report.updated",
        "reports.report.submitted",
        "reports.report.returned",
        "reports.report.updated",
        "reports.report.submitted",
        "reports.report.approved",
    ]


def report_audit_actions(report):
    from uutu.core import audit

    return reversed([e.action for e in audit.history_for(report)])


def test_only_the_direct_parent_approves_branch_reports(world, period):
    cadre, province = world.users["commune_a"], world.users["province"]
    report = S.create_report(unit=world.branch_a1, period=period, kind="annual", actor=cadre)
    S.submit_report(report, actor=cadre)
    with pytest.raises(ValidationError):
        S.approve_report(report, actor=province)  # the province is not the parent
    with pytest.raises(ValidationError):
        S.approve_report(report, actor=world.users["commune_b"])
    S.approve_report(report, actor=cadre)  # the commune approves its branch
    assert Report.objects.get(pk=report.pk).status == Status.APPROVED


# --- pages ------------------------------------------------------------------------


def test_pages_walk_the_workflow(world, login, period):
    introduce(world, world.person_a1)
    client = login(world.users["commune_a"])
    response = client.post(
        reverse("reports:report_create"),
        {"unit": world.commune_a.pk, "kind": "annual", "year": TODAY.year},
    )
    report = Report.objects.get(unit=world.commune_a, period=period, kind="annual")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report_detail", args=[report.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp" in page
    assert "Chi hội Thôn Đông" in page and "Tổng cộng" in page
    data = {
        "subtitle": report.subtitle,
        "results": "Kết quả tốt.",
        "difficulties": "Khó khăn: chị em đi làm ăn xa.",
        "proposals": "Đề nghị hỗ trợ kinh phí.",
        "number": "15/BC-BTV",
        "place": "Cao Bằng",
        "dated": TODAY.isoformat(),
        "signer_on_behalf": "TM. BAN THƯỜNG VỤ",
        "signer_title": "CHỦ TỊCH",
        "signer_name": "Lương Thị Mai",
        "recipients": "- Hội LHPN tỉnh;\n- Lưu: VT.",
    }
    edit = reverse("reports:report_edit", args=[report.pk])
    assert client.post(edit, data).status_code == 302
    report.refresh_from_db()
    assert report.number == "15/BC-BTV" and report.place == "Cao Bằng"
    assert client.post(reverse("reports:report_submit", args=[report.pk])).status_code == 302
    # Submitted: the edit page sends her back; she cannot approve (403).
    assert client.get(edit).status_code == 302
    assert client.post(edit, data).status_code == 302
    assert client.post(reverse("reports:report_approve", args=[report.pk])).status_code == 403
    # The province returns it, then approves the resubmitted report.
    province = login(world.users["province"])
    url = reverse("reports:report_return", args=[report.pk])
    assert province.post(url, {"comment": ""}).status_code == 200  # comment required
    assert province.post(url, {"comment": "Thiếu số liệu chi hội."}).status_code == 302
    report.refresh_from_db()
    assert report.status == Status.RETURNED
    client = login(world.users["commune_a"])
    assert "Thiếu số liệu chi hội." in client.get(edit).content.decode()
    client.post(reverse("reports:report_submit", args=[report.pk]))
    province = login(world.users["province"])
    province.post(reverse("reports:report_approve", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == Status.APPROVED and report.snapshot
    detail = reverse("reports:report_detail", args=[report.pk])
    assert "Số liệu đã thay đổi sau khi phê duyệt" not in province.get(detail).content.decode()
    introduce(world, world.person_a2)
    page = province.get(detail).content.decode()
    assert "Số liệu đã thay đổi sau khi phê duyệt" in page
    assert province.get(edit).status_code == 302  # locked


def test_list_shows_reports_in_scope_only(world, login, report):
    page = login(world.users["commune_a"]).get(reverse("reports:report_list")).content.decode()
    assert "Hội LHPN Xã An Bình" in page
    page = login(world.users["commune_b"]).get(reverse("reports:report_list")).content.decode()
    assert "Hội LHPN Xã An Bình" not in page


# --- the parent's overview ----------------------------------------------------------


def test_overview_shows_not_submitted_and_late(world, login):
    last_year = Period.year(TODAY.year - 1)
    province = world.users["province"]
    S.set_deadline(
        unit=world.province,
        period=last_year,
        kind="annual",
        due=datetime.date(TODAY.year - 1, 12, 31),
        actor=province,
    )
    report = S.create_report(unit=world.commune_a, period=last_year, kind="annual", actor=None)
    S.submit_report(report, actor=world.users["commune_a"])
    overview = S.children_overview(world.province, last_year, "annual")
    by_unit = {r.unit: r for r in overview["rows"]}
    assert (
        by_unit[world.commune_a].submitted and by_unit[world.commune_a].late
    )  # after the due date
    assert not by_unit[world.commune_b].submitted and by_unit[world.commune_b].late
    assert [r.unit for r in overview["not_submitted"]] == [world.commune_b]

    client = login(province)
    url = reverse("reports:report_children")
    page = client.get(
        f"{url}?unit={world.province.pk}&kind=annual&year={TODAY.year - 1}"
    ).content.decode()
    assert "Hội LHPN Xã Bình Minh" in page and "Chưa gửi" in page and "Trễ hạn" in page
    assert f"31/12/{TODAY.year - 1}" in page


def test_overview_on_time_before_the_deadline(world, period):
    S.set_deadline(
        unit=world.province,
        period=period,
        kind="annual",
        due=TODAY + datetime.timedelta(days=30),
        actor=world.users["province"],
    )
    report = S.create_report(unit=world.commune_a, period=period, kind="annual", actor=None)
    S.submit_report(report, actor=None)
    overview = S.children_overview(world.province, period, "annual")
    assert overview["late"] == []
    assert [r.unit for r in overview["not_submitted"]] == [world.commune_b]


def test_deadline_page_sets_and_moves_the_deadline(world, login):
    client = login(world.users["commune_a"])
    url = reverse("reports:deadline_set")
    data = {"unit": world.commune_a.pk, "kind": "six_monthly", "year": TODAY.year}
    due = datetime.date(TODAY.year, 7, 10)
    assert client.post(url, {**data, "due": due.isoformat()}).status_code == 302
    assert client.post(url, {**data, "due": (due.replace(day=15)).isoformat()}).status_code == 302
    deadline = ReportDeadline.objects.get(unit=world.commune_a)
    assert deadline.due == due.replace(day=15) and deadline.period == Period.half(TODAY.year)
    # Commune A cannot set her parent's deadlines, nor a sibling's.
    response = client.post(url, {**data, "unit": world.province.pk, "due": due.isoformat()})
    assert response.status_code == 200 and ReportDeadline.objects.count() == 1
    response = client.post(url, {**data, "unit": world.commune_b.pk, "due": due.isoformat()})
    assert response.status_code == 200 and ReportDeadline.objects.count() == 1


def test_overview_of_another_commune_is_refused(world, login):
    client = login(world.users["commune_b"])
    url = reverse("reports:report_children")
    response = client.get(f"{url}?unit={world.commune_a.pk}&kind=annual&year={TODAY.year}")
    # Commune A is not among her choices: the form is invalid and shows no overview.
    assert response.status_code == 200
    assert "Chi hội Thôn Đông" not in response.content.decode()
