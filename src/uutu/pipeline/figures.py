"""The figures the pipeline produces for a unit and a period, counted set-based.

Each figure is counted over the unit's subtree **as it stood on the period's end
date**. When no reorganisation happened after that date the current materialized
path is the tree of that date and one prefix filter is enough. When every unit
reorganised since still falls for the unit where it fell then, the current path is
still that tree but for the units created since, which are left out by id (see
:func:`scope_as_of`). Otherwise the tree of that date is rebuilt from the unit
versions and the events are filtered by the ids of the units that were under the
unit then.

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

from django.db.models import Case, Count, Exists, Min, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Substr

from uutu.orgs.models import PATH_SEGMENT_WIDTH, OrgEvent, Tree, Unit, UnitVersion
from uutu.orgs.services import changed_since, tree_as_of, valid_on
from uutu.people.models import Party, PartyStatusPeriod, Position, PositionKind

from . import counters
from .models import BranchHeadFact, CaseEvent, FigureCount, Organisation, Step

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
    # On the current tree: units created after ``on``, which the prefix takes in but
    # which did not exist on ``on`` (left out by id; none holds a counted event
    # dated on or before ``on``).
    later: frozenset[int] = frozenset()

    def filter(self, field: str) -> Q:
        if self.ids is None:
            within = Q(**{f"{field}__path__startswith": self.unit.path})
            if self.later:
                within &= ~Q(**{f"{field}_id__in": self.later})
            return within
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


# Above this many units given a new version after a period's end (a reform), the
# tree of that day is rebuilt rather than each unit's place compared.
MAX_COMPARED = 5000


def scope_as_of(unit: Unit, on: datetime.date) -> Scope:
    """The subtree of ``unit`` as it stood on ``on`` (see the module docstring).

    The current tree serves when no reorganisation is dated after ``on``, or when
    every unit reorganised since (:func:`_created_since`) falls for ``unit`` where
    it fell on ``on``: outside it, or under the same child. Then the tree of ``on``
    is the current tree without the units created since, which are left out by id.
    Otherwise the tree of ``on`` is rebuilt from the unit versions
    (:func:`rebuilt_scope`)."""
    if not OrgEvent.objects.filter(date__gt=on).exists():
        return Scope(unit, on, None, {})
    later = _created_since(unit, on)
    if later is not None:
        return Scope(unit, on, None, {}, later)
    return rebuilt_scope(unit, on)


def _place(unit_id: int, chain: list[int]) -> int | None:
    """Where a unit whose ancestors, itself first, are ``chain`` falls for
    ``unit_id``: 0 for the unit itself, else the child it falls under; None when
    outside it."""
    if unit_id not in chain:
        return None
    i = chain.index(unit_id)
    return chain[i - 1] if i else 0


def _created_since(unit: Unit, on: datetime.date) -> frozenset[int] | None:
    """The units created after ``on``, when the current tree is ``unit``'s tree of
    ``on`` but for them; None when it is not.

    Every unit with a version opened after ``on`` (created, renamed, moved, or its
    parent merged or split) is compared: its ancestors on ``on``, from the versions
    valid that day, against its ancestors now, from its path. The current tree
    serves when each falls for ``unit`` where it fell then. The counters agree: a
    unit's rows hold the events of its current subtree, the same chi hội's. A unit
    created since must hold no step dated by ``on`` (history imported into a new
    chi hội): the counters above it would count a step the tree of ``on`` leaves
    out. A few small queries; at most one per level of the tree for the ancestors."""
    changed = changed_since(on, MAX_COMPARED)
    if changed is None:
        return None

    def parents_on(ids) -> dict[int, int | None]:
        versions = UnitVersion.objects.filter(valid_on(on), unit_id__in=ids)
        return dict(versions.values_list("unit_id", "parent_id"))

    parents = parents_on(changed)  # the ancestors of ``on``, a level at a time
    later = frozenset(changed.keys() - parents.keys())
    pending = {p for p in parents.values() if p is not None and p not in parents}
    while pending:
        rows = parents_on(pending)
        parents.update(dict.fromkeys(pending, None) | rows)
        pending = {p for p in rows.values() if p is not None and p not in parents}
    for uid, path in changed.items():
        if uid in later:
            continue
        chain, cur = [], uid
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = parents.get(cur)
        now = [int(segment) for segment in reversed(path.split(".")) if segment]
        if _place(unit.pk, chain) != _place(unit.pk, now):
            return None
    early = CaseEvent.objects.filter(hoi_unit_id__in=later, kind=CaseEvent.Kind.STEP, date__lte=on)
    if later and early.exists():
        return None
    return later


def rebuilt_scope(unit: Unit, on: datetime.date) -> Scope:
    """The subtree of ``unit`` on ``on`` rebuilt from the unit versions (those where
    it can lie, :func:`~uutu.orgs.services.tree_as_of`): its units by id, each with
    its child of ``unit``."""
    tree = tree_as_of(on, root=unit)
    child_of: dict[int, int] = {}
    for uid in tree:
        chain, cur = [], uid
        while cur is not None and cur != unit.pk and cur in tree:
            chain.append(cur)
            cur = tree[cur][1]
        if chain:
            child_of[uid] = chain[-1]
    # ``unit`` itself is in it when it existed that day: a unit founded later holds
    # nothing of that day.
    return Scope(unit, on, set(tree), child_of)


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
        # The children's ids are read first: inside one query the planner chose a
        # scan of every unit for the OR (120 ms for a province).
        if by_child:
            kids = list(Unit.objects.filter(parent_id=unit.pk).values_list("pk", flat=True))
            which = Q(unit_id__in=[unit.pk, *kids])
        else:
            which = Q(unit_id=unit.pk)
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


HEAD_KEYS = (
    "branch_heads",
    "branch_heads_party",
    "branch_heads_nonparty",
    "branch_heads_nonparty_cultivated",
)


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
    a case cultivated or introduced by ``on``. One query over the branch-head rows
    (:class:`BranchHeadFact`: one narrow row per head position with her party
    spells and first cultivation date), grouped by child and flags; a second one
    only when a head in scope has more than two party spells."""
    scope = scope or scope_as_of(unit, on)
    since = since or on
    if not scope.current:
        return _branch_head_figures(unit, on, since, by_child, scope)
    # On the current tree the figures depend only on the branch-head rows: kept in
    # the cache under the province's token (a change gives a new token), so a
    # national dashboard does not group 100,000 rows on every request.
    return counters.cached(
        "heads",
        [unit],
        (on, since, by_child),
        lambda: _branch_head_figures(unit, on, since, by_child, scope),
    )


