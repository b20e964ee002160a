"""Achieved against quota, for any unit and period.

:func:`figures` gathers every figure of a unit's subtree for a period — the
pipeline's events, the branch heads on the end date, the per-cell Party figures,
the manual figures — in a fixed, small number of queries, optionally split by child
unit. :func:`progress` sets them against the unit's quotas. The reports, the
dashboard and the emulation ranking all read from here, so every screen shows the
same number.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from uutu.orgs.models import Level, Unit
from uutu.pipeline import counters
from uutu.pipeline import figures as F

from .indicators import BY_CODE, INDICATORS
from .models import ManualFigure, Period, Quota

COMMUNE_LEVELS = ("hoi_commune", "hoi_affiliate")


@dataclass
class Row:
    """One indicator of one unit: the quota, what was achieved, and the share."""

    code: str
    name: str
    quota: Decimal | None
    achieved: float | int | None
    detail: str = ""  # e.g. "748 / 1.711" for a share
    percent_indicator: bool = False

    @property
    def completion(self) -> float | None:
        if self.quota in (None, 0) or self.achieved is None:
            return None
        return round(100.0 * float(self.achieved) / float(self.quota), 1)

    @property
    def status(self) -> str:
        c = self.completion
        if c is None:
            return "none"
        return "done" if c >= 100 else "behind"


def _manual(scope: F.Scope, period: Period, by_child: bool) -> dict:
    if scope.current:
        return _manual_current(scope, period, by_child)
    rows = (
        ManualFigure.objects.filter(scope.filter("unit"), period=period)
        .values("unit_id", "unit__path", "unit__level__code", "indicator")
        .annotate(v=Sum("value"))
        .order_by()
    )
    total: dict = defaultdict(float)
    children: dict = defaultdict(lambda: defaultdict(float))
    for row in rows:
        code = row["indicator"]
        ind = BY_CODE[code]
        value = float(row["v"])
        key = code if ind.source == "manual" else f"{code}__yes"
        if ind.source == "manual_flag":
            if row["unit__level__code"] not in COMMUNE_LEVELS:
                continue
            value = 1.0 if value >= 1 else 0.0
        total[key] += value
        if by_child:
            child = scope.child(row["unit_id"], row["unit__path"])
            if child is not None:
                children[child][key] += value
    return {"total": dict(total), "children": {k: dict(v) for k, v in children.items()}}


def _manual_current(scope: F.Scope, period: Period, by_child: bool) -> dict:
    """:func:`_manual` on the current tree, summed in SQL per child (a figure is
    unique per unit, period and indicator, so a commune's yes is its own row)."""
    commune = Q(unit__level__code__in=COMMUNE_LEVELS)
    qs = ManualFigure.objects.filter(scope.filter("unit"), period=period)
    group = ["indicator"]
    if by_child:
        qs = qs.annotate(child=scope.child_segment("unit__path"))
        group.append("child")
    rows = (
        qs.values(*group)
        .annotate(
            v=Sum("value"),
            communes=Count("id", filter=commune),
            yes=Count("id", filter=commune & Q(value__gte=1)),
        )
        .order_by()
    )
    total: dict = defaultdict(float)
    children: dict = defaultdict(lambda: defaultdict(float))
    for row in rows:
        code = row["indicator"]
        if BY_CODE[code].source == "manual":
            key, value = code, float(row["v"])
        elif row["communes"]:
            key, value = f"{code}__yes", float(row["yes"])
        else:
            continue
        if by_child and row["child"]:
            children[int(row["child"])][key] += value
        total[key] += value
    return {"total": dict(total), "children": {k: dict(v) for k, v in children.items()}}


def _communes(scope: F.Scope, by_child: bool) -> dict:
    """How many communes (cơ sở Hội) lie under the unit: the denominator of the
    "share of communes" indicators. On the current tree, counted in SQL per child."""
    if scope.current:
        # The levels' ids first: with literal ids the planner reads the level index
        # (3,321 communes) instead of scanning 200,000 units for a join on the code.
        levels = list(Level.objects.filter(code__in=COMMUNE_LEVELS).values_list("pk", flat=True))
        # The communes of the period's end: active, or dissolved after it.
        existing = Q(is_active=True) | Q(dissolved_on__gt=scope.on)
        qs = Unit.objects.filter(
            existing, path__startswith=scope.unit.path, level_id__in=levels
        ).exclude(pk__in=scope.later)
        if not by_child:
            return {"total": qs.count(), "children": {}}
        rows = qs.values(child=scope.child_segment()).annotate(n=Count("id")).order_by()
        total, children = 0, {}
        for row in rows:
            total += row["n"]
            if row["child"]:
                children[int(row["child"])] = row["n"]
        return {"total": total, "children": children}
    qs = Unit.objects.filter(pk__in=scope.ids)
    total, children = 0, defaultdict(int)
    for uid, path in qs.filter(level__code__in=COMMUNE_LEVELS).values_list("pk", "path"):
        total += 1
        child = scope.child(uid, path) if by_child else None
        if child is not None:
            children[child] += 1
    return {"total": total, "children": dict(children)}


def figures(
    unit: Unit, period: Period, *, by_child: bool = False, scope: F.Scope | None = None
) -> dict:
    """Every figure of ``unit``'s subtree for ``period``:
    ``{"total": {...}, "children": {child_id: {...}}}``. Kept in the cache under the
    token of the unit's province, which every writer of these figures replaces
    (:func:`uutu.pipeline.counters.cached`). ``scope``: the unit's
    :func:`~uutu.pipeline.figures.scope_as_of` the period's end, when the caller has
    it already."""
    return counters.cached(
        "figures",
        [unit],
        (period.start, period.end, by_child),
        lambda: _figures(unit, period, by_child, scope),
    )


def _figures(unit: Unit, period: Period, by_child: bool, scope: F.Scope | None = None) -> dict:
    """:func:`figures`, counted (no cache)."""
    scope = scope or F.scope_as_of(unit, period.end)
    parts = [
        F.event_figures(unit, period.start, period.end, by_child=by_child, scope=scope),
        F.branch_head_figures(unit, period.end, since=period.start, by_child=by_child, scope=scope),
        _manual(scope, period, by_child),
    ]
    communes = _communes(scope, by_child)
    total: dict = {"communes": communes["total"]}
    children: dict = defaultdict(dict)
    for part in parts:
        total.update(part["total"])
        for child, values in part["children"].items():
            children[child].update(values)
    for child, n in communes["children"].items():
        children[child]["communes"] = n
    return {"total": total, "children": dict(children)}


def _per_cell(unit: Unit, period: Period, indicator, quota) -> tuple[int | None, str]:
    party = unit.counterpart if unit.tree == "hoi" else unit
    if party is None:
        return None, ""
    need = float(quota.value) if quota else 1.0
    met, cells = counters.cached(
        "cells",
        [party],
        (period.start, period.end, indicator.figure, need),
        lambda: F.cells_meeting(party, period.start, period.end, indicator.figure, need),
    )
    return met, f"{met} / {cells} chi bộ"


def achieved(indicator, values: dict) -> tuple[float | int | None, str]:
    """The achieved figure of one indicator from a figures dict, with its n / N."""
    if indicator.source == "event":
        return values.get(indicator.figure, 0), ""
    if indicator.source == "branch_heads":
        if indicator.code == "branch_heads_party_pct":
            n, whole = values.get("branch_heads_party", 0), values.get("branch_heads", 0)
        else:
            n = values.get("branch_heads_nonparty_cultivated", 0)
            whole = values.get("branch_heads_nonparty", 0)
        return F.percent(n, whole), f"{n} / {whole}"
    if indicator.source == "manual":
        v = values.get(indicator.code)
        return (int(v) if v is not None and v == int(v) else v), ""
    if indicator.source == "manual_flag":
        yes, whole = int(values.get(f"{indicator.code}__yes", 0)), values.get("communes", 0)
        return F.percent(yes, whole), f"{yes} / {whole}"
    return None, ""


def progress(
    unit: Unit,
    period: Period,
    *,
    values: dict | None = None,
    quotas: dict | None = None,
    only_with_quota: bool = False,
) -> list[Row]:
    """The unit's indicators for the period, each with its quota and achievement."""
    if values is None:
        values = figures(unit, period)["total"]
    if quotas is None:
        quotas = {q.indicator: q for q in Quota.objects.filter(unit=unit, period=period)}
    rows = []
    for ind in INDICATORS:
        quota = quotas.get(ind.code)
        if only_with_quota and quota is None:
            continue
        if ind.source == "per_cell":
            value, detail = _per_cell(unit, period, ind, quota)
        else:
            value, detail = achieved(ind, values)
        rows.append(
            Row(ind.code, str(ind.name), quota.value if quota else None, value, detail, ind.percent)
        )
    return rows


def period_for_year(year: int | None = None) -> Period:
    return Period.year(year or datetime.date.today().year)
