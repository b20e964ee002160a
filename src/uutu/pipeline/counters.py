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
- :func:`heads_changed` when a member's branch-head positions, party status or
  first cultivation/introduction change (:class:`BranchHeadFact`);
- :func:`unit_moved` when a reorganisation moves a unit (its subtree) under another
  parent: the moved unit's own rows are its subtree's totals, so the old
  ancestors lose them and the new ancestors gain them — no event is read.

:func:`rebuild` recounts everything set-based (after a bulk load);
:func:`verify` recounts and returns every difference (``manage.py verify``);
:func:`rebuild_heads` and :func:`verify_heads` do the same for the branch-head rows
(``rebuild`` calls ``rebuild_heads`` too).
"""

import calendar
import datetime
import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
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
        person_of = {case.pk: case.person_id}
    else:
        from .models import Case

        rows = Case.objects.filter(pk__in={e.case_id for e in events}).values_list(
            "pk", "party_unit_id", "person_id"
        )
        party_of = {pk: party_unit for pk, party_unit, _ in rows}
        person_of = {pk: person for pk, _, person in rows}
    unit_ids = {e.hoi_unit_id for e in events} | set(party_of.values())
    unit_ids.discard(None)
    paths = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    deltas: Counter = Counter()
    for event in events:
        party_path = paths.get(party_of.get(event.case_id))
        for key in _keys(event, paths.get(event.hoi_unit_id), party_path):
            deltas[key] += sign
    _apply(deltas)
    figures_changed(paths.values())
    if sign > 0:  # her first cultivation / introduction date (a removal: see heads_changed)
        heads_changed(person_of.get(e.case_id) for e in events if e.step in CULTIVATED_STEPS)


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
    figures_changed(paths.values())


def unit_moved(unit_id: int, old_path: str, new_path: str) -> None:
    """``unit`` (and its subtree) moved from ``old_path`` to ``new_path``: its own
    rows — the totals of its subtree — leave the old ancestors and join the new
    ones. Rows inside the subtree are unchanged. The branch heads' copied paths
    follow. Three queries."""
    figures_changed([old_path, new_path])
    _heads_moved(old_path, new_path)
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
    services), and the branch-head rows (:func:`rebuild_heads`). Set-based: a DELETE
    and an INSERT … SELECT each. Returns the number of counter rows written."""
    table = FigureCount._meta.db_table
    sql, params = _recount_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (unit_id, month, step, head, organisation, n) "
            f"SELECT unit_id, month, step, head, organisation, n FROM ({sql}) recount "
            # A unit's rows side by side on disk: a province's dashboard reads its
            # communes' rows from a few hundred pages, not one page per row.
            "ORDER BY unit_id, month, step, head, organisation",
            params,
        )
        written = cursor.rowcount
    if _heads_ready():
        rebuild_heads()
    figures_changed_everywhere()
    return written


def _heads_ready() -> bool:
    """The branch-head table exists. A process that loaded the models before the
    table was added (or a database not migrated yet) skips it; ``manage.py verify
    --fix`` rebuilds it later."""
    from . import models

    model = getattr(models, "BranchHeadFact", None)
    return model is not None and model._meta.db_table in connection.introspection.table_names()


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


# --- branch heads -------------------------------------------------------------------

HEAD_FIELDS = (
    "position_id",
    "person_id",
    "unit_id",
    "path",
    "start",
    "end",
    "party1_start",
    "party1_end",
    "party2_start",
    "party2_end",
    "more_party",
    "cultivated_on",
)
HEAD_DATES = ("start", "end", "party1_start", "party1_end", "party2_start", "party2_end")
HEAD_DATES += ("cultivated_on",)
CULTIVATED_STEPS = (Step.CULTIVATION, Step.INTRODUCED)


