"""Export of the member list to .xlsx, with the list's current filter and the same
permission and scope as the list page. The headers are those of the import
template, so an exported file can be corrected and imported again."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch

from uutu.accounts import permissions
from uutu.core import audit
from uutu.core.exports import export_response

from .forms import FilterForm
from .models import Party, Person, Position
from .reference import EDUCATION_CHOICES, RELIGION_CHOICES
from .views import VIEW, _age_range, _filter_units

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
    form = FilterForm(params or None, unit_queryset=_filter_units(user))
    data = form.cleaned_data if form.is_valid() else {}
    people = Person.objects.restrict(user, VIEW)
    people = people.filter(archived_at__isnull=not data.get("archived"))
    if data.get("q"):
        people = people.search(data["q"])
    if data.get("unit"):
        people = people.filter(branch__path__startswith=data["unit"].path)
    if data.get("position"):
        people = people.filter(
            Exists(Position.objects.current().filter(person=OuterRef("pk"), kind=data["position"]))
        )
    party = data.get("party")
    if party == "member":
        people = people.filter(party_status__in=[Party.PROBATIONARY, Party.OFFICIAL])
    elif party:
        people = people.filter(party_status=party)
    if data.get("age"):
        oldest, newest = _age_range(data["age"], datetime.date.today())
        people = people.filter(birth_date__gte=oldest, birth_date__lte=newest)
    if data.get("ethnicity"):
        people = people.filter(ethnicity=data["ethnicity"])
    return people.order_by("sort_key", "id")


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
