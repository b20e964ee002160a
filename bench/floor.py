"""The floor: every figure the application computes, computed again by hand-written
SQL on the same database, one query per figure family.

The floor is what a figure costs when nothing but the database works: no ORM, no
Python loop over rows, no template. ``bench/suite.py`` times it next to the
application's own functions and prints the ratio ours / floor, and
:func:`compare` checks that both give the **same numbers** (a mismatch means one of
them is wrong, and the suite says so loudly).

The queries use only SQL that SQLite (≥ 3.30) and PostgreSQL both run:
``COUNT(*) FILTER (WHERE …)``, ``substr`` and a prefix filter on the
materialized path (see :func:`under`). The child a row belongs to is the path
segment that follows the unit's own path (8 digits: the child's id).

They count over the **current** tree (the path prefix). The application rebuilds
the tree of the period's end date when a reorganisation is dated after it; the
suite chooses periods without such an event, and :func:`figures` says when that is
not the case (``exact=False``).
"""

import datetime
from collections import defaultdict

from django.db import connection

COMMUNE_LEVELS = ("hoi_commune", "hoi_affiliate")
PARTY = ("probationary", "official")
ORGANISATIONS = ("hoi", "doan", "nong_dan", "ccb", "cong_doan", "mttq")

EVENT_SQL = """
SELECT substr(u.path, %(n)s, 8) AS child,
       COUNT(*) FILTER (WHERE e.step = 'source') AS sources,
       COUNT(*) FILTER (WHERE e.step = 'cultivation') AS cultivated,
       COUNT(*) FILTER (WHERE e.step = 'introduced') AS introduced,
       COUNT(*) FILTER (WHERE e.step = 'introduced'
                          AND e.position = 'branch_head') AS introduced_branch_heads,
       COUNT(*) FILTER (WHERE e.step = 'introduced'
                          AND COALESCE(e.position, '') <> 'branch_head') AS introduced_others,
       COUNT(*) FILTER (WHERE e.step = 'class') AS class_completed,
       COUNT(*) FILTER (WHERE e.step = 'cell_resolution') AS proposed,
       COUNT(*) FILTER (WHERE e.step = 'decision') AS admitted,
       COUNT(*) FILTER (WHERE e.step = 'official') AS official
FROM pipeline_caseevent e
JOIN orgs_unit u ON u.id = e.hoi_unit_id
WHERE {under_u}
  AND e.kind = 'step' AND e.organisation = 'hoi'
  AND e.date >= %(start)s AND e.date <= %(end)s
GROUP BY 1
"""
EVENT_KEYS = (
    "sources",
    "cultivated",
    "introduced",
    "introduced_branch_heads",
    "introduced_others",
    "class_completed",
    "proposed",
    "admitted",
    "official",
)

HEADS_SQL = """
SELECT child,
       COUNT(*) AS branch_heads,
       SUM(is_party) AS branch_heads_party,
       SUM(1 - was_party) AS branch_heads_nonparty,
       SUM(CASE WHEN was_party = 0 AND cultivated = 1 THEN 1 ELSE 0 END)
         AS branch_heads_nonparty_cultivated
FROM (
  SELECT substr(u.path, %(n)s, 8) AS child,
         CASE WHEN EXISTS (
           SELECT 1 FROM people_partystatusperiod s
           WHERE s.person_id = pos.person_id AND s.status IN ('probationary', 'official')
             AND s.start <= %(end)s AND (s."end" IS NULL OR s."end" > %(end)s)
         ) THEN 1 ELSE 0 END AS is_party,
         CASE WHEN EXISTS (
           SELECT 1 FROM people_partystatusperiod s
           WHERE s.person_id = pos.person_id AND s.status IN ('probationary', 'official')
             AND s.start <= %(start)s AND (s."end" IS NULL OR s."end" > %(start)s)
         ) THEN 1 ELSE 0 END AS was_party,
         CASE WHEN EXISTS (
           -- her cases first (few), then their events: SQLite otherwise drives the
           -- join from every cultivation event of the country, once per head
           SELECT 1 FROM pipeline_case c
           WHERE c.person_id = pos.person_id AND EXISTS (
             SELECT 1 FROM pipeline_caseevent e
             WHERE e.case_id = c.id AND e.kind = 'step'
               AND e.step IN ('cultivation', 'introduced') AND e.date <= %(end)s
           )
         ) THEN 1 ELSE 0 END AS cultivated
  FROM people_position pos
  JOIN orgs_unit u ON u.id = pos.unit_id
  WHERE {under_u} AND pos.kind = 'branch_head'
    AND pos.start <= %(end)s AND (pos."end" IS NULL OR pos."end" >= %(end)s)
) t
GROUP BY child
"""
HEAD_KEYS = (
    "branch_heads",
    "branch_heads_party",
    "branch_heads_nonparty",
    "branch_heads_nonparty_cultivated",
)

