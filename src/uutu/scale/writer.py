"""Bulk writing for the generator: PostgreSQL ``COPY … FROM STDIN`` (psycopg 3) or
SQLite ``executemany``, with ids allocated here rather than by the database.

Rows are tuples in the column order given to :meth:`BulkWriter.add`; dates are ISO
strings, timestamps come from :meth:`BulkWriter.ts`, booleans are ``bool`` and
``None`` is NULL. Rows are buffered per table and written in batches, so memory
stays flat whatever the scale. Ids are read once (``max(id) + 1``) and assigned
sequentially; :meth:`BulkWriter.finish` resets the PostgreSQL sequences.
"""

import time
from collections import Counter

from django.core.management.color import no_style
from django.db import connection

FLUSH_ROWS = 50_000


class BulkWriter:
    """Buffers rows per table and writes them in bulk; hands out ids."""

    def __init__(self, flush_rows: int = FLUSH_ROWS, id_bases: dict | None = None):
        connection.ensure_connection()
        self.id_bases = id_bases or {}
        self.vendor = connection.vendor
        self.flush_rows = flush_rows
        self.buffers: dict[str, list] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.models: dict[str, type] = {}
        self.counts: Counter = Counter()
        self.next_ids: dict[type, int] = {}
        self.seconds_writing = 0.0
        self._ts_suffix = "+00" if self.vendor == "postgresql" else ""

    # --- ids ------------------------------------------------------------------------

    def ids(self, model, n: int = 1) -> int:
        """Reserve ``n`` consecutive ids of ``model``; returns the first."""
        if model not in self.next_ids and model in self.id_bases:
            self.next_ids[model] = self.id_bases[model]
        if model not in self.next_ids:
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 - our table name
                self.next_ids[model] = (cursor.fetchone()[0] or 0) + 1
        first = self.next_ids[model]
        self.next_ids[model] = first + n
        return first

    def ts(self, text: str) -> str:
        """A UTC timestamp ``YYYY-MM-DD HH:MM:SS`` as this database stores it."""
        return text + self._ts_suffix

    # --- rows -----------------------------------------------------------------------

    def register(self, model, columns: tuple[str, ...]) -> None:
        table = model._meta.db_table
        self.columns[table] = columns
        self.models[table] = model
        self.buffers.setdefault(table, [])

    def add(self, model, row: tuple) -> None:
        buf = self.buffers[model._meta.db_table]
        buf.append(row)
        if len(buf) >= self.flush_rows:
            self.flush(model._meta.db_table)

    def extend(self, model, rows) -> None:
        table = model._meta.db_table
        self.buffers[table].extend(rows)
        if len(self.buffers[table]) >= self.flush_rows:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        tables = [table] if table else list(self.buffers)
        started = time.perf_counter()
        for name in tables:
            rows = self.buffers[name]
            if not rows:
                continue
            cols = [connection.ops.quote_name(c) for c in self.columns[name]]
            if self.vendor == "postgresql":
                sql = f"COPY {name} ({', '.join(cols)}) FROM STDIN"
                with connection.connection.cursor() as cur, cur.copy(sql) as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row)
            else:
                marks = ", ".join("?" * len(cols))
                sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})"  # noqa: S608
                connection.connection.executemany(sql, rows)
            self.counts[name] += len(rows)
            self.buffers[name] = []
        self.seconds_writing += time.perf_counter() - started

    def finish(self) -> None:
        """Write what is left and move the PostgreSQL sequences past our ids."""
        self.flush()
        if self.vendor == "postgresql":
            models = list({*self.next_ids, *self.models.values()})
            statements = connection.ops.sequence_reset_sql(no_style(), models)
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def prepare_connection() -> None:
    """Faster settings for a bulk load, where they are allowed: on SQLite outside a
    transaction, no fsync and a write-ahead log."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA journal_mode=WAL")


def drop_secondary_indexes(tables: list[str]) -> list[str]:
    """PostgreSQL: drop the secondary indexes of ``tables`` (not the primary keys
    or indexes backing a constraint) and return their definitions, so that
    :func:`recreate_indexes` builds them again, exactly, after the load."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.tablename, i.indexname
            """,
            [tables],
        )
        rows = cursor.fetchall()
        for name, _definition in rows:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def recreate_indexes(definitions: list[str]) -> None:
    if not definitions:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for definition in definitions:
            cursor.execute(definition)


def skip_fk_triggers(on: bool) -> bool:
    """PostgreSQL: while loading, do not fire the per-row foreign-key triggers
    (``session_replication_role = replica``, superuser only); the keys are then
    checked set-wise by :func:`dangling_foreign_keys`. Returns whether it applied."""
    if connection.vendor != "postgresql":
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET session_replication_role = {'replica' if on else 'DEFAULT'}")
    except Exception:  # noqa: BLE001 - not a superuser: keep the triggers
        return False
    return True


def dangling_foreign_keys(models) -> list[tuple[str, str, int]]:
    """Every foreign key of ``models`` that points at no row, counted with one
    anti-join per key: [(table, column, count)] (empty when all is well)."""
    problems = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model._meta.db_table
                col, tcol = f.column, f.target_field.column
                cursor.execute(
                    f"SELECT COUNT(*) FROM {table} a LEFT JOIN {target} b "  # noqa: S608
                    f"ON b.{tcol} = a.{col} WHERE a.{col} IS NOT NULL AND b.{tcol} IS NULL"
                )
                n = cursor.fetchone()[0]
                if n:
                    problems.append((table, col, n))
    return problems