def _heads_sql(person_ids=None) -> tuple[str, list]:
    """One SELECT giving the :class:`BranchHeadFact` rows recounted from the
    positions, the party-status periods and the events (of ``person_ids`` only, or
    of everybody). Contiguous party periods (probationary then official) are merged
    into spells with window functions; the first two spells are kept, more set
    ``more_party``."""
    from uutu.people.models import Party, PartyStatusPeriod, Position

    from .models import Case

    position, period = Position._meta.db_table, PartyStatusPeriod._meta.db_table
    event, case, unit = CaseEvent._meta.db_table, Case._meta.db_table, Unit._meta.db_table
    params: list = [PositionKind.BRANCH_HEAD]
    who = ""
    if person_ids is not None:
        who = f"AND p.person_id IN ({', '.join(['%s'] * len(person_ids))})"
        params += list(person_ids)
    params += [Party.PROBATIONARY, Party.OFFICIAL, CaseEvent.Kind.STEP, *CULTIVATED_STEPS]
    sql = f"""
        WITH heads AS (
            SELECT p.id AS position_id, p.person_id, p.unit_id, u.path, p.start, p."end"
              FROM {position} p JOIN {unit} u ON u.id = p.unit_id
             WHERE p.kind = %s {who}
        ),
        party AS (
            SELECT s.person_id, s.id, s.start, s."end",
                   CASE WHEN LAG(s."end") OVER (PARTITION BY s.person_id ORDER BY s.start, s.id)
                             = s.start THEN 0 ELSE 1 END AS new_spell
              FROM {period} s
             WHERE s.status IN (%s, %s) AND s.person_id IN (SELECT person_id FROM heads)
        ),
        numbered AS (
            SELECT person_id, start, "end",
                   SUM(new_spell) OVER (PARTITION BY person_id ORDER BY start, id
                                        ROWS UNBOUNDED PRECEDING) AS spell
              FROM party
        ),
        spells AS (
            SELECT person_id, spell, MIN(start) AS s,
                   CASE WHEN COUNT("end") < COUNT(*) THEN NULL ELSE MAX("end") END AS e
              FROM numbered GROUP BY person_id, spell
        ),
        ranked AS (
            SELECT person_id, s, e,
                   ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY s, spell) AS rn
              FROM spells
        ),
        pivot AS (
            SELECT person_id,
                   MAX(CASE WHEN rn = 1 THEN s END) AS p1s, MAX(CASE WHEN rn = 1 THEN e END) AS p1e,
                   MAX(CASE WHEN rn = 2 THEN s END) AS p2s, MAX(CASE WHEN rn = 2 THEN e END) AS p2e,
                   CASE WHEN COUNT(*) > 2 THEN TRUE ELSE FALSE END AS more
              FROM ranked GROUP BY person_id
        ),
        cultivated AS (
            SELECT c.person_id, MIN(e.date) AS d
              FROM {event} e JOIN {case} c ON c.id = e.case_id
             WHERE e.kind = %s AND e.step IN (%s, %s)
               AND c.person_id IN (SELECT person_id FROM heads)
             GROUP BY c.person_id
        )
        SELECT h.position_id AS position_id, h.person_id AS person_id,
               h.unit_id AS unit_id, h.path AS path, h.start AS start, h."end" AS "end",
               pv.p1s AS party1_start, pv.p1e AS party1_end,
               pv.p2s AS party2_start, pv.p2e AS party2_end,
               COALESCE(pv.more, FALSE) AS more_party, cu.d AS cultivated_on
          FROM heads h
          LEFT JOIN pivot pv ON pv.person_id = h.person_id
          LEFT JOIN cultivated cu ON cu.person_id = h.person_id
    """
    return sql, params


# --- tokens of the figures (the cache) ------------------------------------------------
#
# Every figure a screen shows is a function of rows that only the writers below
# change. Each province (a unit of depth 1, in either tree) has a token,
# ``CounterStamp("figs:<province id>")``, that the writer replaces in its own
# transaction whenever a row of that province changes; a tree's root has its own.
# Figures are cached under the tokens they were read with (:func:`cached`), so a
# committed change is never hidden by the cache, and a change in one province
# leaves every other province's cached figures in place.

FIGURES_STAMP = "figs:"
FIGURES_CACHE_SECONDS = 3600  # an unchanged token keeps its figures an hour at most


def province_of(path: str) -> int:
    """The id of the province a unit path lies in; a root's own id for a root."""
    w = PATH_SEGMENT_WIDTH
    return int(path[w + 1 : 2 * w + 1] or path[:w])


def restamp(names) -> None:
    """Give each token in ``names`` a new random value, in the caller's transaction
    (one upsert, rows in name order so two writers never deadlock). Figures cached
    under the old value are never read again once this commits. Random, not a
    counter, so that a rolled-back change can never bring an old token back."""
    from .models import CounterStamp

    names = sorted(set(names))
    if names:
        CounterStamp.objects.bulk_create(
            [CounterStamp(name=n, token=secrets.token_hex(16)) for n in names],
            update_conflicts=True,
            update_fields=["token"],
            unique_fields=["name"],
        )