# Manual figures: summed per unit first (a yes/no flag counts once per commune),
# then per child and indicator.
MANUAL_SQL = """
SELECT child, indicator,
       SUM(CASE WHEN is_flag = 0 THEN v
                WHEN level_code IN ('hoi_commune', 'hoi_affiliate') AND v >= 1 THEN 1
                ELSE 0 END) AS value
FROM (
  SELECT substr(u.path, %(n)s, 8) AS child, m.indicator, l.code AS level_code,
         SUM(m.value) AS v,
         CASE WHEN m.indicator IN ({flags}) THEN 1 ELSE 0 END AS is_flag
  FROM targets_manualfigure m
  JOIN orgs_unit u ON u.id = m.unit_id
  JOIN orgs_level l ON l.id = u.level_id
  WHERE {under_u} AND m.period_id = %(period)s
  GROUP BY 1, m.unit_id, m.indicator, l.code
) t
GROUP BY child, indicator
"""

COMMUNES_SQL = """
SELECT substr(u.path, %(n)s, 8) AS child, COUNT(*) AS communes
FROM orgs_unit u JOIN orgs_level l ON l.id = u.level_id
WHERE {under_u} AND u.is_active = %(true)s
  AND l.code IN ('hoi_commune', 'hoi_affiliate')
GROUP BY 1
"""

CELLS_SQL = """
SELECT cell.id,
       COALESCE(MAX(x.admitted), 0) AS admitted,
       {by_cell}
FROM orgs_unit cell
JOIN orgs_level l ON l.id = cell.level_id
LEFT JOIN (
  -- the period's events counted per chi bộ first (an index range on step and
  -- date), then joined to the cells: SQLite otherwise joined every cell's cases
  -- and events one by one (minutes for a province's 4,000 cells)
  SELECT c.party_unit_id AS cell_id,
         COUNT(e.id) FILTER (WHERE e.step = 'decision') AS admitted,
         {by_org}
  FROM pipeline_caseevent e
  JOIN pipeline_case c ON c.id = e.case_id
  WHERE e.kind = 'step' AND e.step IN ('introduced', 'decision')
    AND e.date >= %(start)s AND e.date <= %(end)s
  GROUP BY c.party_unit_id
) x ON x.cell_id = cell.id
WHERE {under_cell} AND l.code = 'dang_cell' AND cell.is_active = %(true)s
GROUP BY cell.id
"""


def under(alias: str, param: str = "prefix") -> str:
    """SQL for "the unit ``alias`` lies under the path in ``%(param)s``": a LIKE
    prefix filter on PostgreSQL (its ``varchar_pattern_ops`` index serves it); on
    SQLite, whose LIKE is case-insensitive and so cannot use the index, the
    equivalent range ``path >= p AND path < p'`` (p' = p with its last dot turned
    into the next character, '/')."""
    if connection.vendor == "postgresql":
        return f"{alias}.path LIKE %({param})s"
    return f"{alias}.path >= %({param}_lo)s AND {alias}.path < %({param}_hi)s"


