"""Member registry views. Thin: they fetch through the scoping mechanism, call the
service functions and render."""

import datetime
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from uutu.accounts import permissions
from uutu.core import audit
from uutu.core.forms import apply_errors, process_form
from uutu.core.pagination import first_matches, paginate
from uutu.core.scoping import get_scoped_or_404, under
from uutu.orgs.models import Tree, Unit
from uutu.orgs.views import picker_units
from uutu.pipeline.views_cases import person_cases

from . import services
from .forms import (
    PERSON_FIELDS,
    ArchiveForm,
    ContactForm,
    FilterForm,
    MoveForm,
    PartyStatusForm,
    PersonCreateForm,
    PersonForm,
    PositionEndForm,
    PositionForm,
)
from .models import MemberCount, Party, Person, Position
from .reference import AGE_BANDS

VIEW, ADD, CHANGE, CONTACT = "people.view", "people.add", "people.change", "people.change_contact"
MOVE, ARCHIVE = "people.move", "people.archive"


def _branches(user, action):
    return (
        Unit.objects.restrict(user, action)
        .active()
        .filter(tree=Tree.HOI, level__code__in=services.BRANCH_LEVEL_CODES)
        .select_related("parent")
        .order_by("parent__name", "name")
    )


def _age_range(code, today):
    for band, _label, lo, hi in AGE_BANDS:
        if band == code:
            newest = today.replace(year=today.year - lo)
            oldest = today.replace(year=today.year - hi - 1) + datetime.timedelta(days=1)
            return oldest, newest
    return None


# A list is read chi hội by chi hội (in the order of the units' codes, as the
# paper registers are kept), each by name the Vietnamese way. The database then
# reads a page from the first chi hội of the scope on, through the (chi hội, name)
# index: ordering a province's 200,000 members by name alone read or sorted most of
# them for every page (a quarter of a second for a small province).
LIST_ORDER = ("branch__path", "sort_key", "id")


def _in_unit(rows, path: str):
    """Members, or per-chi-hội counts, of the chi hội under the unit of ``path``
    (every one for "")."""
    return rows.filter(under("branch__path", path))


def filter_people(user, params):
    """The list page's filter form for ``params`` (its GET) and the members it
    selects, in the Vietnamese order. The list and its Excel export share it."""
    form = FilterForm(params or None, unit_queryset=picker_units(user, "people"))
    # The valid filters apply even when another one is not (a unit name that
    # matches several units is reported on its field).
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    people = Person.objects.restrict(user, VIEW)
    people = people.filter(archived_at__isnull=not data.get("archived"))
    if data.get("q"):
        people = people.search(data["q"])
    # The unit filter; without one, for the list (a search is sorted in Python),
    # every path: on SQLite that lets the planner read the list in its order
    # through the path index (core.scoping.under).
    if data.get("unit") or not data.get("q"):
        people = _in_unit(people, data["unit"].path if data.get("unit") else "")
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
    return form, people.order_by(*LIST_ORDER)


# The list's filters that the per-chi-hội member counts cannot answer.
ROW_FILTERS = ("q", "position", "party", "age", "ethnicity", "archived")


def _counted(user, form) -> int | None:
    """How many current members the list holds when it is filtered by scope and
    unit only: the sum of the per-chi-hội counts (:class:`MemberCount`, kept by
    triggers), so a province's list says "1.003.318 hội viên" without counting a
    million rows on every page. None when another filter applies."""
    data = getattr(form, "cleaned_data", None) if form.is_bound else {}
    if data is None or any(data.get(name) for name in ROW_FILTERS):
        return None
    if form.data.get("unit") and not data.get("unit"):
        return None  # a unit name that did not resolve: the list is not filtered by it
    counts = MemberCount.objects.restrict(user, VIEW)
    if data.get("unit"):
        counts = _in_unit(counts, data["unit"].path)
    return counts.aggregate(n=Coalesce(Sum("total"), 0))["n"]


