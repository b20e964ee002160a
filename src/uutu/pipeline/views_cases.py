"""Case pages and the Hội's steps: the list, one case with its timeline, the
deadlines, the commune's branch-head screen and bulk actions. Thin views: they
fetch through the scoping mechanism, call the services and render."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as DbCase
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Value, When
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from uutu.accounts import permissions
from uutu.accounts.permissions import ALL, scope_prefixes
from uutu.core import audit
from uutu.core.forms import process_form
from uutu.core.pagination import Chained, IdsFirst, OrderedRows, first_matches, paginate
from uutu.core.scoping import get_scoped_or_404, scope_units, under_any
from uutu.core.text import fold
from uutu.orgs.models import Tree, Unit
from uutu.orgs.views import picker_units
from uutu.people.models import Party, Person, Position, PositionKind

from . import rules as R
from . import services
from .forms_cases import (
    BulkFilterForm,
    BulkForm,
    CaseFilterForm,
    CultivateForm,
    ExitForm,
    HoiCommentForm,
    IntroduceForm,
    MentorForm,
    NoteForm,
    OpenCaseForm,
    ReopenForm,
    UnitFilterForm,
)
from .models import (
    EXIT_STATUSES,
    STEP_ORDER,
    AwarenessClass,
    Case,
    CaseEvent,
    Organisation,
    Status,
    Step,
)
from .workdays import add_working_days, months_between

VIEW, NOTE, HOI = "pipeline.view", "pipeline.note", "pipeline.hoi"
PARTY, COMMITTEE, CLASS = "pipeline.party", "pipeline.committee", "pipeline.class"
PEOPLE_VIEW = "people.view"
ACTIVE = (Status.OPEN, Status.PAUSED)

# The party side's step pages (views_party): linked only when they exist.
PARTY_LINKS = {
    "case_sympathiser": {},
    "case_dossier": {},
    "case_cell_resolution": {},
    "case_committee": {"step": Step.DECISION},
    "case_ceremony": {},
    "case_recognise": {},
}

CASE_RELATED = ("person", "branch", "branch__parent", "party_unit", "party_unit__parent")


def _require(user, action):
    if not permissions.has_any(user, action):
        raise PermissionDenied


def _party_links() -> dict[str, bool]:
    available = {}
    for name, extra in PARTY_LINKS.items():
        try:
            reverse(f"pipeline:{name}", kwargs={"pk": 1, **extra})
        except NoReverseMatch:
            available[name] = False
        else:
            available[name] = True
    return available


def _get_case(user, pk, *actions, queryset=None):
    """One case: 404 outside the user's scope, 403 in scope without any of
    ``actions`` on one of the case's units."""
    queryset = queryset if queryset is not None else Case.objects.select_related(*CASE_RELATED)
    if len(actions) == 1:
        return get_scoped_or_404(user, queryset, actions[0], pk=pk)
    try:
        case = queryset.restrict(user, None).get(pk=pk)
    except Case.DoesNotExist as exc:
        raise Http404 from exc
    units = scope_units(case)
    if not any(permissions.can(user, a, u) for a in actions for u in units):
        raise PermissionDenied
    return case


def _sides(user, case) -> tuple[bool, bool]:
    """(Hội side, party side): may the user act on this case for the Hội / the Party?"""
    hoi = bool(case.branch and permissions.can(user, HOI, case.branch))
    party = bool(case.party_unit and permissions.can(user, PARTY, case.party_unit))
    return hoi, party


def _filter_units(user):
    """Units the unit filters accept (typed into a search-as-you-type picker, so
    no list of every unit is ever rendered): both trees, without the central level."""
    return picker_units(user, "cases")


def _in_unit(qs, unit, probe=False):
    """The cases under ``unit`` by their chi hội or their party unit."""
    return qs.filter(under_any(Case.scope_path, [unit.path], probe))


