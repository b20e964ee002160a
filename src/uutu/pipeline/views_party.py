"""The party side of the pipeline: the candidates introduced to the cells by every
mass organisation, the cell's and the committee's steps, the monthly review of the
sympathiser list and the Party awareness classes.

Thin views: records are fetched through the scoping mechanism, every write goes
through :mod:`uutu.pipeline.services`, whose Vietnamese errors land on the form.
"""

import datetime
import re
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from uutu.accounts import permissions
from uutu.accounts.permissions import ALL, scope_prefixes
from uutu.core.forms import process_form
from uutu.core.pagination import IdsFirst
from uutu.core.scoping import get_scoped_or_404
from uutu.orgs.models import Tree, Unit
from uutu.orgs.views import PICKER_PURPOSES, picker_units

from . import counters, services
from . import rules as R
from .forms_party import (
    CandidateFilterForm,
    CellResolutionForm,
    CeremonyForm,
    CertifyForm,
    ClassForm,
    CommitteeForm,
    DossierForm,
    ExternalCaseForm,
    RecogniseForm,
    ResultForm,
    ReviewForm,
    SympathiserForm,
)
from .models import AwarenessClass, Case, Enrolment, Organisation, Status, Step
from .workdays import add_months, months_between, working_days_between

VIEW, PARTY, CLASS = "pipeline.view", "pipeline.party", "pipeline.class"
CELL_LEVEL = "dang_cell"
ORGANISER_LEVELS = PICKER_PURPOSES["class_organisers"].levels
SYMPATHISER_STEPS = (Step.SYMPATHISER, Step.CLASS, Step.DOSSIER)

# What the party must do next, from the furthest step reached.
NEXT_STEP = {
    Step.INTRODUCED: Step.SYMPATHISER,
    Step.SYMPATHISER: Step.CLASS,
    Step.CLASS: Step.DOSSIER,
    Step.DOSSIER: Step.CELL_RESOLUTION,
    Step.CELL_RESOLUTION: Step.COMMITTEE_RESOLUTION,
    Step.COMMITTEE_RESOLUTION: Step.DECISION,
    Step.DECISION: Step.CEREMONY,
    Step.CEREMONY: Step.OFFICIAL,
}


def step_url(case, step) -> str | None:
    """The page where ``step`` of ``case`` is recorded."""
    names = {
        Step.SYMPATHISER: "pipeline:case_sympathiser",
        Step.DOSSIER: "pipeline:case_dossier",
        Step.CELL_RESOLUTION: "pipeline:case_cell_resolution",
        Step.CEREMONY: "pipeline:case_ceremony",
        Step.OFFICIAL: "pipeline:case_recognise",
    }
    if step in (Step.COMMITTEE_RESOLUTION, Step.DECISION):
        return reverse("pipeline:case_committee", kwargs={"pk": case.pk, "step": step})
    if step == Step.CLASS:
        return reverse("pipeline:class_list")
    return reverse(names[step], args=[case.pk]) if step in names else None


def case_url(case) -> str:
    """The case page (written with the Hội's steps, views_cases)."""
    return reverse("pipeline:case_detail", args=[case.pk])


def _cases():
    return Case.objects.select_related(
        "branch",
        "branch__parent",
        "party_unit",
        "party_unit__parent",
        "party_unit__level",
        "person",
    )


def _cells(user, action):
    """The active party cells of the user's scope for ``action``, by commune."""
    purpose = {PARTY: "party_cells", VIEW: "view_cells"}[action]
    return picker_units(user, purpose).select_related("parent").order_by("parent__name", "name")


def _age_text(months: int) -> str:
    years, rest = divmod(months, 12)
    if rest:
        return _("%(y)s tuổi %(m)s tháng") % {"y": years, "m": rest}
    return _("%(y)s tuổi") % {"y": years}


def _d(day) -> str:
    return f"{day:%d/%m/%Y}" if day else "—"


# --- the candidates introduced to the cells -----------------------------------------


CELLS_PER_PAGE = 20


