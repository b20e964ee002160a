"""The figures the pipeline produces for a unit and a period, counted set-based.

Each figure is counted over the unit's subtree **as it stood on the period's end
date**. When no reorganisation happened after that date the current materialized
path is the tree of that date and one prefix filter is enough; otherwise the tree
of that date is rebuilt from the unit versions and the events are filtered by the
ids of the units that were under the unit then.

Every function runs a fixed number of queries however many units there are, and
can split the counts by child unit (one row per child plus the total) for the
reports' tables.

On the current tree and for whole months, the event figures are read from the
per-unit, per-month counters (:mod:`uutu.pipeline.counters`): a sum over the rows
of the unit and of its direct children, never a scan of the subtree. Any other
period, or a tree rebuilt as of a past date, is counted from the events.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr

from uutu.orgs.models import PATH_SEGMENT_WIDTH, OrgEvent, Tree, Unit
from uutu.orgs.services import tree_as_of
from uutu.people.models import Party, PartyStatusPeriod, Position, PositionKind

from . import counters
from .models import CaseEvent, FigureCount, Organisation, Step

PARTY = (Party.PROBATIONARY, Party.OFFICIAL)

# Pipeline figures: (key, step counted, position filter: None = any, "head", "other")
EVENT_FIGURES = {
    "sources": (Step.SOURCE, None),
    "cultivated": (Step.CULTIVATION, None),
    "introduced": (Step.INTRODUCED, None),
    "introduced_branch_heads": (Step.INTRODUCED, "head"),
    "introduced_others": (Step.INTRODUCED, "other"),
    "class_completed": (Step.CLASS, None),
    "proposed": (Step.CELL_RESOLUTION, None),
    "admitted": (Step.DECISION, None),
    "official": (Step.OFFICIAL, None),
}
FUNNEL = ("sources", "introduced", "class_completed", "proposed", "admitted", "official")


@dataclass
class Scope:
    """Which units count for ``unit`` on ``on`` and which child each belongs to."""

    unit: Unit
    on: datetime.date
    ids: set[int] | None  # None: use the current path prefix
    child_of: dict[int, int]  # unit id → id of the child of ``unit`` it falls under

    def filter(self, field: str) -> Q:
        if self.ids is None:
            return Q(**{f"{field}__path__startswith": self.unit.path})
        return Q(**{f"{field}_id__in": self.ids})

    @property
    def current(self) -> bool:
        """The current tree is the tree of the date: paths and counters apply."""
        return self.ids is None

    def child_segment(self, field: str = "path"):
        """SQL expression: the id (as text) of the child of ``unit`` that a row's
        unit path falls under; empty for the unit itself. Current tree only."""
        return Substr(field, len(self.unit.path) + 1, PATH_SEGMENT_WIDTH)

    def child(self, unit_id: int, path: str | None) -> int | None:
        if self.ids is None:
            rest = (path or "")[len(self.unit.path) :]
            segment = rest.split(".", 1)[0]
            return int(segment) if segment else None
        return self.child_of.get(unit_id)


def scope_as_of(unit: Unit, on: datetime.date) -> Scope:
    """The subtree of ``unit`` as it stood on ``on`` (see the module docstring)."""
    if not OrgEvent.objects.filter(date__gt=on).exists():
        return Scope(unit, on, None, {})
    tree = tree_as_of(on, root=unit)
    child_of: dict[int, int] = {}
    for uid in tree:
        chain, cur = [], uid
        while cur is not None and cur != unit.pk and cur in tree:
            chain.append(cur)
            cur = tree[cur][1]
        if chain:
            child_of[uid] = chain[-1]
    return Scope(unit, on, set(tree) | {unit.pk}, child_of)


def _position_group(position: str) -> str:
    return "head" if position == PositionKind.BRANCH_HEAD else "other"


def _add(target: dict, step: str, group: str, n: int) -> None:
    """Add ``n`` events of ``step`` (by a branch head or not) to every figure they
    count in."""
    for key, (figure_step, position) in EVENT_FIGURES.items():
        if step == figure_step and position in (None, group):
            target[key] += n


def event_figures(
    unit: Unit,
    start: datetime.date,
    end: datetime.date,
    *,
    by_child: bool = False,
    scope: Scope | None = None,
) -> dict:
    """The Hội's pipeline figures for ``unit`` between ``start`` and ``end``
    (inclusive), counted where each event happened (the member's chi hội then).

    Returns ``{"total": {figure: n}, "children": {child_id: {figure: n}}}``.
    One query: over the counters for whole months on the current tree, over the
    events otherwise.
    """
    scope = scope or scope_as_of(unit, end)
    steps = {step for step, _ in EVENT_FIGURES.values()}
    total: dict[str, int] = dict.fromkeys(EVENT_FIGURES, 0)
    children: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EVENT_FIGURES, 0))
    span = counters.month_span(start, end)
    if scope.current and span and unit.tree == Tree.HOI:
        # The unit's rows and its direct children's (an IN over the unit and its
        # children: each is an index range on the counters, never a subtree scan).
        units = Unit.objects.filter(Q(pk=unit.pk) | Q(parent_id=unit.pk)) if by_child else None
        which = Q(unit_id__in=units.values("pk")) if by_child else Q(unit_id=unit.pk)
        rows = (
            FigureCount.objects.filter(which, month__range=span, step__in=steps)
            .exclude(n=0)
            .values("unit_id", "step", "head")
            .annotate(n=Sum("n"))
            .order_by()
        )
        for row in rows:
            if row["n"]:
                target = total if row["unit_id"] == unit.pk else children[row["unit_id"]]
                _add(target, row["step"], "head" if row["head"] else "other", row["n"])
        return {"total": total, "children": dict(children)}
    rows = (
        CaseEvent.objects.filter(
            scope.filter("hoi_unit"),
            kind=CaseEvent.Kind.STEP,
            step__in=steps,
            date__gte=start,
            date__lte=end,
            organisation=Organisation.HOI,
        )
        .values("hoi_unit_id", "hoi_unit__path", "step", "position")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        group = _position_group(row["position"])
        _add(total, row["step"], group, row["n"])
        child = scope.child(row["hoi_unit_id"], row["hoi_unit__path"]) if by_child else None
        if child is not None:
            _add(children[child], row["step"], group, row["n"])
    return {"total": total, "children": dict(children)}


def branch_head_figures(
    unit: Unit,
    on: datetime.date,
    *,
    since: datetime.date | None = None,
    by_child: bool = False,
    scope: Scope | None = None,
) -> dict:
    """Branch heads on ``on``: how many (N), how many party members (n), and of
    those who were not party members on ``since`` (default: ``on``), how many had
    a case cultivated or introduced by ``on``. One query."""
    scope = scope or scope_as_of(unit, on)
    since = since or on

    def party_on(day):
        return Exists(
            PartyStatusPeriod.objects.filter(
                person=OuterRef("person"), status__in=PARTY, start__lte=day
            ).filter(Q(end__isnull=True) | Q(end__gt=day))
        )

    cultivated = Exists(
        CaseEvent.objects.filter(
            case__person=OuterRef("person"),
            kind=CaseEvent.Kind.STEP,
            step__in=[Step.CULTIVATION, Step.INTRODUCED],
            date__lte=on,
        )
    )
    heads = (
        Position.objects.current(on)
        .filter(scope.filter("unit"), kind=PositionKind.BRANCH_HEAD)
        .annotate(is_party=party_on(on), was_party=party_on(since), cultivated=cultivated)
    )
    flags = ("is_party", "was_party", "cultivated")
    if scope.current:
        # At most one row per child and combination of flags, the child cut out of
        # the path in SQL (not one row per chi hội).
        if by_child:
            heads = heads.annotate(child=scope.child_segment("unit__path"))
            flags = ("child", *flags)
        rows = heads.values(*flags).annotate(n=Count("id")).order_by()
    else:
        rows = heads.values("unit_id", "unit__path", *flags).annotate(n=Count("id")).order_by()
    keys = (
        "branch_heads",
        "branch_heads_party",
        "branch_heads_nonparty",
        "branch_heads_nonparty_cultivated",
    )
    total = dict.fromkeys(keys, 0)
    children: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    for row in rows:
        targets = [total]
        if by_child:
            if scope.current:
                child = int(row["child"]) if row["child"] else None
            else:
                child = scope.child(row["unit_id"], row["unit__path"])
            if child is not None:
                targets.append(children[child])
        for target in targets:
            target["branch_heads"] += row["n"]
            if row["is_party"]:
                target["branch_heads_party"] += row["n"]
            if not row["was_party"]:
                target["branch_heads_nonparty"] += row["n"]
                if row["cultivated"]:
                    target["branch_heads_nonparty_cultivated"] += row["n"]
    return {"total": total, "children": dict(children)}


def _cells(party_unit: Unit):
    return Unit.objects.filter(
        path__startswith=party_unit.path, level__code="dang_cell", is_active=True
    )


def _cell_rows(party_unit: Unit, start: datetime.date, end: datetime.date):
    """Introductions and decisions per chi bộ under ``party_unit``:
    rows of (cell id, step, organisation, n) — from the counters for whole months."""
    span = counters.month_span(start, end)
    if span:
        return (
            FigureCount.objects.filter(
                unit__in=_cells(party_unit), month__range=span, step__in=counters.PARTY_STEPS
            )
            .exclude(n=0)
            .values_list("unit_id", "step", "organisation")
            .annotate(n=Sum("n"))
            .order_by()
        )
    return (
        CaseEvent.objects.filter(
            kind=CaseEvent.Kind.STEP,
            step__in=counters.PARTY_STEPS,
            date__gte=start,
            date__lte=end,
            case__party_unit__path__startswith=party_unit.path,
        )
        .values_list("case__party_unit_id", "step", "organisation")
        .annotate(n=Count("id"))
        .order_by()
    )


def cell_figures(party_unit: Unit, start: datetime.date, end: datetime.date) -> dict:
    """The Party side's figures per chi bộ under ``party_unit``: new members
    (admission decisions) and candidates introduced per mass organisation.
    Returns ``{cell_id: {"admitted": n, "introduced": {organisation: n}}}`` with every
    active cell present. Two queries."""
    cells = {
        c.pk: {"name": c.name, "admitted": 0, "introduced": dict.fromkeys(Organisation.values, 0)}
        for c in _cells(party_unit)
    }
    for cell_id, step, organisation, n in _cell_rows(party_unit, start, end):
        cell = cells.get(cell_id)
        if cell is None:
            continue
        if step == Step.DECISION:
            cell["admitted"] += n
        else:
            cell["introduced"][organisation] += n
    return cells


def cells_meeting(
    party_unit: Unit, start: datetime.date, end: datetime.date, figure: str, need: float
) -> tuple[int, int]:
    """How many active chi bộ under ``party_unit`` reached ``need`` admissions
    (``figure`` "admitted") or ``need`` candidates from every mass organisation
    ("introduced"), and how many cells there are: ``(met, cells)``. Counted in SQL
    (GROUP BY … HAVING) for whole months, so no cell is loaded. Two queries."""
    span = counters.month_span(start, end)
    if span is None:
        cells = cell_figures(party_unit, start, end).values()
        if figure == "admitted":
            met = sum(1 for c in cells if c["admitted"] >= need)
        else:
            met = sum(1 for c in cells if all(v >= need for v in c["introduced"].values()))
        return met, len(cells)
    whole = _cells(party_unit).count()
    if need <= 0:
        return whole, whole
    rows = FigureCount.objects.filter(unit__in=_cells(party_unit), month__range=span)
    if figure == "admitted":
        rows = (
            rows.filter(step=Step.DECISION)
            .values("unit_id")
            .annotate(total=Sum("n"))
            .filter(total__gte=need)
        )
    else:
        per_org = {
            f"org_{org}": Sum("n", filter=Q(organisation=org)) for org in Organisation.values
        }
        rows = (
            rows.filter(step=Step.INTRODUCED)
            .values("unit_id")
            .annotate(**per_org)
            .filter(**{f"{key}__gte": need for key in per_org})
        )
    return rows.order_by().count(), whole


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