def prefix_params(path: str, param: str = "prefix") -> dict:
    hi = path[:-1] + "/" if path else "~"
    return {param: path + "%", f"{param}_lo": path, f"{param}_hi": hi}


def _sql(template: str, **extra) -> str:
    return template.format(under_u=under("u"), under_cell=under("cell"), **extra)


def _flag_codes() -> list[str]:
    from uutu.targets.indicators import INDICATORS

    return [i.code for i in INDICATORS if i.source == "manual_flag"]


def _child(segment: str) -> int | None:
    return int(segment) if segment else None


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _number(v):
    v = float(v or 0)
    return int(v) if v == int(v) else v


def figures(unit, start: datetime.date, end: datetime.date, period_id: int, party_path=None):
    """The floor's figures of ``unit``'s subtree between ``start`` and ``end``:
    ``{"total": {...}, "children": {child_id: {...}}, "cells": {cell_id: {...}}}``.
    Five queries (four for a unit without a Party counterpart)."""
    base = {"n": len(unit.path) + 1, "start": start, "end": end, **prefix_params(unit.path)}
    total: dict = defaultdict(int)
    children: dict = defaultdict(lambda: defaultdict(int))

    def add(child, key, value):
        total[key] += value
        if child is not None:
            children[child][key] += value

    for key in EVENT_KEYS + HEAD_KEYS:
        total[key] = 0
    for row in _rows(_sql(EVENT_SQL), base):
        for key, value in zip(EVENT_KEYS, row[1:], strict=True):
            add(_child(row[0]), key, value)
    for row in _rows(_sql(HEADS_SQL), base):
        for key, value in zip(HEAD_KEYS, row[1:], strict=True):
            add(_child(row[0]), key, int(value or 0))
    flags = _flag_codes()
    manual_sql = _sql(MANUAL_SQL, flags=", ".join(f"'{c}'" for c in flags) or "''")
    for child, indicator, value in _rows(manual_sql, {**base, "period": period_id}):
        key = f"{indicator}__yes" if indicator in flags else indicator
        add(_child(child), key, float(value or 0))
    total["communes"] = 0
    for child, n in _rows(_sql(COMMUNES_SQL), {**base, "true": True}):
        add(_child(child), "communes", n)

    cells = {}
    if party_path is not None:
        by_org = ",\n         ".join(
            f"COUNT(e.id) FILTER (WHERE e.step = 'introduced' AND e.organisation = '{o}')"
            f" AS org_{i}"
            for i, o in enumerate(ORGANISATIONS)
        )
        by_cell = ",\n       ".join(
            f"COALESCE(MAX(x.org_{i}), 0)" for i, _o in enumerate(ORGANISATIONS)
        )
        sql = _sql(CELLS_SQL, by_org=by_org, by_cell=by_cell)
        for row in _rows(sql, {**base, **prefix_params(party_path), "true": True}):
            cells[row[0]] = {
                "admitted": row[1],
                "introduced": dict(zip(ORGANISATIONS, row[2:], strict=True)),
            }
    return {
        "total": dict(total),
        "children": {k: dict(v) for k, v in children.items()},
        "cells": cells,
    }


def compare(ours: dict, floor: dict, cells: dict | None = None) -> list[str]:
    """The differences between the application's figures and the floor's, as
    readable lines (empty: the same numbers). Only the keys the floor computes are
    compared; a child missing on one side counts as all zeros."""
    problems = []
    keys = set(floor["total"])

    def same(a, b):
        return abs(float(a or 0) - float(b or 0)) < 1e-9

    for key in sorted(keys):
        if not same(ours["total"].get(key), floor["total"].get(key)):
            problems.append(
                f"total {key}: ours {ours['total'].get(key)} floor {floor['total'].get(key)}"
            )
    for child in sorted(set(ours["children"]) | set(floor["children"])):
        a, b = ours["children"].get(child, {}), floor["children"].get(child, {})
        for key in sorted(keys):
            if not same(a.get(key), b.get(key)):
                problems.append(f"child {child} {key}: ours {a.get(key)} floor {b.get(key)}")
    if cells is not None:
        for cell in sorted(set(cells) | set(floor["cells"])):
            a, b = cells.get(cell), floor["cells"].get(cell)
            if a is None or b is None:
                problems.append(f"cell {cell}: ours {a} floor {b}")
                continue
            if a["admitted"] != b["admitted"] or any(
                a["introduced"].get(o, 0) != b["introduced"].get(o, 0) for o in ORGANISATIONS
            ):
                problems.append(f"cell {cell}: ours {a} floor {b}")
    return problems