def candidate_cells(user):
    """The party cells of the candidates page and of its cell filter: the active
    cells of the user's scope, and any cell holding a case she may see (a Hội cadre
    sees the cells her members were introduced to)."""
    cells = Unit.objects.filter(tree=Tree.DANG, level__code=CELL_LEVEL)
    scoped = picker_units(user, "view_cells")
    seen = Case.objects.restrict(user, VIEW)
    if scope_prefixes(user, VIEW) is ALL:
        # Every case is hers: each cell probes its own (listing the party units of
        # the country's million cases, to hash them, took 65 ms a query).
        return scoped | cells.filter(Exists(seen.filter(party_unit=OuterRef("pk"))))
    # One list of ids, the cells of her scope and the party units of her cases (a
    # province's 44,000, not joined to their level: the outer filter keeps the
    # cells), that PostgreSQL looks up by id. As two conditions ORed on the cells,
    # it read all 100,000 of the country's cells for a cell secretary (20 ms a
    # query), or walked them in name order for her one cell (75 ms).
    return cells.filter(pk__in=scoped.values("pk").union(seen.values("party_unit_id")))


def _cell_summaries(cases, cells) -> list:
    """Per cell of ``cells`` (one page of them): its candidates by organisation, its
    sympathisers and the oldest review of the sympathiser list, from one GROUP BY
    over the cases of those cells only."""
    org_labels = dict(Organisation.choices)
    summaries = {
        cell.pk: SimpleNamespace(
            pk=cell.pk,
            name=cell.name,
            parent_name=cell.parent.name if cell.parent_id else "",
            path=cell.path,
            total=0,
            orgs=[],
            sympathisers=0,
            oldest_review=None,
        )
        for cell in cells
    }
    counts = (
        cases.filter(party_unit__in=list(summaries))
        .values("party_unit", "organisation")
        .annotate(
            n=Count("id"),
            sympathisers=Count("id", filter=Q(status=Status.OPEN, step__in=SYMPATHISER_STEPS)),
            oldest_review=Min(
                "sympathiser_review_on", filter=Q(status=Status.OPEN, step__in=SYMPATHISER_STEPS)
            ),
        )
        .order_by("party_unit", "organisation")
    )
    for row in counts:
        cell = summaries[row["party_unit"]]
        cell.total += row["n"]
        cell.orgs.append((row["organisation"], org_labels[row["organisation"]], row["n"]))
        cell.sympathisers += row["sympathisers"]
        if row["oldest_review"] and (
            cell.oldest_review is None or row["oldest_review"] < cell.oldest_review
        ):
            cell.oldest_review = row["oldest_review"]
    return list(summaries.values())


def party_candidates(request):
    """Every candidate introduced to the cells in the user's scope, whichever mass
    organisation introduced her, with the step reached and what the party must do
    next. Above the list, the cells, a page of ``CELLS_PER_PAGE`` at a time (a
    commune party committee has a few dozen, the country 100,000), each with its
    counts from one GROUP BY over that page's cells."""
    user = request.user
    if not permissions.has_any(user, VIEW):
        raise PermissionDenied
    today = datetime.date.today()
    rules = R.rules_on(today)
    cases = Case.objects.restrict(user, VIEW).filter(party_unit__level__code=CELL_LEVEL)

    status = request.GET.get("status", "")
    if status == "":
        cases = cases.filter(status__in=[Status.OPEN, Status.PAUSED])
    elif status in Status.values:
        cases = cases.filter(status=status)
    else:
        status = "all"  # any other value: every status

    cells = candidate_cells(user)

    def count():
        # Not COUNT(id): the totals come from index case_cell_candidates alone.
        totals = cases.order_by().values("organisation").annotate(n=Count("*"))
        return cells.count(), list(totals.values_list("organisation", "n"))

    # The cells (for the filter's widget and their pages) and the candidates by
    # organisation, counted once and kept until a case or a unit of her scope
    # changes: a province's took 55 ms, the country's 75.
    cell_count, org_totals = counters.scope_cached("candidates", user, VIEW, (status,), count)
    org_totals = dict(org_totals)
    form = CandidateFilterForm(
        request.GET or None,
        cell_queryset=cells.select_related("parent").order_by("parent__name", "name", "pk"),
        cell_count=cell_count,
    )
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("cell"):
        cells, cell_count = cells.filter(pk=data["cell"].pk), 1
    # The page's cells first, then their communes (a province's Hội cadre: 5,000
    # cells hold her cases).
    cell_paginator = Paginator(
        IdsFirst(cells.order_by("name", "pk"), fetch=Unit.objects.select_related("parent")),
        CELLS_PER_PAGE,
    )
    cell_paginator.count = cell_count  # a cached property: not counted again
    cell_page = cell_paginator.get_page(request.GET.get("cells_page"))
    cell_list = _cell_summaries(cases, cell_page.object_list)
    for cell in cell_list:
        cell.can_review = permissions.can(user, VIEW, cell)
        cell.review_stale = (
            cell.oldest_review is not None and months_between(cell.oldest_review, today) >= 1
        )
    org_labels = dict(Organisation.choices)

    if data.get("cell"):
        cases = cases.filter(party_unit=data["cell"])
    if data.get("organisation"):
        cases = cases.filter(organisation=data["organisation"])
    if data.get("overdue"):
        cases = cases.filter(due_on__lt=today, status=Status.OPEN)
    cases = cases.order_by("party_unit__name", F("due_on").asc(nulls_last=True), "full_name", "id")
    # The page's rows by their ids alone, with their units: the ids came through
    # her scope, whose filter on 50 rows cost 15 ms more for a province.
    fetch = Case.objects.select_related("party_unit", "branch")
    paginator = Paginator(IdsFirst(cases, fetch=fetch), settings.PAGE_SIZE)
    if not any(data.get(k) for k in ("cell", "organisation", "overdue")):
        paginator.count = sum(org_totals.values())  # the same cases: counted already
    page = paginator.get_page(request.GET.get("page"))
    for case in page.object_list:
        _annotate_row(user, case, today, rules)
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
    return render(
        request,
        "pipeline/party_candidates.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "cells": cell_list,
            "cell_page": cell_page,
            "cell_query": urlencode([(k, v) for k, v in request.GET.items() if k != "cells_page"]),
            "org_totals": [
                (org, label, org_totals[org])
                for org, label in org_labels.items()
                if org in org_totals
            ],
            "total": sum(org_totals.values()),
            "can_add": permissions.has_any(user, PARTY),
            "can_class": permissions.has_any(user, CLASS),
            "today": today,
        },
    )


