"""The word index of members' names, for a fast search on PostgreSQL.

A search keeps every member whose folded name (``search_name``) contains each typed
word: ``search_name LIKE '%word%'`` per word. The trigram index answers that, but
slowly for a full name of middling frequency: "tran thi tuyet" (24,351 members in the
country) read the trigram lists of "thi" (nearly every woman) and all the matching
rows, 290 ms on 20 million members.

A typed word has no space, so it occurs in a name exactly when it occurs in one of
the name's words. The same matches therefore come from:

* :class:`~uutu.people.models.NameWord`, the distinct words of all the names (a few
  thousand rows, kept by a statement trigger on every insert and update of members),
  which maps a typed word to the name words that contain it ("tran" → tran, trang,
  …);
* a GIN index on the name's words (``string_to_array(search_name, ' ')``), which
  finds the members having one of those words, for each rare typed word;
* a plain check on the row (``strpos``) for a typed word that most names contain
  ("thi"), whose index list would cost more than it saves.

How common a name word is comes from the planner's own statistics on that index
(``pg_stats.most_common_elems``, refreshed by autovacuum's ANALYZE): nothing extra is
written on an import. Statistics only choose the way; the matches are the same.

A second GIN index holds each name's *pairs* of words (``people_name_pairs``: "hoang
thu", "hoang trang", "thu trang" for "hoang thi thu trang"; "thi" left out, every
woman has it). A member holds the pair "x y" exactly when her name has both words,
so two rare typed words are looked up as one short list instead of two long ones
that PostgreSQL intersects: "hoang thi thu trang" in the country read 4 million
entries of the word index (122 ms) where the pairs give 400 members in 3 ms.

SQLite keeps the ``LIKE`` search (a province there scans its few hundred thousand
names), and a search whose words are all common keeps it too: the list's own scan
finds a thousand of its matches quickly.
"""

import math
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Func, Q

from uutu.core.pagination import SEARCH_CAP
from uutu.core.scoping import InUnits

from . import counts

TABLE = "people_nameword"
PERSON = "people_person"
INDEX = "person_search_words"
WORDS = "string_to_array(search_name, ' ')"
FUNCTION = "people_nameword_add"
TRIGGERS = ("people_nameword_ins", "people_nameword_upd")
PAIR_INDEX = "person_search_pairs"
PAIR_FUNCTION = "people_name_pairs"
# Name words left out of the pairs: in nearly every name, so a pair with one is
# no rarer than the other word alone, and they would double the index.
UNPAIRED = ("thi",)
# At most this many pair tokens for two typed words (each word stands for the
# name words containing it): "n" and "a" would give thousands.
MAX_PAIR_TOKENS = 400

# A typed word found in more than this share of the names is checked on the row, not
# looked up in the index ("thi": 95 %; "nguyen": about a third).
COMMON = 0.2
# A typed word contained in more name words than this ("a", "n") is checked on the
# row too: the union of that many index lists costs more than the rows.
MAX_NAME_WORDS = 200
# Within a province or a commune, the word index is used only when it gives at most
# this many members in the whole country: beyond that its bitmap, and the scope's,
# outgrow work_mem and turn lossy (a search for "tuyet" alone in Hà Nội: 2.6 s).
SCOPED_CANDIDATES = 80_000


@dataclass(frozen=True)
class Costs:
    """What each step of a search costs, in microseconds, as measured with
    ``EXPLAIN ANALYZE`` on the national database (20 million members, 2 vCPU;
    docs/benchmarks.md, session 8). Only their ratios matter to the choice."""

    seq_row: float = 0.35  # a member read by a scan of the table (the country, no order)
    list_row: float = 1.0  # a member read in the list's order (chi hội by chi hội)
    posting: float = 0.03  # an entry of the word index's lists
    candidate: float = 0.6  # a member in the word index's bitmap
    heap_row: float = 4.0  # a member read through that bitmap
    scope_row: float = 0.08  # a member in the scope's bitmap (the chi hội index)


COSTS = Costs()
# A scan that would cost more than this (µs) keeps LIKE, for the planner to take the
# trigram index.
SCAN_LIMIT = 400_000
# How many matches the list takes (and one more, to know there are more).
TAKEN = SEARCH_CAP + 1


@dataclass(frozen=True)
class Scope:
    """Where a search looks: the path prefixes of its units and how many members
    they hold (from the per-chi-hội counts). None stands for the whole country."""

    prefixes: tuple[str, ...]
    members: int


# --- schema: the index, the table's trigger ----------------------------------------


