"""The dashboard of a unit for a year (section 6 of the quotas issue).

For a Hội unit: progress against each quota, the pipeline funnel, the children
ranked by completion, the branch-head party ratio, the overdue deadlines, and a
chart of introductions and admissions per month. For a Party unit (party committee,
chi bộ): its quotas, the per-cell figures (how many cells admitted a new member,
the totals, and the best 50 cells with their candidates per mass organisation —
never every cell), the overdue deadlines and the chart.

Every figure comes from :mod:`uutu.targets.progress` (the one place figures are
computed) or, for the chart, from one GROUP BY over the same events, so the
dashboard runs a fixed number of queries however many units and cases there are
(guarded by a test).
"""

import datetime
import re
from types import SimpleNamespace
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from uutu.accounts import permissions
from uutu.emulation.selection import (
    selected_unit,
    selected_year,
    unit_selector,
    year_options,
)
from uutu.emulation.services import children_progress
from uutu.orgs.models import Tree
from uutu.pipeline import counters
from uutu.pipeline import figures as F
from uutu.pipeline.models import Case, CaseEvent, FigureCount, Organisation, Status, Step
from uutu.targets.indicators import BY_CODE
from uutu.targets.models import Period, Quota
from uutu.targets.progress import figures, progress

DASHBOARD = "dashboard.view"
PIPELINE_VIEW = "pipeline.view"
OVERDUE_SHOWN = 5
CELLS_SHOWN = 50  # the party dashboard's table: the best cells, then the totals
# The ranked children table shows the first 20 (a province has ~100 communes, and
# rendering them all was half of the page's time); "Xem tất cả" shows every one.
CHILDREN_SHOWN = 20
ALL_CHILDREN = "tat-ca"
PER_CELL = re.compile(r"(\d+) / (\d+)")

FUNNEL_LABELS = {
    "sources": gettext_lazy("Tạo nguồn"),
    "introduced": gettext_lazy("Giới thiệu cho chi bộ"),
    "class_completed": gettext_lazy("Học lớp nhận thức về Đảng"),
    "proposed": gettext_lazy("Chi bộ đề nghị kết nạp"),
    "admitted": gettext_lazy("Được kết nạp"),
    "official": gettext_lazy("Đảng viên chính thức"),
}


def _funnel(values: dict) -> list[dict]:
    top = max((values.get(key, 0) for key in F.FUNNEL), default=0)
    return [
        {
            "key": key,
            "label": str(FUNNEL_LABELS[key]),
            "n": values.get(key, 0),
            "width": round(100.0 * values.get(key, 0) / top, 1) if top else 0,
        }
        for key in F.FUNNEL
    ]


def _num(value) -> str:
    """A figure the Vietnamese way: 1.234 and 43,7 (one decimal at most)."""
    if value is None:
        return "—"
    number = float(value)
    if number == int(number):
        return number_format(int(number), force_grouping=True)
    return number_format(round(number, 1), decimal_pos=1, force_grouping=True)


def _progress_rows(rows) -> list[dict]:
    """Display rows: achieved against quota, the completion and the bar. A per-cell
    indicator (e.g. at least one new member per chi bộ) shows how many cells met it
    out of all cells, and its bar is that share."""
    out = []
    for row in rows:
        unit = "%" if row.percent_indicator else ""
        achieved = f"{_num(row.achieved)}{unit}"
        target = f"{_num(row.quota)}{unit}"
        completion = row.completion
        detail = row.detail
        if BY_CODE[row.code].source == "per_cell":
            match = PER_CELL.match(row.detail or "")
            met, cells = (int(n) for n in match.groups()) if match else (0, 0)
            completion = F.percent(met, cells)
            achieved = _("%(met)s / %(cells)s chi bộ đạt") % {"met": met, "cells": cells}
            target = _("≥ %(n)s mỗi chi bộ") % {"n": _num(row.quota)}
            detail = ""
        done = completion is not None and completion >= 100
        out.append(
            {
                "code": row.code,
                "name": row.name,
                "achieved": achieved,
                "target": target,
                "detail": detail,
                "completion": completion,
                "completion_text": f"{_num(completion)}%" if completion is not None else "",
                "width": min(completion or 0, 100),
                "css": "bg-success" if done else "bg-warning",
            }
        )
    return out