def _annotate_row(user, case, today, rules) -> None:
    case.detail_url = case_url(case)
    case.next_step = NEXT_STEP.get(case.step) if case.status == Status.OPEN else None
    case.next_label = Step(case.next_step).label if case.next_step else ""
    case.next_url = None
    if case.next_step and (
        case.next_step == Step.CLASS
        and permissions.has_any(user, CLASS)
        or case.next_step != Step.CLASS
        and services.can_record(user, case, case.next_step)
    ):
        case.next_url = step_url(case, case.next_step)
    case.overdue = bool(case.due_on and case.due_on < today and case.status == Status.OPEN)
    case.due_soon = bool(
        case.due_on
        and not case.overdue
        and working_days_between(today, case.due_on) <= rules.due_soon_working_days
    )
    case.is_sympathiser = case.status == Status.OPEN and case.step in SYMPATHISER_STEPS
    case.review_stale = case.is_sympathiser and (
        case.sympathiser_review_on is None or months_between(case.sympathiser_review_on, today) >= 1
    )


def external_create(request):
    """A candidate introduced to the cell by Đoàn, Hội Nông dân, CCB, Công đoàn or
    MTTQ, entered by the party side."""
    user = request.user
    if not permissions.has_any(user, PARTY):
        raise PermissionDenied
    cells = _cells(user, PARTY)
    form = ExternalCaseForm(
        request.POST or None, cell_queryset=cells, initial={"cell": request.GET.get("chi_bo")}
    )
    return process_form(
        request,
        form,
        lambda data: services.open_external_case(actor=user, **data),
        success=_("Đã ghi nhận ứng viên do tổ chức khác giới thiệu."),
        redirect_to=case_url,
        template="pipeline/step_form.html",
        context={
            "title": _("Ứng viên do tổ chức khác giới thiệu"),
            "intro": _(
                "Quần chúng ưu tú do Đoàn Thanh niên, Hội Nông dân, Hội Cựu chiến binh, "
                "Công đoàn hoặc Mặt trận giới thiệu cho chi bộ. Ứng viên của Hội LHPN do "
                "Hội tạo nguồn và giới thiệu."
            ),
            "back_url": reverse("pipeline:party_candidates"),
        },
    )


# --- the steps ----------------------------------------------------------------------


def _case_for_step(request, pk, step):
    """404 outside the user's scope; 403 when she may see the case but not record
    ``step`` (a Hội cadre on a party step, a cell secretary on the committee's)."""
    case = get_scoped_or_404(request.user, _cases(), VIEW, pk=pk)
    if not services.can_record(request.user, case, step):
        raise PermissionDenied
    return case