def _search(qs, text):
    """Accent-insensitive, on the case's own name and her member record's current
    one (``Case.search_name``): every typed word must occur in one of them. One
    table: the join to the members it replaced made PostgreSQL 15 hash the million
    cases against 20 million members, and one search for "tran thi tuyet" grew a
    server process past 20 GB until the kernel killed it (session 9)."""
    for word in fold(text).split(" "):
        qs = qs.filter(search_name__contains=word)
    return qs


def _deadline_limits(today):
    rules = R.rules_on(today)
    return add_working_days(today, rules.due_soon_working_days)


def _flag_deadline(case, today, soon_limit):
    case.overdue = bool(case.due_on and case.is_open and case.due_on < today)
    case.due_soon = bool(
        case.due_on and case.is_open and not case.overdue and case.due_on <= soon_limit
    )
    return case


def _query(request):
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page"])


# --- list and detail ---------------------------------------------------------------


def filter_cases(user, params):
    """The case list's filter form for ``params`` and the cases it selects; the
    list and its Excel export share it."""
    form = CaseFilterForm(params or None, unit_queryset=_filter_units(user))
    form.is_valid()  # the valid filters apply even when another one is not
    data = getattr(form, "cleaned_data", {})
    cases = Case.objects.restrict(user, VIEW)
    if data.get("q", "").strip():
        cases = _search(cases, data["q"].strip())
    for field in ("step", "status", "organisation"):
        if data.get(field):
            cases = cases.filter(**{field: data[field]})
    if data.get("unit"):
        cases = _in_unit(cases, data["unit"])
    return form, cases.select_related(*CASE_RELATED).order_by("-updated_at", "-id")


def case_page(user, params, page_number=None):
    """The case list's filter form and the page ``page_number`` of the cases it
    selects (the list page, and the benchmark that checks it against its floor)."""
    form, cases = filter_cases(user, params)
    more = False
    if getattr(form, "cleaned_data", {}).get("q", "").strip():
        # A search stops after the first matches instead of sorting all of them.
        cases, more = first_matches(
            cases, ("-updated_at", "-id"), fetch=Case.objects.select_related(*CASE_RELATED)
        )
    else:
        cases = IdsFirst(cases)  # the page's ids on the cases alone, then their units
    return form, paginate(page_number, cases, more=more)


def case_list(request):
    user = request.user
    _require(user, VIEW)
    form, page = case_page(user, request.GET, request.GET.get("page"))
    today = datetime.date.today()
    soon = _deadline_limits(today)
    for case in page.object_list:
        _flag_deadline(case, today, soon)
    return render(
        request,
        "pipeline/case_list.html",
        {"form": form, "page": page, "query": _query(request)},
    )


def _events(queryset=None):
    if queryset is None:
        queryset = CaseEvent.objects.all()
    return queryset.select_related("unit", "actor")


def person_cases(user, person) -> list:
    """The cases of one member that ``user`` may see, each with its events
    prefetched (for ``case_person_panel.html``)."""
    return list(
        Case.objects.restrict(user, VIEW)
        .filter(person=person)
        .select_related(*CASE_RELATED)
        .prefetch_related(Prefetch("events", queryset=_events().order_by("date", "id")))
        .order_by("-opened_on", "-id")
    )