# What the list shows (:func:`_list_rows`): the rest of a member's 26 columns and
# of her units' rows is not read.
LIST_FIELDS = (
    "full_name",
    "birth_date",
    "is_core_member",
    "is_exemplar",
    "working_away",
    "party_status",
    "sort_key",
    "branch__name",
    "branch__parent_id",
    "branch__parent__name",
)


def _list_rows(people) -> list[SimpleNamespace]:
    """The member list's rows, formatted once here: a template lookup per cell
    (URL, date filter, choice labels, the branch's parent) was two thirds of the
    page's rendering."""
    party = dict(Party.choices)
    return [
        SimpleNamespace(
            url=reverse("people:detail", args=[p.pk]),
            full_name=p.full_name,
            is_core_member=p.is_core_member,
            is_exemplar=p.is_exemplar,
            working_away=p.working_away,
            birth=p.birth_date.strftime("%d/%m/%Y") if p.birth_date else "",
            branch_name=p.branch.name,
            commune_name=p.branch.parent.name if p.branch.parent_id else "",
            positions=[pos.get_kind_display() for pos in p.current_positions],
            party=party[p.party_status] if p.party_status != Party.NONE else "—",
        )
        for p in people
    ]


def person_list(request):
    user = request.user
    if not permissions.has_any(user, VIEW):
        raise PermissionDenied
    form, people = filter_people(user, request.GET)
    more = False

    def with_related(rows):
        return (
            rows.select_related("branch", "branch__parent")
            .only(*LIST_FIELDS)
            .prefetch_related(
                Prefetch(
                    "positions",
                    queryset=Position.objects.current().only("person_id", "kind"),
                    to_attr="current_positions",
                )
            )
        )

    if getattr(form, "cleaned_data", {}).get("q"):
        people, more = first_matches(
            people, ("sort_key", "id"), fetch=with_related(Person.objects.all())
        )
    else:
        people = with_related(people).order_by(*LIST_ORDER)
    page = paginate(request, people, more=more, count=_counted(user, form))
    page.object_list = _list_rows(page.object_list)
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
    return render(
        request,
        "people/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_add": permissions.has_any(user, ADD),
        },
    )


def person_detail(request, pk):
    person = get_scoped_or_404(
        request.user, Person.objects.select_related("branch", "branch__parent"), VIEW, pk=pk
    )
    audit.record("people.person.viewed", person, user=request.user)
    user = request.user
    unit = person.branch
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "memberships": person.memberships.select_related("branch"),
            "positions": person.positions.select_related("unit"),
            "party_periods": person.party_periods.all(),
            "history": audit.history_for(person).exclude(action="people.person.viewed")[:50],
            "can_change": permissions.can(user, CHANGE, unit),
            "can_contact": permissions.can(user, CONTACT, unit),
            "can_move": permissions.can(user, MOVE, unit),
            "can_archive": permissions.can(user, ARCHIVE, unit),
            "person_cases": person_cases(user, person),
            "can_open_case": not person.is_archived and permissions.can(user, "pipeline.hoi", unit),
        },
    )


def person_create(request):
    user = request.user
    if not permissions.has_any(user, ADD):
        raise PermissionDenied
    form = PersonCreateForm(
        request.POST or None,
        branch_queryset=_branches(user, ADD),
        initial={"branch": request.GET.get("chi_hoi")},
    )
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in PERSON_FIELDS}
        try:
            person = services.create_person(
                actor=user, branch=form.cleaned_data["branch"], **fields
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm hội viên {person.full_name}.")
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "title": "Thêm hội viên"})


def _person_page(request, person, form, save, success, title, **extra):
    return process_form(
        request,
        form,
        save,
        success=success,
        redirect_to=reverse("people:detail", args=[person.pk]),
        template="people/form.html",
        context={"title": f"{title}: {person.full_name}", "person": person, **extra},
    )