def _check(ok, text):
    return {"ok": ok, "text": text}


def _preflight(case, step, today) -> list[dict]:
    """What the service will check, evaluated at today, so problems show before
    the form is sent."""
    rules = R.rules_on(today)
    dates = services.step_dates(case)
    items = []
    if case.status != Status.OPEN:
        items.append(
            _check(
                False,
                _("Hồ sơ đang ở trạng thái “%(s)s”: hãy mở lại trước khi ghi bước mới.")
                % {"s": case.get_status_display()},
            )
        )
    if step in dates:
        items.append(
            _check(
                False,
                _("Bước “%(step)s” đã được ghi nhận ngày %(d)s.")
                % {"step": Step(step).label, "d": _d(dates[step])},
            )
        )
    for before in services.PREREQUISITES.get(step, ()):
        if before in dates:
            items.append(
                _check(
                    True,
                    _("Đã qua bước “%(step)s” ngày %(d)s.")
                    % {"step": Step(before).label, "d": _d(dates[before])},
                )
            )
        else:
            items.append(
                _check(False, _("Chưa qua bước “%(step)s”.") % {"step": Step(before).label})
            )
    extra = {
        Step.DOSSIER: _dossier_checks,
        Step.CELL_RESOLUTION: _cell_resolution_checks,
        Step.COMMITTEE_RESOLUTION: _committee_checks,
        Step.DECISION: _committee_checks,
        Step.CEREMONY: _ceremony_checks,
        Step.OFFICIAL: _recognition_checks,
    }.get(step)
    if extra:
        items.extend(extra(case, dates, today, rules))
    return items


def _certificate_check(case, today, rules):
    error = R.check_certificate(case, today, rules)
    if error:
        return _check(False, error)
    enrolment = R.latest_certificate(case)
    return _check(
        True,
        _(
            "Giấy chứng nhận lớp bồi dưỡng nhận thức về Đảng số %(no)s cấp ngày %(on)s, còn giá "
            "trị đến %(until)s (%(months)s tháng)."
        )
        % {
            "no": enrolment.certificate_no,
            "on": _d(enrolment.certificate_on),
            "until": _d(R.certificate_expires_on(enrolment.certificate_on, rules)),
            "months": rules.certificate_valid_months,
        },
    )


def _introducer_rule(today, rules):
    limit = add_months(today, -rules.introducer_known_months)
    return _check(
        None,
        _(
            "Cần %(n)s đảng viên chính thức giới thiệu (3-KNĐ), đã cùng công tác, sinh hoạt ít "
            "nhất %(m)s tháng (từ %(d)s trở về trước nếu xét hôm nay)."
        )
        % {"n": rules.introducers_required, "m": rules.introducer_known_months, "d": _d(limit)},
    )


def _dossier_checks(case, dates, today, rules):
    items = [_certificate_check(case, today, rules), _introducer_rule(today, rules)]
    if case.organisation == Organisation.HOI:
        dossier = case.dossier if _has_dossier(case) else None
        if dossier and dossier.hoi_comment:
            items.append(
                _check(
                    True,
                    _("Hội LHPN đã nhận xét (5-KNĐ) ngày %(d)s.")
                    % {"d": _d(dossier.hoi_comment_on)},
                )
            )
        else:
            items.append(
                _check(
                    False,
                    _("Hội LHPN chưa ghi nhận xét (5-KNĐ); Hội ghi nhận xét trên trang hồ sơ."),
                )
            )
    return items


def _cell_resolution_checks(case, dates, today, rules):
    months = months_between(case.birth_date, today)
    age_error = R.check_age(case, today, rules)
    items = [
        _check(
            not age_error,
            age_error
            or _("Tuổi hôm nay: %(age)s (%(months)s tháng); quy định từ đủ %(lo)s đến %(hi)s tuổi.")
            % {
                "age": _age_text(months),
                "months": months,
                "lo": rules.min_age_years,
                "hi": rules.max_age_years,
            },
        )
    ]
    if age_error and months > rules.max_age_years * 12:
        items[-1]["text"] += " " + _("Ghi số văn bản đồng ý vào ô bên dưới.")
    items.append(_certificate_check(case, today, rules))
    edu_error = R.check_education(case, today, rules)
    items.append(
        _check(
            not edu_error,
            edu_error or _("Trình độ học vấn: %(e)s.") % {"e": case.get_education_display()},
        )
    )
    intro_error = R.check_introducers(case, today, rules)
    names = ", ".join(i.full_name for i in case.introducers.all())
    items.append(
        _check(
            not intro_error,
            intro_error or _("Người giới thiệu đủ điều kiện: %(names)s.") % {"names": names},
        )
    )
    re_error = R.check_readmission(case, today, rules)
    if re_error:
        items.append(_check(False, re_error))
    elif case.left_party_on:
        items.append(
            _check(
                True,
                _("Kết nạp lại: đã đủ %(m)s tháng từ ngày ra khỏi Đảng.")
                % {"m": rules.readmission_wait_months},
            )
        )
    items.append(
        _check(
            None, _("Nghị quyết cần ít nhất 2/3 tổng số đảng viên chính thức của chi bộ tán thành.")
        )
    )
    return items


