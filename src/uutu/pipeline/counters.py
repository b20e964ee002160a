"""Per-unit, per-month counts of the pipeline's step events (:class:`FigureCount`),
so a unit's figures for a period are a sum over a few rows of that unit instead of
a scan of every event in its subtree.

Two kinds of rows, told apart by the unit's tree:

- **Hội**: every step event of a Hội case (``organisation`` hoi) with a
  ``hoi_unit`` counts once for that chi hội and once for each unit above it in the
  *current* tree (commune, province, the central Hội), split by ``head`` (she was
  chi hội trưởng on the event's date);
- **Party**: every introduction and admission decision counts once for the case's
  ``party_unit`` (the chi bộ) and each party unit above it, split by the
  introducing ``organisation``.

Kept exact in the writer's transaction:

- :func:`count_events` after an event is written (or, with ``sign=-1``, before one
  is removed);
- :func:`case_party_unit_changed` when a case is handed to another chi bộ;
- :func:`unit_moved` when a reorganisation moves a unit (its subtree) under another
  parent: the moved unit's own rows are its subtree's totals, so the old
  ancestors lose them and the new ancestors gain them — no event is read.

:func:`rebuild` recounts everything set-based (after a bulk load);
:func:`verify` recounts and returns every difference (``manage.py verify``).
"""

import calendar
import datetime
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction

from uutu.orgs.models import PATH_SEGMENT_WIDTH, Unit
from uutu.people.models import PositionKind

from .models import CaseEvent, FigureCount, Organisation, Step

# Steps counted on the Party side (the per-cell figures and the Party chart).
PARTY_STEPS = (Step.INTRODUCED, Step.DECISION)
KEY_FIELDS = ("unit_id", "month", "step", "head", "organisation")


# --- periods ------------------------------------------------------------------------


def month_span(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date] | None:
    """``(first month, last month)`` when ``start``–``end`` is made of whole months
    (starts on a 1st, ends on a month's last day); None otherwise."""
    if start.day != 1 or end < start:
        return None
    if end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    return start, end.replace(day=1)


# --- the key of an event ------------------------------------------------------------


def _ancestor_ids(path: str) -> list[int]:
    return [int(s) for s in path.split(".") if s]


def _keys(event: CaseEvent, hoi_path: str | None, party_path: str | None) -> list[tuple]:
    """The counter rows one event counts in."""
    if event.kind != CaseEvent.Kind.STEP:
        return []
    month = event.date.replace(day=1)
    keys = []
    if hoi_path and event.organisation == Organisation.HOI:
        head = event.position == PositionKind.BRANCH_HEAD
        keys += [(u, month, event.step, head, Organisation.HOI) for u in _ancestor_ids(hoi_path)]
    if party_path and event.step in PARTY_STEPS:
        keys += [
            (u, month, event.step, False, event.organisation) for u in _ancestor_ids(party_path)
        ]
    return keys