def _one_decimal(value: float) -> str:
    """43,7 — the Vietnamese decimal comma, without the cost of localized
    formatting in a loop (the children table has a row per commune)."""
    return f"{value:.1f}".replace(".", ",")


def _child_rows(ranked) -> list[SimpleNamespace]:
    """The ranked children table's rows, formatted once here rather than through
    template filters (three ``floatformat`` per row were a third of the page)."""
    rows = []
    for child in ranked:
        completion = child.completion
        rows.append(
            SimpleNamespace(
                unit=child.unit,
                introduced=child.introduced,
                admitted=child.admitted,
                introduced_quota=_num(child.introduced_quota)
                if child.introduced_quota is not None
                else None,
                admitted_quota=_num(child.admitted_quota)
                if child.admitted_quota is not None
                else None,
                completion=completion,
                completion_text=f"{_one_decimal(completion)}%" if completion is not None else "",
                width=f"{min(completion, 100.0):.0f}" if completion is not None else "0",
                css="bg-success" if completion is not None and completion >= 100 else "bg-warning",
            )
        )
    return rows


def monthly_chart(unit, period, scope: F.Scope | None = None) -> dict:
    """Introductions and admissions per month of the period: one GROUP BY on the
    event date truncated to the month. A Hội unit counts the Hội's events where
    they happened (as the figures do); a Party unit counts its cells' cases.
    ``scope``: a Hội unit's scope on the period's end, when the caller has it."""
    steps = [Step.INTRODUCED, Step.DECISION]
    span = counters.month_span(period.start, period.end)
    if unit.tree == Tree.HOI:
        scope = scope or F.scope_as_of(unit, period.end)
    if span and (scope is None or scope.current):
        # The unit's own counter rows: on the Hội side its Hội events, on the Party
        # side its cells' cases (see uutu.pipeline.counters).
        rows = (
            FigureCount.objects.filter(unit=unit, month__range=span, step__in=steps)
            .values("month", "step")
            .annotate(n=Sum("n"))
            .order_by()
        )
    else:
        if scope is not None:
            events = CaseEvent.objects.filter(
                scope.filter("hoi_unit"), organisation=Organisation.HOI
            )
        else:
            events = CaseEvent.objects.filter(case__party_unit__path__startswith=unit.path)
        rows = (
            events.filter(
                kind=CaseEvent.Kind.STEP,
                step__in=steps,
                date__gte=period.start,
                date__lte=period.end,
            )
            .annotate(month=TruncMonth("date"))
            .values("month", "step")
            .annotate(n=Count("id"))
            .order_by()
        )
    months = []
    day = period.start.replace(day=1)
    while day <= period.end:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    introduced = [0] * len(months)
    admitted = [0] * len(months)
    for row in rows:
        month = row["month"]
        i = index.get((month.year, month.month))
        if i is None:
            continue
        target = introduced if row["step"] == Step.INTRODUCED else admitted
        target[i] += row["n"]
    return {
        "labels": [f"{m.month:02d}/{m.year}" for m in months],
        "introduced": introduced,
        "admitted": admitted,
        "label_introduced": _("Giới thiệu cho Đảng"),
        "label_admitted": _("Được kết nạp"),
    }


def _overdue(user, unit, today, token=None):
    """How many of the unit's open cases she may see are past their deadline, and
    the first few: kept in the cache under the province's token (every case save
    replaces it), her scope for cases and today's date."""
    return counters.cached(
        "overdue",
        [unit],
        (today, counters.scope_key(user, PIPELINE_VIEW)),
        lambda: _count_overdue(user, unit, today),
        token=token,
    )


def _count_overdue(user, unit, today):
    cases = (
        Case.objects.restrict(user, PIPELINE_VIEW)
        .filter(status=Status.OPEN, due_on__lt=today)
        # A unit's path lies in its own tree: a Hội unit holds the cases of its chi
        # hội, a Party unit those of its chi bộ (one join, no OR across both trees).
        .filter(
            Q(branch__path__startswith=unit.path)
            if unit.tree == Tree.HOI
            else Q(party_unit__path__startswith=unit.path)
        )
    )
    count = cases.count()
    shown = list(
        cases.select_related("branch", "party_unit").order_by("due_on", "id")[:OVERDUE_SHOWN]
    )
    for case in shown:
        case.days_late = (today - case.due_on).days
    return count, shown


