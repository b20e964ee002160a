"""Pagination for lists that may hold millions of rows.

A plain ``Paginator`` runs ``SELECT COUNT(*)`` over the whole filtered list on every
page view: at national scale (20 million members) that alone takes seconds. The
:class:`CappedPaginator` counts at most ``cap`` rows (``SELECT COUNT(*) FROM (…
LIMIT cap + 1)``), so the count stays exact for a commune, a branch or a narrow
search, and above the cap the page says "hơn 10.000" and offers the first
``cap / per_page`` pages; the user narrows the list with the search or a filter.
"""

from collections.abc import Sequence
from operator import itemgetter

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000
SEARCH_CAP = 1_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap``. ``more`` is true when the list
    holds more rows than that; ``count`` is then ``cap``."""

    def __init__(self, object_list, per_page, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _capped_count(self) -> int:
        qs = self.object_list
        if isinstance(qs, OrderedRows):
            return len(qs)
        if isinstance(qs, IdsFirst):
            qs = qs.queryset
        if hasattr(qs, "order_by"):
            # The order is irrelevant to a count; dropping it lets the database
            # stop after cap + 1 rows of any index.
            return qs.order_by()[: self.cap + 1].count()
        return len(qs[: self.cap + 1])

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @cached_property
    def more(self) -> bool:
        return self._capped_count > self.cap


def paginate(
    request_or_page,
    queryset,
    per_page: int | None = None,
    cap: int = COUNT_CAP,
    more: bool = False,
    count: int | None = None,
):
    """The requested page (``?page=`` of a request, or a page number) of
    ``queryset`` with a capped count; an invalid or too large page number gives the
    nearest valid page. ``more`` says that ``queryset`` is already a truncated list
    (see :func:`first_matches`); ``count`` is an exact count known without counting
    the rows (from counters), given in full however large."""
    paginator = CappedPaginator(queryset, per_page or settings.PAGE_SIZE, cap=cap)
    if count is not None:
        paginator.count = count  # cached_property: no COUNT query
        paginator.more = False
    if more:
        paginator.more = True
    number = request_or_page
    if hasattr(request_or_page, "GET"):
        number = request_or_page.GET.get("page")
    return paginator.get_page(number)


class OrderedRows(Sequence):
    """Rows known by their ids in display order (a search's first matches, sorted
    in Python): its length is the number of ids, and a slice (a page) fetches only
    those rows from ``queryset``, in that order. No count query, no sort in SQL."""

    def __init__(self, queryset, ids: list):
        self.queryset = queryset
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            ids = self.ids[index]
            rows = {row.pk: row for row in self.queryset.filter(pk__in=ids)}
            return [rows[pk] for pk in ids if pk in rows]
        return self[index : index + 1][0]


def first_matches(
    queryset, order: tuple[str, ...], fetch=None, cap: int = SEARCH_CAP, scan: tuple = ()
):
    """The first ``cap`` rows of a search in the display ``order`` (field names,
    "-" for descending, ending with a unique field), as :class:`OrderedRows`, and
    whether there were more.

    Ordering all the matches of a common word ("lan": half a million members in the
    country) by name is what makes a search slow, and the name order is correlated
    with the name (the sort key starts with the given name), so walking the sort
    index until 50 rows match may read millions. Taking the first ``cap`` matches in
    no particular order lets the database stop early (a trigram index for rare
    words, a scan that stops after ``cap`` hits for common ones); one query returns
    their ids and order fields, they are sorted here, and a page reads only its own
    rows from ``fetch`` (default: the model's rows, for ``select_related`` and
    prefetches). Above ``cap`` the list says "hơn 1.000" and asks for more words.

    ``scan`` orders the matches the query takes (default: none, the database's
    choice). The member search takes them in the list's order (chi hội by chi hội):
    an order the scope's units and the (chi hội, name) index give, so the database
    reads the scope's members from its first chi hội on and stops at ``cap`` matches,
    or, for a rare word, takes the trigram index and sorts its few matches. Without
    it, a province's search for a common word scanned the whole members' table from
    wherever a previous scan had left off until ``cap`` of the province's members
    came by: seconds, on 20 million members, for every province but the first.
    """
    fields = [name.lstrip("-") for name in order]
    rows = list(queryset.order_by(*scan).values_list("pk", *fields)[: cap + 1])
    more = len(rows) > cap
    rows = rows[:cap]
    for position in range(len(order) - 1, -1, -1):  # stable sorts, last key first
        rows.sort(key=itemgetter(position + 1), reverse=order[position].startswith("-"))
    if fetch is None:
        fetch = queryset.model._default_manager.all()
    return OrderedRows(fetch, [row[0] for row in rows]), more


class IdsFirst(Sequence):
    """A list whose page is found on its own table before its related rows are
    joined: a slice selects the page's ids in the queryset's order (no
    ``select_related``), then fetches those rows with their relations. A province's
    case list (44,000 cases) joined its five relations to every case before sorting:
    260 ms; the ids first, then 50 rows: a few ms. ``count()`` is the queryset's.

    ``fetch`` (default: ``queryset``) reads the page's rows: a queryset with
    per-row aggregates (a class's enrolments) computes them for the page only.
    ``counted`` (default: ``queryset``) is counted instead: the same rows without a
    join that only the order needs."""

    def __init__(self, queryset, fetch=None, counted=None):
        self.queryset = queryset
        self.fetch = queryset if fetch is None else fetch
        self.counted = queryset if counted is None else counted

    def count(self) -> int:
        return self.counted.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            ids = list(self.queryset.select_related(None).values_list("pk", flat=True)[index])
            return OrderedRows(self.fetch.order_by(), ids)[:]
        return self[index : index + 1][0]


class Chained(Sequence):
    """Lists one after the other, as one list for a ``Paginator``: the rows of
    ``parts[0]`` in its order, then those of ``parts[1]``… A page reads from the
    parts it covers; a part's count is read only when a page starts beyond it (and
    for the paginator's total).

    For an order the database can walk only part by part: the bulk page lists cases
    by their chi hội's path, the external candidates (no chi hội) last. As one
    query, a LEFT JOIN to the chi hội, PostgreSQL sorted all the country's 364,000
    open cases (280 ms); with the chi hội joined, it walks the units in path order
    and stops after a page (0.4 ms), and the few external cases come after."""

    def __init__(self, *parts):
        self.parts = parts
        self._counts: dict[int, int] = {}

    def _count(self, i: int) -> int:
        if i not in self._counts:
            self._counts[i] = self.parts[i].count()
        return self._counts[i]

    def count(self) -> int:
        return sum(self._count(i) for i in range(len(self.parts)))

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop or 0) < 0:
            raise ValueError("Chained takes plain slices from the start")
        start = index.start or 0
        stop = len(self) if index.stop is None else index.stop
        rows = []
        offset = 0  # where part i starts in the whole list
        for i, part in enumerate(self.parts):
            first, last = max(start - offset, 0), stop - offset
            if last <= first:
                break
            got = list(part[first:last])
            rows += got
            if len(got) == last - first:
                break  # this part filled the rest of the page
            if got or first == 0:
                self._counts.setdefault(i, first + len(got))  # it ended in the page
            offset += self._count(i)
        return rows