# --- member list and search ------------------------------------------------------------


def member_page(path_prefix: str, words: list[str], page_size: int) -> tuple[int, list[int]]:
    """The member list's first page by hand: how many members match, and the ids of
    the first ``page_size`` in the list's order: a search by name the Vietnamese way,
    the plain list chi hội by chi hội (the units' paths), then by name. Two queries
    (the page shows the count)."""
    where = under("b") + " AND p.archived_at IS NULL"
    params: dict = prefix_params(path_prefix)
    for i, word in enumerate(words):
        where += f" AND p.search_name LIKE %(w{i})s"
        params[f"w{i}"] = f"%{word}%"
    frm = "FROM people_person p JOIN orgs_unit b ON b.id = p.branch_id"
    count = _rows(f"SELECT COUNT(*) {frm} WHERE {where}", params)[0][0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.full_name, p.birth_date, p.party_status, b.name {frm} "
            f"WHERE {where} ORDER BY {'' if words else 'b.path, '}p.sort_key, p.id "
            f"LIMIT {int(page_size)}",
            params,
        )
        ids = [r[0] for r in cursor.fetchall()]
    return count, ids


def case_list(prefixes: list[str], words: list[str], page_size: int, cap: int):
    """The case list's first page by hand: how many cases lie under one of
    ``prefixes`` by their chi hội or their party unit (at most ``cap`` + 1 counted,
    as the list counts) and hold every folded word in their search text, and the
    ids of the ``page_size`` last changed. ``prefixes`` empty: the whole country."""
    params: dict = {}
    scoped = []
    for i, path in enumerate(prefixes):
        params.update(prefix_params(path, f"p{i}"))
        units = f"SELECT u.id FROM orgs_unit u WHERE {under('u', f'p{i}')}"
        for column in ("branch_id", "party_unit_id"):
            if connection.vendor == "postgresql":  # each foreign key's index, ORed
                scoped.append(f"c.{column} = ANY(ARRAY({units}))")
            else:
                scoped.append(f"c.{column} IN ({units})")
    where = [f"({' OR '.join(scoped)})"] if scoped else []
    for i, word in enumerate(words):
        where.append(f"c.search_name LIKE %(w{i})s")
        params[f"w{i}"] = f"%{word}%"
    sql = "FROM pipeline_case c" + (f" WHERE {' AND '.join(where)}" if where else "")
    count = _rows(f"SELECT COUNT(*) FROM (SELECT 1 {sql} LIMIT {int(cap) + 1}) s", params)[0][0]
    ids = _rows(
        f"SELECT c.id {sql} ORDER BY c.updated_at DESC, c.id DESC LIMIT {int(page_size)}", params
    )
    return count, [r[0] for r in ids]


def case_page(case_id: int) -> int:
    """A case page by hand: the case with its member, chi hội and chi bộ and all its
    events, one query. Returns the number of events."""
    rows = _rows(
        """
        SELECT c.id, c.full_name, c.step, c.status, b.name, pu.name,
               e.id, e.step, e.date, e.doc_no, e.note
        FROM pipeline_case c
        LEFT JOIN orgs_unit b ON b.id = c.branch_id
        LEFT JOIN orgs_unit pu ON pu.id = c.party_unit_id
        LEFT JOIN pipeline_caseevent e ON e.case_id = c.id
        WHERE c.id = %(id)s
        ORDER BY e.date, e.id
        """,
        {"id": case_id},
    )
    return sum(1 for r in rows if r[6] is not None)