def _trigger_sql() -> list[str]:
    function = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    -- Keeps {TABLE} holding every word of every name (uutu.people.namewords). Words
    -- already there are skipped without a lock; a new word waits only for another
    -- transaction adding the same word. Sorted, so two of them never deadlock.
    INSERT INTO {TABLE} (word)
    SELECT DISTINCT w.word
    FROM new_rows, unnest(string_to_array(new_rows.search_name, ' ')) AS w (word)
    WHERE w.word <> ''
      AND NOT EXISTS (SELECT 1 FROM {TABLE} n WHERE n.word = w.word)
    ORDER BY w.word
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$body$"""
    ins, upd = TRIGGERS
    each = f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    return [
        function,
        f"CREATE TRIGGER {ins} AFTER INSERT ON {PERSON} REFERENCING NEW TABLE AS new_rows {each}",
        f"CREATE TRIGGER {upd} AFTER UPDATE ON {PERSON} REFERENCING NEW TABLE AS new_rows {each}",
    ]


def rebuild(cursor) -> int:
    """Add every word of every name that the table lacks (after a bulk load with the
    triggers off). Words are never removed: one that no name holds any more finds
    nobody in the index. Returns the number of words added."""
    cursor.execute(
        f"INSERT INTO {TABLE} (word) SELECT DISTINCT w.word FROM {PERSON}, "
        f"unnest({WORDS}) AS w (word) WHERE w.word <> '' ORDER BY w.word "
        "ON CONFLICT DO NOTHING"
    )
    return cursor.rowcount


MISSING_SHOWN = 50


def missing(cursor, limit: int = MISSING_SHOWN) -> list[str]:
    """Words of members' names that the table lacks (a bulk load with the triggers
    off, not followed by :func:`rebuild`): a search for them would miss members.
    ``manage.py verify`` reports them; PostgreSQL only."""
    cursor.execute(
        f"SELECT DISTINCT w.word FROM {PERSON}, unnest({WORDS}) AS w (word) "
        f"WHERE w.word <> '' AND NOT EXISTS (SELECT 1 FROM {TABLE} n WHERE n.word = w.word) "
        "ORDER BY w.word LIMIT %s",
        [limit],
    )
    return [row[0] for row in cursor.fetchall()]


def install(apps, schema_editor):
    """A migration's ``RunPython`` step (PostgreSQL): the index, the words, the
    triggers. About 35 s for 20 million members."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {PERSON} USING gin (({WORDS}))")
        rebuild(cursor)
        for statement in _trigger_sql():
            cursor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {PERSON}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def _pairs_function_sql() -> str:
    skipped = ", ".join(f"'{word}'" for word in UNPAIRED)
    return f"""
CREATE OR REPLACE FUNCTION {PAIR_FUNCTION}(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $body$
-- Every pair of distinct words of a folded name, "a b" with a before b in byte
-- order, leaving out {skipped} (uutu.people.namewords). plpgsql: 3 µs a name,
-- against 10 for the same in SQL (unnest, join, array_agg).
DECLARE
    w text[] := string_to_array(name, ' ');
    pairs text[] := '{{}}';
BEGIN
    FOR i IN 1 .. coalesce(cardinality(w), 0) LOOP
        CONTINUE WHEN w[i] = '' OR w[i] IN ({skipped});
        FOR j IN 1 .. cardinality(w) LOOP
            IF w[i] COLLATE "C" < w[j] COLLATE "C" AND w[j] NOT IN ({skipped}) THEN
                pairs := pairs || (w[i] || ' ' || w[j]);
            END IF;
        END LOOP;
    END LOOP;
    RETURN pairs;
END
$body$"""


def install_pairs(apps, schema_editor):
    """A migration's ``RunPython`` step (PostgreSQL): the pairs' function and their
    GIN index. About 4 minutes for 20 million members; 100 MB."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_pairs_function_sql())
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {PAIR_INDEX} ON {PERSON} "
            f"USING gin ({PAIR_FUNCTION}(search_name))"
        )


def uninstall_pairs(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {PAIR_INDEX}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {PAIR_FUNCTION}(text)")


def set_triggers(enabled: bool) -> None:
    """Stop (or restart) the triggers for a bulk load; call :func:`rebuild` after."""
    if connection.vendor == "postgresql":
        counts.alter_triggers("ENABLE" if enabled else "DISABLE", TRIGGERS)


# --- the search ---------------------------------------------------------------------


class _OnName(Func):
    """A condition on the member's folded name: ``template`` with ``{name}`` for the
    column and one parameter, ``value``."""

    output_field = BooleanField()

    def __init__(self, template: str, value):
        super().__init__(F("search_name"))
        self.template, self.value = template, value

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return self.template.format(name=column), [*params, self.value]


def _has_name_word(words: list[str]) -> _OnName:
    """The member's name has one of ``words``: the GIN index's own expression, so
    the index answers it."""
    return _OnName("string_to_array({name}, ' ') && %s::text[]", words)


def _has_name_pair(pairs: list[str]) -> _OnName:
    """The member's name has one of the word ``pairs`` ("hoang trang"): the pair
    index's own expression."""
    return _OnName(f"{PAIR_FUNCTION}({{name}}) && %s::text[]", pairs)