def person_edit(request, pk):
    person = get_scoped_or_404(request.user, Person, CHANGE, pk=pk)
    form = PersonForm(request.POST or None, instance=Person.objects.get(pk=person.pk))
    return _person_page(
        request,
        person,
        form,
        lambda data: services.update_person(
            person, actor=request.user, **{f: data[f] for f in PERSON_FIELDS}
        ),
        "Đã lưu thông tin hội viên.",
        "Sửa thông tin",
    )


def person_contact(request, pk):
    """The limited edit a branch head may make: phone, address, occupation, away."""
    person = get_scoped_or_404(request.user, Person, CONTACT, pk=pk)
    form = ContactForm(request.POST or None, instance=Person.objects.get(pk=person.pk))
    return _person_page(
        request,
        person,
        form,
        lambda data: services.update_person(person, actor=request.user, contact_only=True, **data),
        "Đã cập nhật thông tin liên hệ.",
        "Cập nhật liên hệ",
    )


def person_move(request, pk):
    person = get_scoped_or_404(request.user, Person.objects.select_related("branch"), MOVE, pk=pk)
    form = MoveForm(
        request.POST or None,
        branch_queryset=_branches(request.user, MOVE).exclude(pk=person.branch_id),
    )
    return _person_page(
        request,
        person,
        form,
        lambda data: services.move_person(
            person,
            to_branch=data["to_branch"],
            on=data["on"],
            reason=data["reason"],
            actor=request.user,
        ),
        "Đã chuyển sinh hoạt.",
        "Chuyển sinh hoạt",
    )


def person_archive(request, pk):
    person = get_scoped_or_404(request.user, Person, ARCHIVE, pk=pk)
    return _person_page(
        request,
        person,
        ArchiveForm(request.POST or None),
        lambda data: services.archive_person(person, reason=data["reason"], actor=request.user),
        f"Đã lưu trữ hồ sơ {person.full_name}.",
        "Lưu trữ hồ sơ",
        danger=True,
    )


@require_POST
def person_restore(request, pk):
    person = get_scoped_or_404(
        request.user, Person.objects.select_related("branch"), ARCHIVE, pk=pk
    )
    try:
        services.restore_person(person, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Đã khôi phục hồ sơ {person.full_name}.")
    return redirect("people:detail", pk=person.pk)


def position_add(request, pk):
    person = get_scoped_or_404(request.user, Person.objects.select_related("branch"), CHANGE, pk=pk)
    ancestors = person.branch.ancestor_ids()
    units = Unit.objects.restrict(request.user, CHANGE).active().filter(pk__in=ancestors)
    form = PositionForm(
        request.POST or None, unit_queryset=units, initial={"unit": person.branch_id}
    )
    return _person_page(
        request,
        person,
        form,
        lambda data: services.start_position(
            person, kind=data["kind"], unit=data["unit"], start=data["start"], actor=request.user
        ),
        "Đã ghi nhận chức vụ.",
        "Thêm chức vụ",
    )


def position_end(request, pk):
    position = get_scoped_or_404(
        request.user, Position.objects.select_related("person", "unit"), CHANGE, pk=pk
    )
    return _person_page(
        request,
        position.person,
        PositionEndForm(request.POST or None),
        lambda data: services.end_position(position, end=data["end"], actor=request.user),
        "Đã kết thúc chức vụ.",
        f"Kết thúc chức vụ {position}",
    )


def party_status(request, pk):
    person = get_scoped_or_404(request.user, Person, CHANGE, pk=pk)
    form = PartyStatusForm(request.POST or None, initial={"status": person.party_status})
    return _person_page(
        request,
        person,
        form,
        lambda data: services.set_party_status(
            person, status=data["status"], on=data["on"], doc_no=data["doc_no"], actor=request.user
        ),
        "Đã cập nhật tình trạng đảng viên.",
        "Tình trạng đảng viên",
    )