def _branch_head_figures(unit, on, since, by_child: bool, scope: Scope) -> dict:
    """:func:`branch_head_figures` read from the branch-head rows (no cache)."""

    def spell(i: int, day) -> Q:
        return Q(**{f"party{i}_start__lte": day}) & (
            Q(**{f"party{i}_end__isnull": True}) | Q(**{f"party{i}_end__gt": day})
        )

    def flag(condition: Q):
        return Case(When(condition, then=Value(True)), default=Value(False))

    heads = BranchHeadFact.objects.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=on)
    if scope.current:
        heads = heads.filter(path__startswith=unit.path).exclude(unit_id__in=scope.later)
    else:
        heads = heads.filter(unit_id__in=scope.ids)
    group = ["more_party", "is_party", "was_party", "cultivated"]
    if by_child:
        if scope.current:
            group.append("child")
            heads = heads.annotate(child=scope.child_segment("path"))
        else:
            group += ["unit_id", "path"]
    rows = list(
        heads.annotate(
            is_party=flag(spell(1, on) | spell(2, on)),
            was_party=flag(spell(1, since) | spell(2, since)),
            cultivated=flag(Q(cultivated_on__lte=on)),
        )
        .values(*group)
        .annotate(n=Count("*"))
        .order_by()
    )
    if any(row["more_party"] for row in rows):
        # A head with more than two party spells (left and readmitted twice): her
        # periods are read, for those few heads only (a second query).
        rows = [row for row in rows if not row["more_party"]]
        rows += (
            heads.filter(more_party=True)
            .annotate(
                is_party=_party_exists(on, "person_id"),
                was_party=_party_exists(since, "person_id"),
                cultivated=flag(Q(cultivated_on__lte=on)),
            )
            .values(*group)
            .annotate(n=Count("*"))
            .order_by()
        )
    return _head_totals(rows, scope, by_child, path_field="path")


def _party_exists(day: datetime.date, person: str = "person"):
    """She was a party member (probationary or official) on ``day``."""
    return Exists(
        PartyStatusPeriod.objects.filter(
            person=OuterRef(person), status__in=PARTY, start__lte=day
        ).filter(Q(end__isnull=True) | Q(end__gt=day))
    )


