"""Per-chi-hội member counts (:class:`~uutu.people.models.MemberCount`), kept exact
by database triggers on ``people_person``, so the home page sums a few rows per
branch instead of counting the members of the user's whole scope.

Why triggers: members are written by the services (``Person.save()``), but also by
the bulk import (``bulk_create``), ``QuerySet.update()`` (a branch merge, the
pipeline's admission), the demo loader and the generator's COPY, none of which
calls ``save()`` or sends a signal. The database is the one place that sees every
write. The trigger SQL lives here, in one place: migration 0004 creates it,
:func:`disable_triggers` / :func:`enable_triggers` turn it off for a bulk load.

- **PostgreSQL**: three statement-level triggers (insert, update, delete) with
  transition tables call one plpgsql function; a statement writing many rows
  (a ``bulk_create``, an ``UPDATE … WHERE branch_id = …``) adds its net change per
  branch in one upsert, branches in id order so concurrent writers lock them in
  the same order. An update that changes none of the counted columns nets to zero
  and writes nothing.
- **SQLite**: three row-level triggers (SQLite has no statement-level ones); the
  update trigger fires only when a counted column changed, takes the member off
  her old branch's row and adds her to the new one's.

A member counts when she is current (``archived_at IS NULL``), in the row of her
``branch_id``; ``party`` counts party status other than "none" and "left" (what
the home page counted before: probationary and official).

:func:`rebuild` recounts every row from the members (one ``INSERT … SELECT …
GROUP BY``); :func:`verify` returns every branch whose stored counts differ from a
recount (``manage.py verify``).
"""

from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction

PERSON = "people_person"
TABLE = "people_membercount"
UNIT = "orgs_unit"
PATH_TRIGGER = "people_membercount_path"
PATH_FUNCTION = "people_membercount_path_sync"
FIELDS = ("total", "party", "core", "exemplar", "away")
TRIGGERS = ("people_membercount_ins", "people_membercount_upd", "people_membercount_del")
FUNCTION = "people_membercount_sync"

# Party statuses that do not count as a party member (uutu.people.models.Party).
NOT_PARTY = ("none", "left")
_NOT_PARTY = ", ".join(f"'{s}'" for s in NOT_PARTY)


def _weights(row: str, sign: str) -> list[str]:
    """The contribution of ``row`` (a table alias or OLD/NEW) to each figure, times
    ``sign`` (an SQL expression), in :data:`FIELDS` order."""
    return [
        sign,
        f"CASE WHEN {row}.party_status NOT IN ({_NOT_PARTY}) THEN {sign} ELSE 0 END",
        f"CASE WHEN {row}.is_core_member THEN {sign} ELSE 0 END",
        f"CASE WHEN {row}.is_exemplar THEN {sign} ELSE 0 END",
        f"CASE WHEN {row}.working_away THEN {sign} ELSE 0 END",
    ]


def _columns() -> str:
    return ", ".join(FIELDS)


def _upsert_tail(alias: str) -> str:
    sets = ", ".join(f"{f} = {alias}.{f} + excluded.{f}" for f in FIELDS)
    return f"ON CONFLICT (branch_id) DO UPDATE SET {sets}"


def _recount_sql() -> str:
    """One SELECT: (branch_id, total, party, core, exemplar, away) per branch,
    counted from the current members."""
    sums = ", ".join(f"SUM({w}) AS {f}" for w, f in zip(_weights("p", "1"), FIELDS, strict=True))
    return (
        f"SELECT p.branch_id AS branch_id, {sums} FROM {PERSON} p "
        "WHERE p.archived_at IS NULL GROUP BY p.branch_id"
    )


# --- the triggers -------------------------------------------------------------------