def _unit_context(unit, period) -> dict:
    """The part of the dashboard that is the same for every user who may see
    ``unit``: its quotas, figures, progress, children and chart. Kept in the cache
    under the token of the unit's province and of its Party counterpart's
    (:func:`uutu.pipeline.counters.cached`), which every writer replaces."""
    quotas = {q.indicator: q for q in Quota.objects.filter(unit=unit, period=period)}
    # The Hội unit's tree on the period's end, read once for the chart and the figures.
    scope = F.scope_as_of(unit, period.end) if unit.tree == Tree.HOI else None
    chart = monthly_chart(unit, period, scope)
    context = {
        "chart": chart,
        "chart_rows": list(
            zip(chart["labels"], chart["introduced"], chart["admitted"], strict=True)
        ),
    }
    if unit.tree == Tree.HOI:
        figs = figures(unit, period, by_child=True, scope=scope)
        values = figs["total"]
        rows = progress(unit, period, values=values, quotas=quotas, only_with_quota=True)
        heads = values.get("branch_heads", 0)
        heads_party = values.get("branch_heads_party", 0)
        context.update(
            values=values,
            progress_rows=_progress_rows(rows),
            funnel=_funnel(values),
            heads=heads,
            heads_party=heads_party,
            heads_pct=F.percent(heads_party, heads),
            heads_quota=quotas.get("branch_heads_party_pct"),
            ranked=_child_rows(children_progress(unit, period, figs)),
        )
    else:
        rows = progress(unit, period, values={}, quotas=quotas, only_with_quota=True)
        # The best cells only: a national party committee has 100,000 chi bộ.
        cells = F.cell_summary(unit, period.start, period.end, top=CELLS_SHOWN)
        context.update(
            progress_rows=_progress_rows(rows),
            cells=cells["top"],
            cells_count=cells["count"],
            cells_admitted=cells["admitted"],
            cells_introduced=cells["introduced"],
            cells_met=cells["met"],
        )
    return context


def unit_context(unit, period, token=None) -> dict:
    """:func:`_unit_context` through the cache."""
    return counters.cached(
        "dashboard",
        [unit, unit.counterpart],
        (period.start, period.end, get_language()),
        lambda: _unit_context(unit, period),
        token=token,
    )


def dashboard(request):
    user = request.user
    unit = selected_unit(request, DASHBOARD)
    year = selected_year(request)
    period = Period.year(year)
    today = datetime.date.today()
    context = {
        "unit": unit,
        "year": year,
        "period": period,
        "is_hoi": unit.tree == Tree.HOI,
        **unit_selector(user, DASHBOARD, unit, purpose="dashboard"),
        "years": year_options(year),
        "can_pipeline": permissions.has_any(user, PIPELINE_VIEW),
    }
    # One token for the page (the unit's and its counterpart's provinces): the
    # cached figures and the template's cached fragments are kept under it, so a
    # change anywhere in those provinces shows on the next view.
    token = counters.figures_token(unit, unit.counterpart)
    context["figures_token"] = token
    context["cache_seconds"] = counters.FIGURES_CACHE_SECONDS
    context.update(unit_context(unit, period, token))
    if context["can_pipeline"]:
        context["overdue_count"], context["overdue"] = _overdue(user, unit, today, token)
    if unit.tree == Tree.HOI:
        ranked = context.pop("ranked")
        show_all = request.GET.get("con") == ALL_CHILDREN
        context.update(
            children=ranked if show_all else ranked[:CHILDREN_SHOWN],
            children_count=len(ranked),
            children_all_url="?"
            + urlencode({"unit": unit.pk, "year": year, "con": ALL_CHILDREN})
            + "#don-vi-truc-thuoc",
            child_url=reverse("reports:dashboard"),
        )
    return render(request, "reports/dashboard.html", context)