def figures_changed(paths) -> None:
    """Rows under these unit paths changed: new tokens for their provinces."""
    restamp(f"{FIGURES_STAMP}{province_of(p)}" for p in paths if p and p[0].isdigit())


def figures_changed_everywhere() -> None:
    """After a bulk load, a rebuild or a reorganisation (which changes which tree
    every past period is counted on): a new token for every province and root."""
    figures_changed(Unit.objects.filter(depth__lte=1).values_list("path", flat=True))


def figures_token(*units) -> str:
    """One token for the figures of these units (a unit and, say, its Party
    counterpart): their provinces' tokens, or every token for a tree's root."""
    from .models import CounterStamp

    units = [u for u in units if u is not None]
    rows = CounterStamp.objects.filter(name__startswith=FIGURES_STAMP)
    if all(u.depth > 0 for u in units):
        rows = rows.filter(name__in=[f"{FIGURES_STAMP}{province_of(u.path)}" for u in units])
    pairs = sorted(rows.values_list("name", "token"))
    return hashlib.blake2b(repr(pairs).encode(), digest_size=12).hexdigest()


def cached(kind: str, units, parts, compute, *, token: str | None = None):
    """``compute()``, kept in the cache under the units' token (:func:`figures_token`)
    and ``parts`` (anything else the result depends on: dates, flags). The units'
    paths are part of the key too. ``token``: the units' token when the caller
    already read it (a page that caches several things under one token), or that of
    more units (a wider token only changes more often)."""
    units = [u for u in units if u is not None]
    if token is None:
        token = figures_token(*units)
    what = repr([*(f"{u.pk}@{u.path}" for u in units), *map(str, parts)])
    key = f"{kind}:{token}:{hashlib.blake2b(what.encode(), digest_size=16).hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, FIGURES_CACHE_SECONDS)
    return value


def scope_key(user, action: str) -> str:
    """``user``'s scope for ``action`` as a part of a cache key: her path prefixes,
    or "*" for the whole country."""
    from uutu.accounts import permissions

    prefixes = permissions.scope_prefixes(user, action)
    return "*" if prefixes is permissions.ALL else "|".join(prefixes)


def scope_cached(kind: str, user, action: str, parts, compute):
    """``compute()`` for what ``user`` sees for ``action`` (a count over her whole
    scope), kept under the token of her roles' units (:func:`cached`): every write
    of a row in her scope replaces the token of that row's province, so the value
    read is always the current one (:func:`connect_signals`)."""
    from uutu.accounts import permissions
    from uutu.accounts.roles import grants

    units = [a.unit for a in permissions.all_assignments(user) if grants(a.role, action)]
    return cached(kind, units, (action, scope_key(user, action), *parts), compute)


def _write_heads(person_ids=None) -> int:
    from .models import BranchHeadFact

    table = BranchHeadFact._meta.db_table
    columns = ", ".join(f'"{c}"' for c in HEAD_FIELDS)
    sql, params = _heads_sql(person_ids)
    with connection.cursor() as cursor:
        if person_ids is None:
            cursor.execute(f"DELETE FROM {table}")
            paths = None
        else:
            # The rows' paths, old and new, tell whose figures changed.
            marks = ", ".join(["%s"] * len(person_ids))
            cursor.execute(
                f"DELETE FROM {table} WHERE person_id IN ({marks}) RETURNING path",
                list(person_ids),
            )
            paths = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM ({sql}) recount"
            + (" RETURNING path" if paths is not None else ""),
            params,
        )
        if paths is None:
            written = cursor.rowcount
        else:
            added = [row[0] for row in cursor.fetchall()]
            written = len(added)
            paths.update(added)
    if paths is None:
        figures_changed_everywhere()
    else:  # a member who is no head changes nothing
        figures_changed(paths)
    return written


def heads_changed(person_ids) -> None:
    """Recount the branch-head rows of these members (a position started or ended,
    her party status changed, a cultivation or introduction recorded, archived).
    Two queries; call it in the writer's transaction, after the change."""
    person_ids = sorted({int(p) for p in person_ids if p is not None})
    if person_ids:
        _write_heads(person_ids)


