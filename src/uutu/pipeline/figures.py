"""The figures the pipeline produces for a unit and a period, counted set-based.

Each figure is counted over the unit's subtree **as it stood on the period's end
date**. When no reorganisation happened after that date the current materialized
path is the tree of that date and one prefix filter is enough; otherwise the tree
of that date is rebuilt from the unit versions and the events are filtered by the
ids of the units that were under the unit then.

Every function runs a fixed number of queries however many units there are, and
can split the counts by child unit (one row per child plus the total) for the
reports' tables.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from uutu.orgs.models import OrgEvent, Unit
from uutu.orgs.services import tree_as_of
from uutu.people.models import Party, PartyStatusPeriod, Position, PositionKind

from .models import CaseEvent, Organisation, Step

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
    One query.
    """
    scope = scope or scope_as_of(unit, end)
    steps = {step for step, _ in EVENT_FIGURES.values()}
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
    total: dict[str, int] = dict.fromkeys(EVENT_FIGURES, 0)
    children: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(EVENT_FIGURES, 0))
    for row in rows:
        group = _position_group(row["position"])
        child = scope.child(row["hoi_unit_id"], row["hoi_unit__path"]) if by_child else None
        for key, (step, position) in EVENT_FIGURES.items():
            if row["step"] == step and position in (None, group):
                total[key] += row["n"]
                if child is not None:
                    children[child][key] += row["n"]
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
    rows = (
        Position.objects.current(on)
        .filter(scope.filter("unit"), kind=PositionKind.BRANCH_HEAD)
        .annotate(is_party=party_on(on), was_party=party_on(since), cultivated=cultivated)
        .values("unit_id", "unit__path", "is_party", "was_party", "cultivated")
        .annotate(n=Count("id"))
        .order_by()
    )
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


def cell_figures(party_unit: Unit, start: datetime.date, end: datetime.date) -> dict:
    """The Party side's figures per chi bộ under ``party_unit``: new members
    (admission decisions) and candidates introduced per mass organisation.
    Returns ``{cell_id: {"admitted": n, "introduced": {organisation: n}}}`` with every
    active cell present. Two queries."""
    cells = {
        c.pk: {"name": c.name, "admitted": 0, "introduced": dict.fromkeys(Organisation.values, 0)}
        for c in Unit.objects.filter(
            path__startswith=party_unit.path, level__code="dang_cell", is_active=True
        )
    }
    rows = (
        CaseEvent.objects.filter(
            kind=CaseEvent.Kind.STEP,
            step__in=[Step.INTRODUCED, Step.DECISION],
            date__gte=start,
            date__lte=end,
            case__party_unit__path__startswith=party_unit.path,
        )
        .values("case__party_unit_id", "step", "organisation")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        cell = cells.get(row["case__party_unit_id"])
        if cell is None:
            continue
        if row["step"] == Step.DECISION:
            cell["admitted"] += row["n"]
        else:
            cell["introduced"][row["organisation"]] += row["n"]
    return cells


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None