def _head_totals(rows, scope: Scope, by_child: bool, *, path_field: str) -> dict:
    total = dict.fromkeys(HEAD_KEYS, 0)
    children: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(HEAD_KEYS, 0))
    for row in rows:
        targets = [total]
        if by_child:
            if scope.current:
                child = int(row["child"]) if row["child"] else None
            else:
                child = scope.child(row["unit_id"], row[path_field])
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


def branch_head_figures_raw(
    unit: Unit,
    on: datetime.date,
    *,
    since: datetime.date | None = None,
    by_child: bool = False,
    scope: Scope | None = None,
) -> dict:
    """:func:`branch_head_figures` counted from the positions, the party-status
    periods and the events directly (the definition; the tests compare the two).
    One query, but it probes each head's history: seconds at national scale."""
    scope = scope or scope_as_of(unit, on)
    since = since or on

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
        .annotate(is_party=_party_exists(on), was_party=_party_exists(since), cultivated=cultivated)
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
    return _head_totals(rows, scope, by_child, path_field="unit__path")


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


def cell_summary(party_unit: Unit, start: datetime.date, end: datetime.date, top: int) -> dict:
    """The per-cell figures of :func:`cell_figures` for a dashboard, without loading
    every chi bộ (a national party committee has 100,000): how many active cells,
    how many admitted at least one new member, the totals over the cells, and the
    ``top`` cells by admissions then introductions (ties by name), each with its
    introductions per mass organisation. For whole months, four queries over the
    counters whatever the number of cells; otherwise from :func:`cell_figures`."""
    labels = dict(Organisation.choices)

    def row(pk, name, admitted, by_org):
        return {
            "pk": pk,
            "name": name,
            "admitted": admitted,
            "introduced": sum(by_org.values()),
            "hoi": by_org.get(Organisation.HOI, 0),
            "by_org": [{"label": labels[o], "n": n} for o, n in by_org.items() if n],
        }

    span = counters.month_span(start, end)
    if span is None:
        cells = cell_figures(party_unit, start, end)
        rows = [row(pk, c["name"], c["admitted"], c["introduced"]) for pk, c in cells.items()]
        rows.sort(key=lambda r: (-r["admitted"], -r["introduced"], r["name"]))
        return {
            "count": len(rows),
            "met": sum(1 for r in rows if r["admitted"] >= 1),
            "admitted": sum(r["admitted"] for r in rows),
            "introduced": sum(r["introduced"] for r in rows),
            "top": rows[:top],
        }
    count = _cells(party_unit).count()
    per_cell = (
        FigureCount.objects.filter(
            unit__in=_cells(party_unit), month__range=span, step__in=counters.PARTY_STEPS
        )
        .values("unit_id")
        .annotate(
            a=Coalesce(Sum("n", filter=Q(step=Step.DECISION)), 0),
            i=Coalesce(Sum("n", filter=Q(step=Step.INTRODUCED)), 0),
        )
        .order_by()
    )
    totals = per_cell.aggregate(
        met=Count("unit_id", filter=Q(a__gte=1)), admitted=Sum("a"), introduced=Sum("i")
    )
    best = list(
        per_cell.annotate(name=Min("unit__name"))
        .filter(Q(a__gt=0) | Q(i__gt=0))
        .order_by("-a", "-i", "name", "unit_id")[:top]
    )
    if len(best) < top:  # fewer active cells than the table shows: the quiet ones too
        quiet = (
            _cells(party_unit)
            .exclude(pk__in=[b["unit_id"] for b in best])
            .order_by("name", "pk")
            .values_list("pk", "name")[: top - len(best)]
        )
        best += [{"unit_id": pk, "name": name, "a": 0, "i": 0} for pk, name in quiet]
    by_org = defaultdict(lambda: dict.fromkeys(Organisation.values, 0))
    ids = [b["unit_id"] for b in best if b["i"]]
    if ids:
        for unit_id, organisation, n in (
            FigureCount.objects.filter(unit_id__in=ids, month__range=span, step=Step.INTRODUCED)
            .values_list("unit_id", "organisation")
            .annotate(n=Sum("n"))
            .order_by()
        ):
            by_org[unit_id][organisation] += n
    return {
        "count": count,
        "met": totals["met"] or 0,
        "admitted": totals["admitted"] or 0,
        "introduced": totals["introduced"] or 0,
        "top": [row(b["unit_id"], b["name"], b["a"], by_org[b["unit_id"]]) for b in best],
    }


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