def _contains(word: str) -> _OnName:
    """``word`` occurs in the name, checked on the row: ``strpos``, which no index
    answers, so the planner is not tempted to the trigram index (as by ``LIKE``)."""
    return _OnName("strpos({name}, %s) > 0", word)


class Way:
    """The ways a name search can go (PostgreSQL)."""

    WORDS = "words"  # the word index; the matches it gives first
    SCAN = "scan"  # every word checked on the row, reading the scope
    LIKE = "like"  # LIKE per word, in the list's order: the planner's choice


@dataclass(frozen=True)
class SearchPlan:
    """How a name search goes (:func:`plan`): its :class:`Way`; for the word
    index, ``keys`` maps each rare typed word to the name words that contain it (the
    index's condition) and ``checks`` are the typed words checked on the row;
    ``candidates`` estimates the members the index gives in the whole country,
    ``cost`` the search's (µs, :class:`Costs`); ``scope`` limits the index's
    members to a province's or commune's chi hội (None: the whole country).
    ``pairs`` are the pair index's conditions (each a list of pair tokens, see
    :func:`_pairs`), which stand for the keys in ``paired``."""

    way: str
    keys: dict[str, list[str]]
    checks: list[str]
    candidates: float = 0.0
    cost: float = 0.0
    scope: Scope | None = None
    pairs: tuple = ()
    paired: frozenset = frozenset()

    @property
    def any_order(self) -> bool:
        """Are the matches taken in any order (the first the index or the table
        gives), rather than in the list's order? The word index, and a scan of the
        whole country: neither has a scope whose rows could come last in the table."""
        return self.way == Way.WORDS or (self.way == Way.SCAN and self.scope is None)

    def condition(self) -> Q:
        q = Q()
        if self.way == Way.LIKE:
            for word in self.checks:
                q &= Q(search_name__contains=word)
            return q
        if any(not names for names in self.keys.values()):
            return Q(pk__in=[])  # a typed word that no name holds: nobody matches
        for typed, words in self.keys.items():
            if typed not in self.paired:
                q &= Q(_has_name_word(words))
        for tokens in self.pairs:
            q &= Q(_has_name_pair(tokens))
        for word in self.checks:
            q &= Q(_contains(word))
        if self.way == Way.WORDS and self.scope is not None and self.scope.prefixes:
            # the scope's chi hội as a bitmap ANDed with the word index's: without
            # it a province's search read every candidate in the country until it
            # met its own (269 ms for the province last in the table; 81 ms with it)
            q &= Q(InUnits("branch", self.scope.prefixes))
        return q


def _like(typed: list[str]) -> SearchPlan:
    return SearchPlan(Way.LIKE, {}, list(typed))


def _name_words(typed: list[str]) -> tuple[dict, dict, float]:
    """For each typed word, the name words that contain it and their summed share
    of the names (0 for a word the statistics do not list: a rare one); and how
    many members the table holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH stats AS (
                SELECT u.word, u.share
                FROM pg_stats s,
                     unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
                         AS u (word, share)
                WHERE s.schemaname = current_schema() AND s.tablename = %s
                  AND u.word IS NOT NULL
            )
            SELECT t.typed, n.word, stats.share,
                   (SELECT reltuples FROM pg_class WHERE oid = %s::regclass)
            FROM unnest(%s::text[]) AS t (typed)
            LEFT JOIN {TABLE} n ON strpos(n.word, t.typed) > 0
            LEFT JOIN stats ON stats.word = n.word
            """,
            [INDEX, PERSON, typed],
        )
        rows = cursor.fetchall()
    names: dict[str, list[str]] = {word: [] for word in typed}
    share: dict[str, float] = dict.fromkeys(typed, 0.0)
    members = 0.0
    for word, name_word, name_share, reltuples in rows:
        members = max(float(reltuples or 0), 0.0)
        if name_word is not None:
            names[word].append(name_word)
            share[word] += float(name_share or 0.0)
    return names, {word: min(value, 1.0) for word, value in share.items()}, members