def _postgresql_sql(with_path: bool = True) -> list[str]:
    def delta(parts: list[tuple[str, str]]) -> str:
        """Net change per branch of the transition tables ``parts`` [(table, sign)]."""
        selects = " UNION ALL ".join(
            f"SELECT r.branch_id, {', '.join(_weights('r', sign))} FROM {table} r "
            "WHERE r.archived_at IS NULL"
            for table, sign in parts
        )
        sums = ", ".join(f"SUM(d.{f})" for f in FIELDS)
        nonzero = " OR ".join(f"SUM(d.{f}) <> 0" for f in FIELDS)
        # A new row takes its chi hội's path (an existing one keeps its own).
        column, value, join, group = (
            ("path, ", "u.path, ", f"JOIN {UNIT} u ON u.id = d.branch_id ", ", u.path")
            if with_path
            else ("", "", "", "")
        )
        return (
            f"INSERT INTO {TABLE} AS c (branch_id, {column}{_columns()}) "
            f"SELECT d.branch_id, {value}{sums} "
            f"FROM ({selects}) AS d (branch_id, {_columns()}) {join}"
            f"GROUP BY d.branch_id{group} HAVING {nonzero} "
            f"ORDER BY d.branch_id {_upsert_tail('c')};"
        )

    function = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    -- Keeps {TABLE} exact for every write to {PERSON} (uutu.people.counts).
    IF TG_OP = 'INSERT' THEN
        {delta([("new_rows", "1")])}
    ELSIF TG_OP = 'DELETE' THEN
        {delta([("old_rows", "-1")])}
    ELSE
        {delta([("old_rows", "-1"), ("new_rows", "1")])}
    END IF;
    RETURN NULL;
END
$body$"""
    ins, upd, dele = TRIGGERS
    each = f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    return [
        function,
        f"CREATE TRIGGER {ins} AFTER INSERT ON {PERSON} REFERENCING NEW TABLE AS new_rows {each}",
        f"CREATE TRIGGER {upd} AFTER UPDATE ON {PERSON} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {each}",
        f"CREATE TRIGGER {dele} AFTER DELETE ON {PERSON} REFERENCING OLD TABLE AS old_rows {each}",
    ]


def _sqlite_sql(with_path: bool = True) -> list[str]:
    def upsert(row: str, sign: str) -> str:
        values = ", ".join(_weights(row, sign))
        column, value = (
            ("path, ", f"(SELECT u.path FROM {UNIT} u WHERE u.id = {row}.branch_id), ")
            if with_path
            else ("", "")
        )
        # "WHERE true"-style filter: SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
        return (
            f"INSERT INTO {TABLE} (branch_id, {column}{_columns()}) "
            f"SELECT {row}.branch_id, {value}{values} "
            f"WHERE {row}.archived_at IS NULL {_upsert_tail(TABLE)};"
        )

    changed = " OR ".join(
        [
            "OLD.branch_id IS NOT NEW.branch_id",
            "(OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL)",
            "OLD.party_status IS NOT NEW.party_status",
            "OLD.is_core_member IS NOT NEW.is_core_member",
            "OLD.is_exemplar IS NOT NEW.is_exemplar",
            "OLD.working_away IS NOT NEW.working_away",
        ]
    )

    def take_off(row: str) -> str:
        # A counted member's chi hội has its row: taking her off only updates it,
        # never inserts (a test database's flush deletes the units and the count
        # rows before the members; an inserted row would point at a deleted unit).
        sets = ", ".join(
            f"{f} = {f} + {w}" for f, w in zip(FIELDS, _weights(row, "-1"), strict=True)
        )
        return (
            f"UPDATE {TABLE} SET {sets} "
            f"WHERE branch_id = {row}.branch_id AND {row}.archived_at IS NULL;"
        )

    ins, upd, dele = TRIGGERS
    return [
        f"CREATE TRIGGER {ins} AFTER INSERT ON {PERSON} FOR EACH ROW "
        f"BEGIN {upsert('NEW', '1')} END",
        f"CREATE TRIGGER {upd} AFTER UPDATE ON {PERSON} FOR EACH ROW WHEN {changed} "
        f"BEGIN {take_off('OLD')} {upsert('NEW', '1')} END",
        f"CREATE TRIGGER {dele} AFTER DELETE ON {PERSON} FOR EACH ROW BEGIN {take_off('OLD')} END",
    ]


def trigger_sql(vendor: str, with_path: bool = True) -> list[str]:
    """The statements that create the triggers on ``vendor``. ``with_path=False``:
    the triggers as they were before the rows had a path (migrations 0004-0006)."""
    if vendor == "postgresql":
        return _postgresql_sql(with_path)
    if vendor == "sqlite":
        return _sqlite_sql(with_path)
    raise NotImplementedError(f"No member-count triggers for {vendor}.")


def create_triggers(connection=None, with_path: bool = True) -> None:
    """Create the triggers (migration 0004; after :func:`drop_triggers`)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for sql in trigger_sql(connection.vendor, with_path):
            cursor.execute(sql)


