"""Member registry views. Thin: they fetch through the scoping mechanism, call the
service functions and render."""

import datetime
from dataclasses import dataclass
from functools import partial
from html import escape as esc

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, OuterRef, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from uutu.accounts import permissions
from uutu.accounts.permissions import ALL, scope_prefixes
from uutu.core import audit
from uutu.core.forms import apply_errors, process_form
from uutu.core.links import url_maker
from uutu.core.pagination import first_matches, paginate
from uutu.core.scoping import get_scoped_or_404, under
from uutu.orgs.models import Unit
from uutu.orgs.views import picker_units
from uutu.pipeline.views_cases import person_cases

from . import namewords, services
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
from .models import MemberCount, Party, Person, Position, PositionKind
from .reference import AGE_BANDS

VIEW, ADD, CHANGE, CONTACT = "people.view", "people.add", "people.change", "people.change_contact"
MOVE, ARCHIVE = "people.move", "people.archive"


# The unit picker (``orgs.views.PICKER_PURPOSES``) offering the chi hội of an action.
BRANCH_PICKERS = {ADD: "people_add", MOVE: "people_move"}


def _branches(user, action):
    """The active chi hội of the user's scope for ``action`` (add, move): what the
    form's unit picker accepts and its search offers."""
    return (
        picker_units(user, BRANCH_PICKERS[action])
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
    return rows.filter(under(rows.model.scope_path, path))


def _members_in(user, unit) -> int:
    """The current members in ``user``'s scope (under ``unit`` if given): the sum of
    the per-chi-hội counts (:class:`MemberCount`, kept by triggers)."""
    counts = MemberCount.objects.restrict(user, VIEW)
    if unit is not None:
        counts = _in_unit(counts, unit.path)
    return counts.aggregate(n=Coalesce(Sum("total"), 0))["n"]


def _search_scope(user, unit):
    """Where the list's search looks (:class:`~uutu.people.namewords.Scope`), or
    None for the whole country (a root unit's path has one step)."""
    prefixes = (unit.path,) if unit is not None else scope_prefixes(user, VIEW)
    if prefixes is ALL or any(prefix.count(".") == 1 for prefix in prefixes):
        return None
    return namewords.Scope(tuple(sorted(prefixes)), _members_in(user, unit))


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
    # Whether the search's first matches may be taken in any order (the word index's,
    # the table's) rather than in the list's order (person_list).
    form.any_order = False
    if data.get("q"):
        scope = partial(_search_scope, user, data.get("unit"))
        people, form.any_order = people.searched(data["q"], scope)
    # The unit filter; without one, every path: on SQLite that lets the planner
    # read the members in the list's order through the path index
    # (core.scoping.under), for the list and for a search, which takes its first
    # matches in that order (a whole-table sort otherwise: 14 -> 164 ms on 600,000).
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
    return _members_in(user, data.get("unit"))


# What the list reads of a member (:func:`_list_rows`); her chi hội's and
# commune's names come as two columns of the same query, not as unit objects.
LIST_FIELDS = (
    "full_name",
    "birth_date",
    "is_core_member",
    "is_exemplar",
    "working_away",
    "party_status",
    "sort_key",
)


def _with_names(rows):
    return rows.only(*LIST_FIELDS).annotate(
        branch_name=F("branch__name"), commune_name=F("branch__parent__name")
    )


class _RowLabels:
    """What every row of one list page shares, escaped once: the badges and the
    column labels of the phone layout, in the page's language."""

    def __init__(self):
        self.badges = [
            (name, f'<span class="badge text-bg-{css}">{esc(str(label))}</span>')
            for name, css, label in (
                ("is_core_member", "info", _("nòng cốt")),
                ("is_exemplar", "warning", _("điển hình")),
                ("working_away", "secondary", _("đi làm ăn xa")),
            )
        ]
        self.birth, self.branch, self.position, self.party = (
            esc(str(label))
            for label in (_("Ngày sinh"), _("Chi hội"), _("Chức vụ"), _("Đảng viên"))
        )


@dataclass(slots=True)
class MemberRow:
    """One row of the member list, with its cells' values (the tests and the
    template read them) and its ``<tr>`` (``{{ row.html }}`` in ``people/list.html``).

    The row's HTML is made here with the standard library's escaping rather than
    by the template engine: 50 rows of a dozen cells were 600 template variables
    to resolve and escape, half of the page's work."""

    url: str
    full_name: str
    is_core_member: bool
    is_exemplar: bool
    working_away: bool
    birth: str
    branch_name: str
    commune_name: str
    positions: list[str]
    party: str
    labels: _RowLabels

    @property
    def html(self) -> SafeString:
        lb = self.labels
        marks = "".join(html for name, html in lb.badges if getattr(self, name))
        held = "".join(f"<div>{esc(kind)}</div>" for kind in self.positions) or "—"
        return mark_safe(  # every value in it is escaped
            f'<tr><td><a class="fw-semibold" href="{esc(self.url)}">{esc(self.full_name)}</a>'
            f"{' ' + marks if marks else ''}</td>"
            f'<td data-label="{lb.birth}">{self.birth}</td>'
            f'<td data-label="{lb.branch}">{esc(self.branch_name)}'
            f'<div class="small text-muted">{esc(self.commune_name)}</div></td>'
            f'<td data-label="{lb.position}">{held}</td>'
            f'<td data-label="{lb.party}">{esc(self.party)}</td></tr>'
        )


def _list_rows(people) -> list[MemberRow]:
    """The member list's rows, formatted once here (:class:`MemberRow`); their
    current positions come in one query of two columns."""
    people = list(people)
    positions: dict[int, list[str]] = {}
    if people:
        kinds = dict(PositionKind.choices)
        current = Position.objects.current().filter(person_id__in=[p.pk for p in people])
        for person_id, kind in current.order_by("-start", "id").values_list("person_id", "kind"):
            positions.setdefault(person_id, []).append(str(kinds.get(kind, kind)))
    party = {value: str(label) for value, label in Party.choices}
    party[Party.NONE] = "—"
    url = url_maker("people:detail")
    labels = _RowLabels()
    return [
        MemberRow(
            url=url(p.pk),
            full_name=p.full_name,
            is_core_member=p.is_core_member,
            is_exemplar=p.is_exemplar,
            working_away=p.working_away,
            birth=p.birth_date.strftime("%d/%m/%Y") if p.birth_date else "",
            branch_name=p.branch_name,
            commune_name=p.commune_name or "",
            positions=positions.get(p.pk, []),
            party=party[p.party_status],
            labels=labels,
        )
        for p in people
    ]


def person_list(request):
    user = request.user
    if not permissions.has_any(user, VIEW):
        raise PermissionDenied
    form, people = filter_people(user, request.GET)
    more = False
    if getattr(form, "cleaned_data", {}).get("q"):
        people, more = first_matches(
            people,
            ("sort_key", "id"),
            fetch=_with_names(Person.objects.all()),
            scan=() if form.any_order else LIST_ORDER,
        )
    else:
        people = _with_names(people).order_by(*LIST_ORDER)
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