def plan(typed: list[str], scope=None, costs: Costs | None = None) -> SearchPlan:
    """How to search the folded, space-free ``typed`` words within ``scope`` (a
    :class:`Scope`, a function that gives one, or None for the whole country).

    SQLite: ``LIKE``. PostgreSQL: one query finds the name words containing each
    typed word, with their share of the names (the index's statistics), and the
    cheaper of two ways is taken (:class:`Costs`):

    * a scan (:data:`Way.SCAN`) reads members until it has the matches the list
      takes (``TAKEN`` / the share of names holding every word; at most the scope's
      members): the whole country's table in its own order, or a scope's chi hội
      one by one in the list's order; best for a commune, or for common words;
    * the word index (:data:`Way.WORDS`) reads its lists, builds a bitmap of the
      members having every rare word (and, within a scope, of the scope's members),
      and reads those members until it has the matches; not within a scope when it
      gives more than :data:`SCOPED_CANDIDATES`.

    A scan that would cost more than :data:`SCAN_LIMIT` keeps ``LIKE`` and the
    planner's choice (the trigram index)."""
    typed = list(dict.fromkeys(typed))
    if connection.vendor != "postgresql" or not typed:
        return _like(typed)
    costs = costs or COSTS
    if callable(scope):  # the caller's scope, worked out only for a name search
        scope = scope()
    names, share, members = _name_words(typed)
    keys = {}
    checks = []
    for word in typed:
        if not names[word]:
            keys[word] = []  # no name holds it: nobody matches
        elif share[word] > COMMON or len(names[word]) > MAX_NAME_WORDS:
            checks.append(word)
        else:
            keys[word] = sorted(names[word])
    if any(not words for words in keys.values()):
        return SearchPlan(Way.WORDS, keys, checks, scope=scope)
    in_scope = members if scope is None else scope.members
    everything = math.prod(share.values())
    # members read until the matches are taken: all of them when fewer match, and
    # for words the statistics do not know
    read = min(in_scope, TAKEN / everything) if everything > 0 else in_scope
    scan_cost = read * (costs.seq_row if scope is None else costs.list_row)
    scan = SearchPlan(Way.SCAN, {}, typed, cost=scan_cost, scope=scope)
    if scan_cost > SCAN_LIMIT:
        scan = _like(typed)
    candidates = members * _share(share, keys)
    if not keys or (scope is not None and candidates > SCOPED_CANDIDATES):
        return scan
    fraction = in_scope / members if members else 1.0
    checked = _share(share, checks)
    # the candidates read until the matches are taken (those of the scope only,
    # when its bitmap is ANDed in)
    heap = min(candidates * fraction, TAKEN / checked if checked > 0 else candidates)
    pairs, paired, postings = _pairs(keys, share)
    words_cost = (
        members * postings * costs.posting
        + candidates * costs.candidate
        + heap * costs.heap_row
        + (in_scope * costs.scope_row if scope is not None else 0.0)
    )
    if scan.way == Way.SCAN and scan_cost <= words_cost:
        return scan
    return SearchPlan(
        Way.WORDS, keys, checks, candidates, words_cost, scope, tuple(pairs), frozenset(paired)
    )


def _pairs(keys: dict[str, list[str]], share: dict[str, float]):
    """The pair index's conditions for the rare typed words ``keys`` (each with the
    name words containing it): the rarest word paired with each other one, as the
    tokens "x y" of every name word x of one and y of the other. Returns them, the
    typed words they stand for, and the index entries the search reads (as a share
    of the members: pairs and lone words alike).

    A typed word is not paired when one of its name words is left out of the pairs
    (``UNPAIRED``), when the two share a name word (typed "thu" and "thuy" are both
    in a name holding "thuy" alone, which has no pair "thuy thuy"), or when the
    tokens would be too many (``MAX_PAIR_TOKENS``); it is then looked up alone."""
    pairable = [
        typed for typed, words in keys.items() if not any(word in UNPAIRED for word in words)
    ]
    pairable.sort(key=lambda typed: (share[typed], typed))
    pairs, paired, postings = [], set(), 0.0
    if len(pairable) >= 2:
        first, *others = pairable
        for other in others:
            a, b = set(keys[first]), set(keys[other])
            if a & b or len(a) * len(b) > MAX_PAIR_TOKENS:
                continue
            pairs.append(sorted({" ".join(sorted((x, y))) for x in a for y in b}))
            paired |= {first, other}
            postings += share[first] * share[other]
    postings += sum(share[typed] for typed in keys if typed not in paired)
    return pairs, paired, postings


def _share(share: dict[str, float], words) -> float:
    """The share of names holding all of ``words`` (taken as independent)."""
    return math.prod(share[word] for word in words)