def _due_check(case, step, text):
    if case.due_step != step or not case.due_on:
        return []
    today = datetime.date.today()
    late = case.due_on < today
    message = text % {"d": _d(case.due_on)}
    if late:
        message += " " + _("Đã quá hạn.")
    return [_check(not late, message)]


def _committee_checks(case, dates, today, rules):
    return _due_check(
        case,
        Step.DECISION,
        _(
            "Cấp ủy có thẩm quyền phải xem xét, quyết định trong %(n)s ngày làm việc kể từ ngày "
            "chi bộ có nghị quyết: hạn %%(d)s."
        )
        % {"n": rules.decision_working_days},
    )


def _ceremony_checks(case, dates, today, rules):
    return _due_check(
        case,
        Step.CEREMONY,
        _("Lễ kết nạp tổ chức trong %(n)s ngày làm việc kể từ khi nhận quyết định: hạn %%(d)s.")
        % {"n": rules.ceremony_working_days},
    )


def _recognition_checks(case, dates, today, rules):
    items = []
    if Step.CEREMONY in dates:
        error = R.check_probation(case, dates[Step.CEREMONY], today, rules)
        ends = add_months(dates[Step.CEREMONY], rules.probation_months)
        items.append(
            _check(
                not error,
                error
                or _("Đã hết %(m)s tháng dự bị ngày %(d)s; công nhận có hiệu lực từ ngày này.")
                % {"m": rules.probation_months, "d": _d(ends)},
            )
        )
    items += _due_check(
        case,
        Step.OFFICIAL,
        _(
            "Chi bộ xét công nhận chính thức trong %(n)s ngày làm việc sau khi hết thời gian dự "
            "bị: hạn %%(d)s."
        )
        % {"n": rules.recognition_working_days},
    )
    return items


def _step_page(request, case, step, form, save, success, **extra):
    return process_form(
        request,
        form,
        save,
        success=success,
        redirect_to=case_url(case),
        template="pipeline/step_form.html",
        context={
            "case": case,
            "step": step,
            "title": Step(step).label,
            "checks": _preflight(case, step, datetime.date.today()),
            "back_url": case_url(case),
            **extra,
        },
    )


def case_sympathiser(request, pk):
    case = _case_for_step(request, pk, Step.SYMPATHISER)
    return _step_page(
        request,
        case,
        Step.SYMPATHISER,
        SympathiserForm(request.POST or None, initial={"helper_name": case.helper_name}),
        lambda data: services.add_sympathiser(case, actor=request.user, **data),
        _("Đã đưa %(name)s vào danh sách cảm tình Đảng.") % {"name": case.full_name},
    )


def case_dossier(request, pk):
    case = _case_for_step(request, pk, Step.DOSSIER)
    initial = {}
    dossier = case.dossier if _has_dossier(case) else None
    if dossier:
        initial = {
            f: getattr(dossier, f)
            for f in ("application_on", "history_on", "verification_on", "residence_comment_on")
        }
    for i, person in enumerate(case.introducers.order_by("id")[:2], start=1):
        initial.update(
            {
                f"intro{i}_name": person.full_name,
                f"intro{i}_official": person.is_official,
                f"intro{i}_unit": person.party_unit_name,
                f"intro{i}_since": person.known_since,
            }
        )
    form = DossierForm(request.POST or None, initial=initial)

    def save(data):
        return services.complete_dossier(
            case,
            on=data["on"],
            application_on=data["application_on"],
            history_on=data["history_on"],
            verification_on=data["verification_on"],
            residence_comment_on=data["residence_comment_on"],
            introducers=form.introducers(),
            actor=request.user,
        )

    return _step_page(
        request,
        case,
        Step.DOSSIER,
        form,
        save,
        _("Đã ghi nhận hồ sơ kết nạp của %(name)s.") % {"name": case.full_name},
    )