def _heads_moved(old_path: str, new_path: str) -> None:
    """The units under ``old_path`` now live under ``new_path``: rewrite the copied
    paths of their branch heads (one UPDATE)."""
    from .models import BranchHeadFact

    table = BranchHeadFact._meta.db_table
    concat = "%s || SUBSTR(path, %s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET path = {concat} WHERE path LIKE %s",
            [new_path, len(old_path) + 1, old_path + "%"],  # paths are digits and dots
        )


@transaction.atomic
def rebuild_heads() -> int:
    """Recount every branch-head row (after a bulk load). Returns the rows written."""
    return _write_heads(None)


@dataclass
class HeadDifference:
    """One branch-head row whose stored copy is not the recount (``stored`` or
    ``recounted`` is None when the row is missing on that side)."""

    position_id: int
    stored: tuple | None
    recounted: tuple | None


def _date(value):
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def _normalise(row) -> tuple:
    out = list(row)
    for i, name in enumerate(HEAD_FIELDS):
        if name in HEAD_DATES:
            out[i] = _date(out[i])
        elif name == "more_party":
            out[i] = bool(out[i])
        elif out[i] is not None and name.endswith("_id"):
            out[i] = int(out[i])
    return tuple(out)


def verify_heads() -> list[HeadDifference]:
    """Recount every branch-head row and return those that differ (compared in SQL:
    one query)."""
    from .models import BranchHeadFact

    table = BranchHeadFact._meta.db_table
    columns = ", ".join(f'"{c}"' for c in HEAD_FIELDS)
    sql, params = _heads_sql(None)
    query = f"""
        SELECT {columns}, SUM(stored), SUM(recounted)
          FROM (
                SELECT {columns}, 1 AS stored, 0 AS recounted FROM {table}
                UNION ALL
                SELECT {columns}, 0, 1 FROM ({sql}) recount
               ) both_sides
         GROUP BY {columns}
        HAVING SUM(stored) <> SUM(recounted)
         ORDER BY position_id
    """
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    by_position: dict[int, HeadDifference] = {}
    width = len(HEAD_FIELDS)
    for row in rows:
        values, stored, recounted = _normalise(row[:width]), row[width], row[width + 1]
        diff = by_position.setdefault(values[0], HeadDifference(values[0], None, None))
        if stored:
            diff.stored = values
        if recounted:
            diff.recounted = values
    return list(by_position.values())


# --- the tokens follow every save of what the figures are read from -----------------


def _unit_saved(sender, instance, **kwargs) -> None:
    figures_changed([instance.path])  # its name, level, activity, counterpart


def _units_changed(ids) -> None:
    """:func:`figures_changed` for units known by id (one query for their paths)."""
    ids = [i for i in ids if i is not None]
    if ids:
        figures_changed(Unit.objects.filter(pk__in=ids).values_list("path", flat=True))


def _unit_row_saved(sender, instance, **kwargs) -> None:
    if sender._meta.get_field("unit").is_cached(instance):
        figures_changed([instance.unit.path])
    else:
        _units_changed([instance.unit_id])


def _case_saved(sender, instance, **kwargs) -> None:
    """A case's status, due date, branch or chi bộ: the overdue lists of both."""
    _units_changed([instance.branch_id, instance.party_unit_id])


def _everything_changed(sender, **kwargs) -> None:
    figures_changed_everywhere()


def connect_signals() -> None:
    """Replace the tokens whenever a unit, a case (the overdue lists), a quota, a
    manual figure, a level or a reorganisation event is saved or removed (admin,
    services, tests alike). Bulk writes send no signal: their writers call
    :func:`figures_changed` themselves (``orgs.services``, ``people.services.move_person``,
    :func:`rebuild`, the loaders)."""
    from django.db.models.signals import post_delete, post_save

    from uutu.orgs.models import Level, OrgEvent
    from uutu.targets.models import ManualFigure, Quota

    from .models import Case

    for signal in (post_save, post_delete):
        signal.connect(_unit_saved, sender=Unit, dispatch_uid=f"figs-unit-{signal}")
        signal.connect(_case_saved, sender=Case, dispatch_uid=f"figs-case-{signal}")
        for model in (Quota, ManualFigure):
            signal.connect(_unit_row_saved, sender=model, dispatch_uid=f"figs-{model}-{signal}")
        for model in (Level, OrgEvent):
            signal.connect(_everything_changed, sender=model, dispatch_uid=f"figs-{model}-{signal}")
