"""Export of the member list to .xlsx, with the list's current filter and the same
permission and scope as the list page. The headers are those of the import
template, so an exported file can be corrected and imported again."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch

from uutu.accounts import permissions
from uutu.core import audit
from uutu.core.exports import export_response

from .models import Party, Position
from .reference import EDUCATION_CHOICES, RELIGION_CHOICES
from .views import VIEW, filter_people

HEADERS = [
    "Họ và tên",
    "Ngày sinh",
    "Số CCCD",
    "Chi hội",
    "Hội LHPN xã",
    "Dân tộc",
    "Tôn giáo",
    "Trình độ học vấn",
    "Nghề nghiệp",
    "Điện thoại",
    "Nơi ở hiện nay",
    "Ngày vào Hội",
    "Đi làm ăn xa",
    "Hội viên nòng cốt",
    "Gương điển hình",
    "Thành tích điển hình",
    "Chức vụ",
    "Đảng viên",
    "Ngày lưu trữ",
]
_RELIGION = dict(RELIGION_CHOICES)
_EDUCATION = dict(EDUCATION_CHOICES)


def filtered_people(user, params):
    """The members the list page shows for ``params`` (its GET filters)."""
    return filter_people(user, params)[1]


def _rows(people):
    for p in people:
        yield [
            p.full_name,
            p.birth_date,
            p.cccd or "",
            p.branch.name,
            p.branch.parent.name if p.branch.parent_id else "",
            p.ethnicity,
            str(_RELIGION.get(p.religion, p.religion)),
            str(_EDUCATION.get(p.education, p.education)),
            p.occupation,
            p.phone,
            p.residence,
            p.joined_hoi_on,
            p.working_away,
            p.is_core_member,
            p.is_exemplar,
            p.exemplar_citation,
            "; ".join(str(pos.get_kind_display()) for pos in p.current_positions),
            p.get_party_status_display() if p.party_status != Party.NONE else "",
            p.archived_at,
        ]


def person_export(request):
    user = request.user
    if not permissions.has_any(user, VIEW):
        raise PermissionDenied
    people = (
        filtered_people(user, request.GET)
        .select_related("branch", "branch__parent")
        .prefetch_related(
            Prefetch("positions", queryset=Position.objects.current(), to_attr="current_positions")
        )
    )
    response = export_response(HEADERS, _rows(people.iterator(chunk_size=2000)), "Hội viên")
    audit.record(
        "people.person.exported",
        None,
        after={"filters": dict(request.GET.items()), "count": people.count()},
        user=user,
    )
    return response