def case_detail(request, pk):
    user = request.user
    case = _get_case(
        user, pk, VIEW, queryset=Case.objects.select_related(*CASE_RELATED, "mentor", "dossier")
    )
    audit.record("pipeline.case.viewed", case, user=user)
    today = datetime.date.today()
    rules = R.rules_on(today)
    soon = add_working_days(today, rules.due_soon_working_days)
    _flag_deadline(case, today, soon)
    events = list(_events(case.events.all()))
    dates = {}
    for e in events:
        if e.kind == CaseEvent.Kind.STEP:
            dates[e.step] = e.date
    enrolments = list(case.enrolments.select_related("klass").order_by("-klass__start", "-id"))
    for en in enrolments:
        en.expires_on = en.expired = None
        if en.result == "passed" and en.certificate_on:
            en.expires_on = R.certificate_expires_on(en.certificate_on, rules)
            en.expired = en.expires_on < today
    dossier = getattr(case, "dossier", None)
    hoi_side, party_side = _sides(user, case)
    is_open = case.is_open

    def can(step, *before):
        return (
            is_open
            and step not in dates
            and all(b in dates for b in before)
            and services.can_record(user, case, step)
        )

    links = _party_links()
    note_unit = case.branch or case.party_unit
    actions = {
        "cultivate": can(Step.CULTIVATION, Step.SOURCE),
        "mentor": is_open
        and case.person_id is not None
        and Step.CEREMONY not in dates
        and services.can_record(user, case, Step.CULTIVATION),
        "introduce": can(Step.INTRODUCED, Step.CULTIVATION),
        "hoi_comment": is_open
        and case.organisation == Organisation.HOI
        and Step.INTRODUCED in dates
        and Step.DOSSIER not in dates
        and services.can_record(user, case, Step.INTRODUCED),
        "note": case.status in ACTIVE and permissions.can(user, NOTE, note_unit),
        "exit": case.status in ACTIVE and (hoi_side or party_side),
        "reopen": case.status in EXIT_STATUSES and (hoi_side or party_side),
        "sympathiser": links["case_sympathiser"] and can(Step.SYMPATHISER, Step.INTRODUCED),
        "dossier": links["case_dossier"] and can(Step.DOSSIER, Step.SYMPATHISER, Step.CLASS),
        "cell_resolution": links["case_cell_resolution"]
        and can(Step.CELL_RESOLUTION, Step.DOSSIER),
        "committee_resolution": links["case_committee"]
        and can(Step.COMMITTEE_RESOLUTION, Step.CELL_RESOLUTION),
        "decision": links["case_committee"] and can(Step.DECISION, Step.COMMITTEE_RESOLUTION),
        "ceremony": links["case_ceremony"] and can(Step.CEREMONY, Step.DECISION),
        "recognise": links["case_recognise"] and can(Step.OFFICIAL, Step.CEREMONY),
    }
    return render(
        request,
        "pipeline/case_detail.html",
        {
            "case": case,
            "events": events,
            "dossier": dossier,
            "introducers": list(case.introducers.all()) if Step.SYMPATHISER in dates else [],
            "enrolments": enrolments,
            "rules": rules,
            "age": months_between(case.birth_date, today) // 12,
            "can_see_person": bool(
                case.person_id and permissions.can(user, PEOPLE_VIEW, case.branch)
            ),
            "actions": actions,
            "any_action": any(actions.values()),
            "steps": _progress(case, dates),
        },
    )


def _progress(case, dates):
    """The steps with their dates, for the progress list on the case page."""
    return [
        {"step": s, "label": label, "date": dates.get(s), "current": s == case.step}
        for s, label in Step.choices
    ]


# --- the Hội's steps ---------------------------------------------------------------


def _case_page(request, case, form, save, success, title, **extra):
    return process_form(
        request,
        form,
        save,
        success=success,
        redirect_to=reverse("pipeline:case_detail", args=[case.pk]),
        template="pipeline/case_form.html",
        context={"title": title, "case": case, **extra},
    )


def case_open(request, person_pk):
    user = request.user
    person = get_scoped_or_404(
        user, Person.objects.select_related("branch", "branch__parent"), HOI, pk=person_pk
    )
    form = OpenCaseForm(request.POST or None)
    return process_form(
        request,
        form,
        lambda data: services.open_case(person, on=data["on"], note=data["note"], actor=user),
        success=_("Đã tạo nguồn: %(name)s.") % {"name": person.full_name},
        redirect_to=lambda case: reverse("pipeline:case_detail", args=[case.pk]),
        template="pipeline/case_form.html",
        context={
            "title": _("Tạo nguồn phát triển đảng viên: %(name)s") % {"name": person.full_name},
            "person": person,
            "intro": _(
                "Ghi nhận hội viên là nguồn phát triển đảng viên (rà soát, phát hiện). "
                "Các bước tiếp theo: bồi dưỡng, phân công kèm cặp “1+1”, giới thiệu cho chi bộ."
            ),
        },
    )