# --- the rows' paths ----------------------------------------------------------------
#
# Each row carries its chi hội's path, so that a scope's total is a range of the
# (path, total) index, read alone, instead of a join with every unit of the scope
# (a province: 5,000 chi hội joined against 100,000 rows, 10-25 ms). A new row takes
# the path in the triggers above; a unit that moves (a merge, a new parent) passes
# its new path to its row through this trigger on orgs_unit, whoever updates it.


def _path_trigger_sql(vendor: str) -> list[str]:
    sync = f"UPDATE {TABLE} SET path = NEW.path WHERE branch_id = NEW.id;"
    if vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {PATH_FUNCTION}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $body$ BEGIN {sync} RETURN NULL; END $body$",
            f"CREATE TRIGGER {PATH_TRIGGER} AFTER UPDATE OF path ON {UNIT} FOR EACH ROW "
            f"WHEN (OLD.path IS DISTINCT FROM NEW.path) EXECUTE FUNCTION {PATH_FUNCTION}()",
        ]
    return [
        f"CREATE TRIGGER {PATH_TRIGGER} AFTER UPDATE OF path ON {UNIT} FOR EACH ROW "
        f"WHEN OLD.path IS NOT NEW.path BEGIN {sync} END"
    ]


def create_path_trigger(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for sql in _path_trigger_sql(connection.vendor):
            cursor.execute(sql)


def drop_path_trigger(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {PATH_TRIGGER} ON {UNIT}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {PATH_FUNCTION}()")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {PATH_TRIGGER}")


def drop_all_for_migration(apps, schema_editor) -> None:
    """A migration's ``RunPython`` step: drop the member triggers and the path
    trigger before it alters a table they read or write (on SQLite that rebuilds the
    table; on PostgreSQL the path trigger depends on the unit's path column)."""
    drop_path_trigger(schema_editor.connection)
    drop_triggers(schema_editor.connection)


def create_all_for_migration(apps, schema_editor) -> None:
    """A migration's ``RunPython`` step: create both again."""
    create_triggers(schema_editor.connection)
    create_path_trigger(schema_editor.connection)


def fill_paths_sql() -> str:
    """Give every row its chi hội's path (migration 0008; :func:`rebuild`, which
    ``verify --fix`` runs, writes the paths with the counts)."""
    return f"UPDATE {TABLE} SET path = (SELECT u.path FROM {UNIT} u WHERE u.id = {TABLE}.branch_id)"


def drop_triggers(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {PERSON}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


def alter_triggers(action: str, names=TRIGGERS) -> None:
    """PostgreSQL: ``ALTER TABLE people_person {action} TRIGGER …`` for each of
    ``names`` (the member counts' triggers; ``people.namewords`` passes its own).
    Inside a transaction the deferred foreign-key checks already queued on the
    table are run first (``check_constraints``): PostgreSQL refuses to alter a
    table with pending trigger events."""
    if default_connection.in_atomic_block:
        default_connection.check_constraints()
    with default_connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"ALTER TABLE {PERSON} {action} TRIGGER {name}")


def disable_triggers() -> None:
    """Stop counting for a bulk load (call :func:`enable_triggers`, then
    :func:`rebuild`, afterwards). PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER``, for
    every session (the generator's workers); SQLite: the triggers are dropped."""
    if default_connection.vendor == "postgresql":
        alter_triggers("DISABLE")
    else:
        drop_triggers()


def enable_triggers() -> None:
    """Count again after :func:`disable_triggers`."""
    if default_connection.vendor == "postgresql":
        alter_triggers("ENABLE")
    else:
        drop_triggers()  # idempotent: enable twice is harmless
        create_triggers()


# --- rebuild and verify ---------------------------------------------------------------


def backfill_sql(with_path: bool = True) -> str:
    """Fill an empty table from the members: one ``INSERT … SELECT … GROUP BY``
    (with each row's path from its chi hội, but in migration 0004)."""
    column, value, join = ("", "", "")
    if with_path:
        column, value, join = ("path, ", "u.path, ", f" JOIN {UNIT} u ON u.id = r.branch_id")
    return (
        f"INSERT INTO {TABLE} (branch_id, {column}{_columns()}) "
        f"SELECT r.branch_id, {value}{', '.join(f'r.{f}' for f in FIELDS)} "
        f"FROM ({_recount_sql()}) r{join}"
    )


@transaction.atomic
def rebuild() -> int:
    """Recount every row from the members (after a bulk load with the triggers
    off, or to mend a difference ``verify`` found). On PostgreSQL the members are
    locked against writes (not reads) meanwhile, so no concurrent change is lost.
    Returns the number of branch rows written."""
    with default_connection.cursor() as cursor:
        if default_connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {PERSON} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(backfill_sql())
        return cursor.rowcount


@dataclass
class Difference:
    """One branch whose stored counts are not the recount; ``stored`` and
    ``recounted`` are (total, party, core, exemplar, away), zeros for a missing row.
    A row whose path is not its chi hội's has ``path`` (and equal figures)."""

    branch_id: int
    stored: tuple
    recounted: tuple
    path: tuple[str, str] | None = None  # (stored, the chi hội's) when they differ

    def figures(self) -> list[tuple[str, int, int]]:
        """The figures that differ: [(field, stored, recounted)]."""
        return [
            (f, s, r) for f, s, r in zip(FIELDS, self.stored, self.recounted, strict=True) if s != r
        ]


def verify() -> list[Difference]:
    """Recount every branch from the members and return those whose stored row
    differs (a missing row counts as zeros), or whose path is not its chi hội's.
    Two queries, compared in SQL."""
    n = len(FIELDS)
    stored = ", ".join(f"{f} AS s{i}" for i, f in enumerate(FIELDS))
    zeros_r = ", ".join(f"0 AS r{i}" for i in range(n))
    zeros_s = ", ".join(["0"] * n)
    recounted = ", ".join(FIELDS)
    sums = ", ".join([f"SUM(s{i})" for i in range(n)] + [f"SUM(r{i})" for i in range(n)])
    differs = " OR ".join(f"SUM(s{i}) <> SUM(r{i})" for i in range(n))
    query = f"""
        SELECT branch_id, {sums}
          FROM (
                SELECT branch_id, {stored}, {zeros_r} FROM {TABLE}
                UNION ALL
                SELECT branch_id, {zeros_s}, {recounted} FROM ({_recount_sql()}) recount
               ) both_sides
         GROUP BY branch_id
        HAVING {differs}
         ORDER BY branch_id
    """
    with default_connection.cursor() as cursor:
        cursor.execute(query)
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT c.branch_id, c.path, u.path, {', '.join(f'c.{f}' for f in FIELDS)} "
            f"FROM {TABLE} c JOIN {UNIT} u ON u.id = c.branch_id "
            "WHERE c.path <> u.path ORDER BY c.branch_id"
        )
        paths = cursor.fetchall()
    differences = [
        Difference(
            int(row[0]),
            tuple(int(v) for v in row[1 : n + 1]),
            tuple(int(v) for v in row[n + 1 :]),
        )
        for row in rows
    ]
    by_branch = {d.branch_id: d for d in differences}
    for branch_id, stored, actual, *figures in paths:
        d = by_branch.get(branch_id)
        if d is None:
            figures = tuple(int(v) for v in figures)
            differences.append(Difference(branch_id, figures, figures))
            d = differences[-1]
        d.path = (stored, actual)
    return sorted(differences, key=lambda d: d.branch_id)