def _apply(deltas: Counter) -> None:
    """Add ``deltas`` ({key: n}) to the counters in one upsert (an atomic
    ``n = n + excluded.n``, so concurrent writers never lose a count). Rows are
    written in key order so two writers lock them in the same order."""
    items = sorted((k, n) for k, n in deltas.items() if n)
    if not items:
        return
    table = FigureCount._meta.db_table
    values, params = [], []
    for (unit_id, month, step, head, organisation), n in items:
        values.append("(%s, %s, %s, %s, %s, %s)")
        params += [unit_id, month, step, head, organisation, n]
    sql = (
        f"INSERT INTO {table} (unit_id, month, step, head, organisation, n) VALUES "
        + ", ".join(values)
        + f" ON CONFLICT (unit_id, month, step, head, organisation) DO UPDATE SET "
        f"n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def count_events(events, *, sign: int = 1, case=None) -> None:
    """Count ``events`` (CaseEvents already saved) in every row they belong to;
    ``sign=-1`` takes them out (call it before deleting or changing them).
    ``case``: the events' case as the caller holds it (its ``party_unit`` may not be
    saved yet); otherwise the cases are read. Then the units' paths: one query."""
    events = [e for e in events if e.kind == CaseEvent.Kind.STEP]
    if not events:
        return
    if case is not None:
        party_of = {case.pk: case.party_unit_id}
    else:
        from .models import Case

        party_of = dict(
            Case.objects.filter(pk__in={e.case_id for e in events}).values_list(
                "pk", "party_unit_id"
            )
        )
    unit_ids = {e.hoi_unit_id for e in events} | set(party_of.values())
    unit_ids.discard(None)
    paths = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    deltas: Counter = Counter()
    for event in events:
        party_path = paths.get(party_of.get(event.case_id))
        for key in _keys(event, paths.get(event.hoi_unit_id), party_path):
            deltas[key] += sign
    _apply(deltas)


def case_party_unit_changed(case, old_party_unit_id: int | None) -> None:
    """A case's ``party_unit`` changed (introduced to a cell, handed to another
    chi bộ): move its introductions and decisions from the old cell's rows to the
    new one's. Call it after saving the case's new party unit."""
    if old_party_unit_id == case.party_unit_id:
        return
    events = list(case.events.filter(kind=CaseEvent.Kind.STEP, step__in=PARTY_STEPS))
    if not events:
        return
    paths = dict(
        Unit.objects.filter(pk__in=[old_party_unit_id, case.party_unit_id]).values_list(
            "pk", "path"
        )
    )
    deltas: Counter = Counter()
    for event in events:
        for key in _keys(event, None, paths.get(old_party_unit_id)):
            deltas[key] -= 1
        for key in _keys(event, None, paths.get(case.party_unit_id)):
            deltas[key] += 1
    _apply(deltas)


def unit_moved(unit_id: int, old_path: str, new_path: str) -> None:
    """``unit`` (and its subtree) moved from ``old_path`` to ``new_path``: its own
    rows — the totals of its subtree — leave the old ancestors and join the new
    ones. Rows inside the subtree are unchanged. Two queries."""
    old = set(_ancestor_ids(old_path)[:-1])
    new = set(_ancestor_ids(new_path)[:-1])
    gone, added = old - new, new - old
    if not gone and not added:
        return
    deltas: Counter = Counter()
    rows = FigureCount.objects.filter(unit_id=unit_id).exclude(n=0)
    for month, step, head, organisation, n in rows.values_list(
        "month", "step", "head", "organisation", "n"
    ):
        for ancestor in gone:
            deltas[(ancestor, month, step, head, organisation)] -= n
        for ancestor in added:
            deltas[(ancestor, month, step, head, organisation)] += n
    _apply(deltas)


# --- recount ------------------------------------------------------------------------


def _month_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _recount_sql() -> tuple[str, list]:
    """One SELECT giving every counter row from the events: (unit_id, month, step,
    head, organisation, n). Each event is joined to its unit's path once per level
    and the ancestor's id is cut out of the path."""
    max_depth = Unit.objects.order_by("-depth").values_list("depth", flat=True).first() or 0
    depths = " UNION ALL ".join(f"SELECT {d} AS d" for d in range(max_depth + 1))
    width = PATH_SEGMENT_WIDTH + 1
    event, case, unit = (
        CaseEvent._meta.db_table,
        CaseEvent._meta.get_field("case").related_model._meta.db_table,
        Unit._meta.db_table,
    )
    month = _month_sql("e.date")
    steps = ", ".join(["%s"] * len(PARTY_STEPS))
    sql = f"""
        SELECT CAST(SUBSTR(u.path, {width} * ds.d + 1, {PATH_SEGMENT_WIDTH}) AS INTEGER) AS unit_id,
               {month} AS month, e.step AS step,
               CASE WHEN e.position = %s THEN TRUE ELSE FALSE END AS head,
               %s AS organisation, COUNT(*) AS n
          FROM {event} e
          JOIN {unit} u ON u.id = e.hoi_unit_id
          JOIN ({depths}) ds ON ds.d <= u.depth
         WHERE e.kind = %s AND e.organisation = %s
         GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT CAST(SUBSTR(u.path, {width} * ds.d + 1, {PATH_SEGMENT_WIDTH}) AS INTEGER),
               {month}, e.step, FALSE, e.organisation, COUNT(*)
          FROM {event} e
          JOIN {case} c ON c.id = e.case_id
          JOIN {unit} u ON u.id = c.party_unit_id
          JOIN ({depths}) ds ON ds.d <= u.depth
         WHERE e.kind = %s AND e.step IN ({steps})
         GROUP BY 1, 2, 3, 5
    """
    params = [
        PositionKind.BRANCH_HEAD,
        Organisation.HOI,
        CaseEvent.Kind.STEP,
        Organisation.HOI,
        CaseEvent.Kind.STEP,
        *PARTY_STEPS,
    ]
    return sql, params


@transaction.atomic
def rebuild() -> int:
    """Recount every counter from the events (after a bulk load that bypassed the
    services). Set-based: one DELETE and one INSERT … SELECT. Returns the number of
    rows written."""
    table = FigureCount._meta.db_table
    sql, params = _recount_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (unit_id, month, step, head, organisation, n) "
            f"SELECT unit_id, month, step, head, organisation, n FROM ({sql}) recount",
            params,
        )
        return cursor.rowcount


@dataclass
class Difference:
    """One counter row whose stored value is not the recount."""

    unit_id: int
    month: datetime.date
    step: str
    head: bool
    organisation: str
    stored: int
    recounted: int


def verify() -> list[Difference]:
    """Recount every counter from the events and return the rows that differ
    (stored vs recounted; a missing row is 0). One query, compared in SQL."""
    table = FigureCount._meta.db_table
    sql, params = _recount_sql()
    query = f"""
        SELECT unit_id, month, step, head, organisation, SUM(stored), SUM(recounted)
          FROM (
                SELECT unit_id, month, step, head, organisation, n AS stored, 0 AS recounted
                  FROM {table}
                UNION ALL
                SELECT unit_id, month, step, head, organisation, 0, n FROM ({sql}) recount
               ) both_sides
         GROUP BY unit_id, month, step, head, organisation
        HAVING SUM(stored) <> SUM(recounted)
         ORDER BY unit_id, month, step, head, organisation
    """
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    out = []
    for unit_id, month, step, head, organisation, stored, recounted in rows:
        if isinstance(month, str):  # SQLite returns the text of the date
            month = datetime.date.fromisoformat(month)
        out.append(
            Difference(
                int(unit_id), month, step, bool(head), organisation, int(stored), int(recounted)
            )
        )
    return out
