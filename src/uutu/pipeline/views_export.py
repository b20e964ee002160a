"""Exports of the pipeline lists to .xlsx (cases with the list's filter, deadlines,
classes), each with the same permission and scope as its page."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q

from uutu.accounts import permissions
from uutu.core.exports import export_response

from .forms_cases import UnitFilterForm
from .models import Enrolment
from .views_cases import (
    VIEW,
    _deadline_limits,
    _filter_units,
    deadline_cases,
    filter_cases,
)
from .views_party import CLASS, _classes


def _require(user, action):
    if not permissions.has_any(user, action):
        raise PermissionDenied


def filtered_cases(user, params):
    """The cases the case list shows for ``params`` (its GET filters)."""
    return filter_cases(user, params)[1].select_related("mentor")


CASE_HEADERS = [
    "Họ và tên",
    "Ngày sinh",
    "Tổ chức giới thiệu",
    "Bước hiện tại",
    "Trạng thái",
    "Chi hội",
    "Hội LHPN xã",
    "Chi bộ",
    "Ngày tạo nguồn",
    "Người kèm cặp (1+1)",
    "Việc đến hạn",
    "Hạn",
    "Quá hạn",
]


def case_export(request):
    user = request.user
    _require(user, VIEW)
    today = datetime.date.today()

    def rows():
        for c in filtered_cases(user, request.GET).iterator(chunk_size=2000):
            is_open = c.is_open and c.due_on is not None
            yield [
                c.full_name,
                c.birth_date,
                c.get_organisation_display(),
                c.get_step_display(),
                c.get_status_display(),
                c.branch.name if c.branch else "",
                c.branch.parent.name if c.branch and c.branch.parent else "",
                c.party_unit.name if c.party_unit else "",
                c.opened_on,
                c.mentor.full_name if c.mentor else "",
                c.get_due_step_display() if is_open else "",
                c.due_on if is_open else None,
                (c.due_on < today) if is_open else None,
            ]

    return export_response(CASE_HEADERS, rows(), "Hồ sơ phát triển đảng viên")


DEADLINE_HEADERS = [
    "Hạn",
    "Tình trạng",
    "Số ngày quá hạn",
    "Họ và tên",
    "Việc đến hạn",
    "Bước hiện tại",
    "Chi bộ",
    "Chi hội",
]


def deadlines_export(request):
    """The deadlines page: open cases overdue or due within the warning period."""
    user = request.user
    _require(user, VIEW)
    today = datetime.date.today()
    soon = _deadline_limits(today)
    form = UnitFilterForm(request.GET or None, unit_queryset=_filter_units(user))
    data = form.cleaned_data if form.is_valid() else {}
    cases = deadline_cases(user, data.get("unit"), soon)

    def rows():
        for c in cases.iterator(chunk_size=2000):
            overdue = c.due_on < today
            yield [
                c.due_on,
                "Quá hạn" if overdue else "Sắp đến hạn",
                (today - c.due_on).days if overdue else None,
                c.full_name,
                c.get_due_step_display(),
                c.get_step_display(),
                c.party_unit.name if c.party_unit else "",
                c.branch.name if c.branch else "",
            ]

    return export_response(DEADLINE_HEADERS, rows(), "Hạn phát triển đảng viên")


CLASS_HEADERS = [
    "Tên lớp",
    "Đơn vị tổ chức",
    "Từ ngày",
    "Đến ngày",
    "Địa điểm",
    "Số học viên",
    "Hoàn thành",
    "Đã cấp giấy chứng nhận",
]


def class_export(request):
    user = request.user
    _require(user, CLASS)
    passed = Q(enrolments__result=Enrolment.Result.PASSED)
    classes = (
        _classes(user)
        .select_related("organiser")
        .annotate(
            n=Count("enrolments"),
            passed=Count("enrolments", filter=passed),
            certified=Count("enrolments", filter=passed & ~Q(enrolments__certificate_no="")),
        )
        .order_by("-start", "-id")
    )
    rows = (
        [k.title, k.organiser.name, k.start, k.end, k.place, k.n, k.passed, k.certified]
        for k in classes
    )
    return export_response(CLASS_HEADERS, rows, "Lớp bồi dưỡng nhận thức về Đảng")