def case_cultivate(request, pk):
    user = request.user
    case = _get_case(user, pk, HOI)
    form = CultivateForm(request.POST or None, initial={"plan": case.plan})
    return _case_page(
        request,
        case,
        form,
        lambda data: services.start_cultivation(case, on=data["on"], plan=data["plan"], actor=user),
        _("Đã ghi nhận bắt đầu bồi dưỡng."),
        _("Bồi dưỡng: %(name)s") % {"name": case.full_name},
    )


def _mentors(user, case):
    qs = (
        Person.objects.restrict(user, PEOPLE_VIEW)
        .current()
        .filter(party_status__in=[Party.PROBATIONARY, Party.OFFICIAL])
        .exclude(pk=case.person_id)
        .select_related("branch")
    )
    commune = case.branch.parent if case.branch else None
    if commune is not None:
        qs = qs.annotate(
            near=DbCase(
                When(branch__path__startswith=commune.path, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("near", "sort_key", "id")
    return qs


def case_mentor(request, pk):
    user = request.user
    case = _get_case(user, pk, HOI)
    form = MentorForm(
        request.POST or None,
        mentor_queryset=_mentors(user, case),
        initial={"mentor": case.mentor_id},
    )
    return _case_page(
        request,
        case,
        form,
        lambda data: services.assign_mentor(case, mentor=data["mentor"], on=data["on"], actor=user),
        _("Đã phân công đảng viên kèm cặp “1+1”."),
        _("Phân công kèm cặp “1+1”: %(name)s") % {"name": case.full_name},
    )


def case_note(request, pk):
    user = request.user
    case = _get_case(user, pk, NOTE)
    return _case_page(
        request,
        case,
        NoteForm(request.POST or None),
        lambda data: services.add_note(case, on=data["on"], text=data["text"], actor=user),
        _("Đã lưu ghi chép bồi dưỡng."),
        _("Ghi chép bồi dưỡng: %(name)s") % {"name": case.full_name},
    )


def case_introduce(request, pk):
    user = request.user
    case = _get_case(user, pk, HOI)
    cells = services.cells_for(case)
    counterpart = case.branch.counterpart_id if case.branch else None
    form = IntroduceForm(
        request.POST or None,
        cell_queryset=cells.select_related("level"),
        initial={"cell": counterpart},
    )
    return _case_page(
        request,
        case,
        form,
        lambda data: services.introduce(
            case, cell=data["cell"], on=data["on"], doc_no=data["doc_no"], actor=user
        ),
        _("Đã giới thiệu %(name)s cho chi bộ.") % {"name": case.full_name},
        _("Giới thiệu cho chi bộ: %(name)s") % {"name": case.full_name},
        intro=_(
            "Hội giới thiệu quần chúng ưu tú cho chi bộ nơi cư trú xem xét, đưa vào danh sách "
            "cảm tình Đảng."
        ),
    )


def case_hoi_comment(request, pk):
    user = request.user
    case = _get_case(user, pk, HOI)
    dossier = getattr(case, "dossier", None)
    form = HoiCommentForm(
        request.POST or None, initial={"text": dossier.hoi_comment if dossier else ""}
    )
    return _case_page(
        request,
        case,
        form,
        lambda data: services.record_hoi_comment(
            case, text=data["text"], on=data["on"], actor=user
        ),
        _("Đã lưu nhận xét của Hội."),
        _("Nhận xét của Hội LHPN (5-KNĐ): %(name)s") % {"name": case.full_name},
    )


def case_exit(request, pk):
    user = request.user
    case = _get_case(user, pk, HOI, PARTY)
    hoi_side, party_side = _sides(user, case)
    if not (hoi_side or party_side):
        raise PermissionDenied
    statuses = [
        s for s in EXIT_STATUSES if s != case.status and (party_side or s != Status.NOT_ADMITTED)
    ]
    return _case_page(
        request,
        case,
        ExitForm(request.POST or None, statuses=statuses),
        lambda data: services.exit_case(
            case, status=data["status"], reason=data["reason"], on=data["on"], actor=user
        ),
        _("Đã cập nhật trạng thái hồ sơ."),
        _("Tạm dừng / dừng theo dõi: %(name)s") % {"name": case.full_name},
        danger=True,
    )


def case_reopen(request, pk):
    user = request.user
    case = _get_case(user, pk, HOI, PARTY)
    hoi_side, party_side = _sides(user, case)
    if not (hoi_side or party_side):
        raise PermissionDenied
    return _case_page(
        request,
        case,
        ReopenForm(request.POST or None),
        lambda data: services.reopen_case(case, on=data["on"], note=data["note"], actor=user),
        _("Đã mở lại hồ sơ."),
        _("Mở lại hồ sơ: %(name)s") % {"name": case.full_name},
    )


# --- deadlines, branch heads ---------------------------------------------------------


def deadline_cases(user, unit, soon):
    """The open cases of the user's scope (under ``unit`` when given) due by
    ``soon`` or overdue, by due date: the deadlines page and its export. The open
    cases' due-date index leads; the scope is probed row by row (InUnits probe)."""
    cases = (
        Case.objects.restrict(user, VIEW, probe=True)
        .open()
        .filter(due_on__isnull=False, due_on__lte=soon)
    )
    if unit:
        cases = _in_unit(cases, unit, probe=True)
    return cases.select_related(*CASE_RELATED).order_by("due_on", "id")


def deadlines(request):
    user = request.user
    _require(user, VIEW)
    today = datetime.date.today()
    rules = R.rules_on(today)
    soon = add_working_days(today, rules.due_soon_working_days)
    form = UnitFilterForm(request.GET or None, unit_queryset=_filter_units(user))
    data = form.cleaned_data if form.is_valid() else {}
    cases = deadline_cases(user, data.get("unit"), soon)
    page = Paginator(cases, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page.object_list:
        _flag_deadline(case, today, soon)
    return render(
        request,
        "pipeline/deadlines.html",
        {
            "form": form,
            "page": page,
            "query": _query(request),
            "soon": soon,
            "rules": rules,
            "today": today,
        },
    )


PROVINCE_SEGMENTS = 2  # a province's path: "00000001.00000003."


def _heads(user, prefixes, unit=None):
    """The current branch-head positions of non-party, unarchived members in the
    user's scope, whose chi hội lies under ``prefixes`` (her scope's, or the chosen
    ``unit``'s path, under which the member must be too). The chi hội's own
    condition leads: the province's few thousand positions are found through the
    chi hội, not by reading the country's 100,000 heads and their members (a
    province's page: 873 ms before, session 9). A head who moved out of the chi hội
    she heads without her position being ended shows where both lie in scope."""
    positions = Position.objects.restrict(user, VIEW).current()
    if unit:
        positions = positions.filter(under_any("person__branch__path", prefixes))
    return positions.filter(
        under_any("unit__path", prefixes),
        kind=PositionKind.BRANCH_HEAD,
        person__party_status=Party.NONE,
        person__archived_at__isnull=True,
    )


def _in_list_order(rows, prefixes) -> list[int]:
    """The members of ``rows`` (id, chi hội, sort key: from the heads' query, which
    joins them already) in the list's order (commune, chi hội, name), sorted here:
    narrow queries for a province's few thousand heads. Sorted in SQL, PostgreSQL
    hashed the country's 200,000 units to join them (90 ms)."""
    rows = list(dict.fromkeys(rows))  # the head of two chi hội once
    # Every unit under ``prefixes`` (where the heads' chi hội are), through the path
    # index: cheaper than the same units by a list of a few thousand ids (30 ms).
    units = {
        pk: (name, parent)
        for pk, name, parent in Unit.objects.filter(under_any("path", prefixes)).values_list(
            "pk", "name", "parent_id"
        )
    }
    above = {parent for _name, parent in units.values() if parent not in units}
    units.update(
        (pk, (name, None))
        for pk, name in Unit.objects.filter(pk__in=above).values_list("pk", "name")
    )
    order = {pk: (units[parent][0] if parent else "", name) for pk, (name, parent) in units.items()}
    rows.sort(key=lambda r: (*order.get(r[1], ("", "")), r[2], r[0]))
    return [r[0] for r in rows]


def branch_heads(request):
    """The commune's screen: non-party branch heads, each with her case or none."""
    user = request.user
    _require(user, VIEW)
    units = _filter_units(user).filter(tree=Tree.HOI)
    form = UnitFilterForm(request.GET or None, unit_queryset=units)
    data = form.cleaned_data if form.is_valid() else {}
    unit = data.get("unit")
    prefixes = [unit.path] if unit else permissions.scope_prefixes(user, VIEW)
    if not unit and (
        prefixes is permissions.ALL or any(p.count(".") < PROVINCE_SEGMENTS for p in prefixes)
    ):
        # Above a province: 60,000 names are a list for nobody, and counting them
        # read every branch head and her member record (4 s). Ask for a unit; the
        # dashboard has the country's branch-head figures.
        return render(
            request,
            "pipeline/branch_heads.html",
            {"form": form, "choose_unit": True, "query": _query(request)},
        )
    # A province's few thousand heads, found once (each of the three queries below
    # found them again through the positions: 45 ms a time).
    heads = _heads(user, prefixes, unit).order_by()  # sorted below
    people_ids = _in_list_order(
        heads.values_list("person_id", "person__branch_id", "person__sort_key"), prefixes
    )
    people = OrderedRows(Person.objects.select_related("branch", "branch__parent"), people_ids)
    page = Paginator(people, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    latest = {}
    for case in (
        Case.objects.restrict(user, VIEW)
        .filter(person_id__in=[p.pk for p in rows])
        .order_by("person_id", "opened_on", "id")
    ):
        latest[case.person_id] = case  # the newest one wins
    for person in rows:
        person.case = latest.get(person.pk)
        person.can_open = person.case is None and permissions.can(user, HOI, person.branch)
    total = page.paginator.count
    introduced = [s for s in Step.values if STEP_ORDER[s] >= STEP_ORDER[Step.INTRODUCED]]
    # Both counts in one pass over the heads, each looking up her own cases (the
    # scope probed: see InUnits): from the cases' side PostgreSQL walked the
    # province's 44,000 cases (230 ms).
    cases = Case.objects.restrict(user, VIEW, probe=True).filter(person_id=OuterRef("pk"))
    figures = Person.objects.filter(pk__in=people_ids).aggregate(
        with_case=Count("pk", filter=Exists(cases)),
        introduced=Count("pk", filter=Exists(cases.filter(step__in=introduced))),
    )
    with_case = figures["with_case"]
    return render(
        request,
        "pipeline/branch_heads.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": _query(request),
            "total": total,
            "with_case": with_case,
            "introduced": figures["introduced"],
            "percent": round(100 * with_case / total) if total else 0,
        },
    )


# --- bulk ------------------------------------------------------------------------------


def _counterpart_cell(case):
    """The party cell matching her chi hội, among the cells she may be introduced to."""
    counterpart = case.branch.counterpart_id if case.branch else None
    cell = services.cells_for(case).filter(pk=counterpart).first() if counterpart else None
    if cell is None:
        raise ValidationError(
            _("Chi hội %(branch)s chưa có chi bộ tương ứng: hãy giới thiệu từng người.")
            % {"branch": case.branch.name if case.branch else "—"}
        )
    return cell


BULK_CLASSES = 100


def newest_classes(user, classes) -> list:
    """The newest ``BULK_CLASSES`` of ``classes`` (the classes of her scope for
    ``pipeline.class``), for the bulk page's list.

    For the whole country PostgreSQL walks the classes newest first (index
    class_newest) and stops after them. For a scope, walking them newest first read
    all the country's classes when hers were few or none (a Hội province, whose
    classes the Party organises: 120 ms). So the units of her scope that organise
    a class are found first (a province's 8,000 units, each probed in the
    organiser index: a few ms) and her classes are read by those units' ids."""
    if scope_prefixes(user, CLASS) is not ALL:
        organisers = Unit.objects.restrict(user, CLASS).filter(
            Exists(AwarenessClass.objects.filter(organiser=OuterRef("pk")))
        )
        classes = classes.filter(organiser__in=list(organisers.values_list("pk", flat=True)))
    return list(classes.order_by("-start", "-id")[:BULK_CLASSES])


def bulk(request):
    user = request.user
    if not (permissions.has_any(user, HOI) or permissions.has_any(user, CLASS)):
        raise PermissionDenied
    classes = AwarenessClass.objects.restrict(user, CLASS).select_related("organiser")
    offered = newest_classes(user, classes)
    scoped = Case.objects.restrict(user, VIEW).open()
    if request.method == "POST":
        form = BulkForm(request.POST, class_queryset=classes, offered=offered)
        ids = []
        for raw in request.POST.getlist("case"):
            try:
                ids.append(int(raw))
            except (TypeError, ValueError):
                continue
        if not ids:
            form.is_valid()
            form.add_error(None, _("Hãy chọn ít nhất một hồ sơ."))
        if ids and form.is_valid():
            data = form.cleaned_data
            found = {c.pk: c for c in scoped.filter(pk__in=ids).select_related(*CASE_RELATED)}
            cases = [found[i] for i in dict.fromkeys(ids) if i in found]
            if data["action"] == BulkForm.INTRODUCE:

                def action(case):
                    services.introduce(
                        case,
                        cell=_counterpart_cell(case),
                        on=data["on"],
                        doc_no=data["doc_no"],
                        actor=user,
                    )

                title = _("Giới thiệu cho chi bộ")
            else:

                def action(case):
                    services.enrol(case, klass=data["klass"], actor=user)

                title = _("Cử đi lớp %(klass)s") % {"klass": data["klass"]}
            results = services.bulk(cases, action)
            missing = [i for i in dict.fromkeys(ids) if i not in found]
            done = sum(1 for _c, error in results if error is None)
            if done:
                messages.success(request, _("Đã thực hiện cho %(n)s hồ sơ.") % {"n": done})
            refused = len(results) - done
            if refused or missing:
                messages.warning(
                    request,
                    _("%(n)s hồ sơ chưa thực hiện được: xem lý do bên dưới.")
                    % {"n": refused + len(missing)},
                )
            return render(
                request,
                "pipeline/bulk_result.html",
                {"title": title, "results": results, "missing": missing, "done": done},
            )
        selected = set(ids)
        filter_form = BulkFilterForm(request.GET or None, unit_queryset=_filter_units(user))
    else:
        form = BulkForm(class_queryset=classes, offered=offered)
        filter_form = BulkFilterForm(request.GET or None, unit_queryset=_filter_units(user))
        selected = set()
    data = filter_form.cleaned_data if filter_form.is_valid() else {}
    cases = scoped
    if data.get("step"):
        cases = cases.filter(step=data["step"])
    if data.get("unit"):
        cases = _in_unit(cases, data["unit"])
    # The page's ids in chi hội order first, then their relations (IdsFirst): with
    # the relations joined, the country's 364,000 open cases took 4.5 s to sort.
    # The cases of a chi hội (the join to it an inner one, so that PostgreSQL walks
    # the units in path order), then the external candidates: see Chained.
    cases = cases.select_related(*CASE_RELATED)
    page = Paginator(
        Chained(
            IdsFirst(
                cases.filter(branch__path__isnull=False).order_by(
                    "branch__path", "full_name", "id"
                ),
                counted=cases.filter(branch__isnull=False),  # no join to count them
            ),
            IdsFirst(cases.filter(branch__isnull=True).order_by("full_name", "id")),
        ),
        200,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "pipeline/bulk.html",
        {
            "form": form,
            "filter_form": filter_form,
            "page": page,
            "query": _query(request),
            "selected": selected,
            "can_enrol": bool(offered),
        },
    )