def _has_dossier(case) -> bool:
    try:
        case.dossier  # noqa: B018
    except Case.dossier.RelatedObjectDoesNotExist:
        return False
    return True


def case_cell_resolution(request, pk):
    case = _case_for_step(request, pk, Step.CELL_RESOLUTION)
    form = CellResolutionForm(
        request.POST or None,
        initial={
            "age_approval": case.age_approval,
            "education_exception": case.education_exception,
        },
    )
    return _step_page(
        request,
        case,
        Step.CELL_RESOLUTION,
        form,
        lambda data: services.cell_resolution(case, actor=request.user, **data),
        _("Đã ghi nhận nghị quyết chi bộ đề nghị kết nạp %(name)s.") % {"name": case.full_name},
    )


def case_committee(request, pk, step):
    if step not in (Step.COMMITTEE_RESOLUTION, Step.DECISION):
        raise Http404
    case = _case_for_step(request, pk, step)
    form = CommitteeForm(request.POST or None)
    form.fields["doc_no"].label = (
        _("Số nghị quyết của Đảng ủy (8-KNĐ)")
        if step == Step.COMMITTEE_RESOLUTION
        else _("Số quyết định kết nạp (9-KNĐ)")
    )
    return _step_page(
        request,
        case,
        step,
        form,
        lambda data: services.committee_step(case, step=step, actor=request.user, **data),
        _("Đã ghi nhận “%(step)s” của %(name)s.")
        % {"step": Step(step).label, "name": case.full_name},
    )


def case_ceremony(request, pk):
    case = _case_for_step(request, pk, Step.CEREMONY)
    return _step_page(
        request,
        case,
        Step.CEREMONY,
        CeremonyForm(request.POST or None),
        lambda data: services.ceremony(case, actor=request.user, **data),
        _("Đã ghi nhận lễ kết nạp: %(name)s là đảng viên dự bị.") % {"name": case.full_name},
    )


def case_recognise(request, pk):
    case = _case_for_step(request, pk, Step.OFFICIAL)
    return _step_page(
        request,
        case,
        Step.OFFICIAL,
        RecogniseForm(request.POST or None),
        lambda data: services.recognise(case, actor=request.user, **data),
        _("Đã công nhận %(name)s là đảng viên chính thức.") % {"name": case.full_name},
    )


# --- the monthly review of the sympathiser list -------------------------------------


def sympathiser_review(request, pk):
    user = request.user
    cell = get_scoped_or_404(
        user,
        Unit.objects.filter(tree=Tree.DANG, level__code=CELL_LEVEL).select_related("parent"),
        VIEW,
        pk=pk,
    )
    can_review = permissions.can(user, PARTY, cell)
    if request.method == "POST" and not can_review:
        raise PermissionDenied
    today = datetime.date.today()
    sympathisers = list(
        Case.objects.restrict(user, VIEW)
        .filter(party_unit=cell, status=Status.OPEN, step__in=SYMPATHISER_STEPS)
        .select_related("branch", "party_unit")
        .order_by("full_name", "id")
    )
    for case in sympathisers:
        case.detail_url = case_url(case)
        case.review_stale = (
            case.sympathiser_review_on is None
            or months_between(case.sympathiser_review_on, today) >= 1
        )
    return process_form(
        request,
        ReviewForm(request.POST or None),
        lambda data: services.review_sympathisers(cell, on=data["on"], actor=user),
        success=_("Đã ghi nhận buổi xem xét danh sách cảm tình Đảng của %(cell)s.")
        % {"cell": cell.name},
        redirect_to=reverse("pipeline:sympathiser_review", args=[cell.pk]),
        template="pipeline/party_sympathisers.html",
        context={"cell": cell, "sympathisers": sympathisers, "can_review": can_review},
    )


# --- awareness classes ----------------------------------------------------------------


def _classes(user):
    return AwarenessClass.objects.restrict(user, VIEW) | AwarenessClass.objects.restrict(
        user, CLASS
    )


def class_list(request):
    user = request.user
    if not permissions.has_any(user, CLASS):
        raise PermissionDenied
    passed = Q(enrolments__result=Enrolment.Result.PASSED)
    counted = AwarenessClass.objects.select_related("organiser").annotate(
        n=Count("enrolments"),
        passed=Count("enrolments", filter=passed),
        certified=Count("enrolments", filter=passed & ~Q(enrolments__certificate_no="")),
    )
    # The page's classes first, then their enrolments counted: not every class's.
    classes = IdsFirst(_classes(user).order_by("-start", "-id"), fetch=counted)
    page = Paginator(classes, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pipeline/class_list.html", {"page": page, "query": ""})


def class_create(request):
    user = request.user
    if not permissions.has_any(user, CLASS):
        raise PermissionDenied
    organisers = picker_units(user, "class_organisers").order_by("tree", "path")
    initial = {}
    if len(ids := list(organisers.values_list("pk", flat=True)[:2])) == 1:
        initial["organiser"] = ids[0]
    form = ClassForm(request.POST or None, organiser_queryset=organisers, initial=initial)
    return process_form(
        request,
        form,
        lambda data: services.create_class(actor=user, **data),
        success=_("Đã mở lớp bồi dưỡng nhận thức về Đảng."),
        redirect_to=lambda klass: reverse("pipeline:class_detail", args=[klass.pk]),
        template="pipeline/step_form.html",
        context={
            "title": _("Mở lớp bồi dưỡng nhận thức về Đảng"),
            "back_url": reverse("pipeline:class_list"),
            "back_label": _("Lớp bồi dưỡng"),
        },
    )


def _class(request, pk, action):
    return get_scoped_or_404(
        request.user, AwarenessClass.objects.select_related("organiser"), action, pk=pk
    )


def _class_context(user, klass, today) -> dict:
    rules = R.rules_on(today)
    enrolments = list(
        klass.enrolments.select_related("case", "case__party_unit", "case__branch").order_by(
            "case__full_name", "id"
        )
    )
    for e in enrolments:
        e.expires_on = (
            R.certificate_expires_on(e.certificate_on, rules) if e.certificate_on else None
        )
        e.expired = bool(e.expires_on and e.expires_on < today)
    can_manage = permissions.can(user, CLASS, klass.organiser)
    candidates = []
    if can_manage:
        latest_cert = (
            Enrolment.objects.filter(
                case=OuterRef("pk"), result=Enrolment.Result.PASSED, certificate_on__isnull=False
            )
            .order_by("-certificate_on")
            .values("certificate_on")[:1]
        )
        candidates = list(
            Case.objects.restrict(user, CLASS)
            .open()
            .exclude(enrolments__klass=klass)
            .annotate(cert_on=Subquery(latest_cert))
            .select_related("party_unit", "branch")
            .order_by("full_name", "id")[:300]
        )
        for case in candidates:
            case.cert_valid = bool(
                case.cert_on and R.certificate_expires_on(case.cert_on, rules) >= today
            )
    return {
        "klass": klass,
        "enrolments": enrolments,
        "can_manage": can_manage,
        "candidates": candidates,
        "rules": rules,
        "pending": sum(1 for e in enrolments if not e.certificate_no),
    }


def class_detail(request, pk):
    klass = _class(request, pk, VIEW)
    context = _class_context(request.user, klass, datetime.date.today())
    return render(request, "pipeline/class_detail.html", context)


@require_POST
def class_enrol(request, pk):
    """Enrol many candidates at once; each refusal is reported with its reason and
    the others go through."""
    user = request.user
    klass = _class(request, pk, CLASS)
    ids = {int(x) for x in request.POST.getlist("cases") if x.isdigit()}
    if not ids:
        messages.warning(request, _("Chưa chọn hồ sơ nào."))
        return redirect("pipeline:class_detail", pk=klass.pk)
    cases = list(Case.objects.restrict(user, VIEW).filter(pk__in=ids).order_by("full_name", "id"))
    report = services.bulk(cases, services.enrol, klass=klass, actor=user)
    missing = len(ids) - len(cases)
    done = sum(1 for _case, error in report if error is None)
    refused = len(report) - done + missing
    messages.success(request, _("Đã ghi danh %(n)s người vào lớp.") % {"n": done})
    if refused:
        messages.warning(
            request, _("%(n)s hồ sơ không ghi danh được: xem lý do bên dưới.") % {"n": refused}
        )
    context = _class_context(user, klass, datetime.date.today())
    context.update(report=report, missing=missing)
    return render(request, "pipeline/class_detail.html", context)


def class_result(request, pk):
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("klass", "klass__organiser", "case"), pk=pk
    )
    klass = _class(request, enrolment.klass_id, CLASS)
    form = ResultForm(
        request.POST or None,
        initial={
            "result": enrolment.result,
            "certificate_no": enrolment.certificate_no,
            "certificate_on": enrolment.certificate_on or datetime.date.today(),
        },
    )
    rules = R.rules_on(datetime.date.today())
    return process_form(
        request,
        form,
        lambda data: services.record_result(enrolment, actor=request.user, **data),
        success=_("Đã ghi kết quả học tập của %(name)s.") % {"name": enrolment.case.full_name},
        redirect_to=reverse("pipeline:class_detail", args=[klass.pk]),
        template="pipeline/step_form.html",
        context={
            "title": _("Kết quả học tập: %(name)s") % {"name": enrolment.case.full_name},
            "subtitle": str(klass),
            "checks": [
                _check(
                    None,
                    _(
                        "Hoàn thành lớp cần số và ngày cấp giấy chứng nhận; ngày cấp không trước "
                        "ngày khai giảng (%(d)s)."
                    )
                    % {"d": _d(klass.start)},
                ),
                _check(
                    None,
                    _(
                        "Cấp giấy chứng nhận ghi bước “%(step)s” cho hồ sơ. Giấy có giá trị "
                        "%(m)s tháng."
                    )
                    % {"step": Step.CLASS.label, "m": rules.certificate_valid_months},
                ),
            ],
            "back_url": reverse("pipeline:class_detail", args=[klass.pk]),
            "back_label": klass.title,
        },
    )


def report_failed(report, enrolment) -> bool:
    return any(e.pk == enrolment.pk and error for e, _no, error in report)


_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def _suggest_numbers(klass) -> dict:
    """Continue the class's numbering: the prefix and the next number of its last
    certificate, or GCN-<year>/001."""
    last = (
        klass.enrolments.exclude(certificate_no="")
        .order_by("-certificate_on", "-id")
        .values_list("certificate_no", flat=True)
        .first()
    )
    match = _NUMBERED.match(last or "")
    if match:
        return {"prefix": match[1], "start_no": int(match[2]) + 1, "width": len(match[2])}
    return {"prefix": f"GCN-{klass.start.year}/", "start_no": 1, "width": 3}


def class_certify(request, pk):
    """Issue the certificates of a class at once: numbers follow a prefix and a
    sequence, one date; each refusal is reported and the others go through."""
    user = request.user
    klass = _class(request, pk, CLASS)
    today = datetime.date.today()
    pending = list(
        klass.enrolments.exclude(Q(result=Enrolment.Result.PASSED) & ~Q(certificate_no=""))
        .select_related("case", "case__party_unit")
        .order_by("case__full_name", "id")
    )
    suggested = _suggest_numbers(klass)
    form = CertifyForm(
        request.POST or None, enrolments=pending, initial={**suggested, "certificate_on": today}
    )
    report = None
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["enrolments"])
        report = []
        for i, enrolment in enumerate(e for e in pending if e.pk in chosen):
            number = form.number(i)
            try:
                services.record_result(
                    enrolment,
                    result=Enrolment.Result.PASSED,
                    certificate_no=number,
                    certificate_on=form.cleaned_data["certificate_on"],
                    actor=user,
                )
            except ValidationError as exc:
                report.append((enrolment, number, " ".join(exc.messages)))
            else:
                report.append((enrolment, number, None))
        done = sum(1 for row in report if row[2] is None)
        messages.success(request, _("Đã cấp %(n)s giấy chứng nhận.") % {"n": done})
        if done < len(report):
            messages.warning(
                request,
                _("%(n)s học viên chưa được cấp: xem lý do bên dưới.") % {"n": len(report) - done},
            )
        pending = [e for e in pending if e.pk not in chosen or report_failed(report, e)]
        form = CertifyForm(
            enrolments=pending, initial={**_suggest_numbers(klass), "certificate_on": today}
        )
    numbers = _suggest_numbers(klass) if report is not None else suggested
    width, start, prefix = numbers["width"], numbers["start_no"], numbers["prefix"]
    preview = [(e, f"{prefix}{start + i:0{width}d}") for i, e in enumerate(pending)]
    return render(
        request,
        "pipeline/class_certify.html",
        {"klass": klass, "form": form, "preview": preview, "report": report},
    )
