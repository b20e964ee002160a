"""The one scoping mechanism.

Every queryset that reaches a user goes through ``Model.objects.restrict(user, action)``,
which keeps the rows whose unit lies in a subtree where the user holds a role that
grants ``action``. The unit tree is a materialized path, so a subtree is one
``path LIKE 'prefix%'`` filter. Each scoped model names the path of its unit in
``scope_path`` (``"path"`` for a unit itself, ``"branch__path"`` for a member, …).

Views fetch single records with :func:`get_scoped_or_404`: a record outside the
user's scope answers 404 (its existence is not revealed); a record inside her scope
for which her role lacks the action answers 403.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.db.models import BooleanField, F, Func, Q
from django.http import Http404


def under(field: str, prefix: str) -> Q:
    """``field`` (a materialized path: digits and dots) starts with ``prefix``.

    PostgreSQL: ``LIKE 'prefix%'``, answered by the path's pattern index whatever the
    database's collation. SQLite: the same rows as a range, ``prefix <= path <
    prefix'`` (the last character plus one), because its ``LIKE … ESCAPE`` cannot use
    an index: with the range, a list ordered by path reads its page through the
    path index instead of sorting the whole subtree (the member list of a province:
    230 ms → under 1 ms). SQLite compares text byte by byte, so the range is exact.
    An empty prefix is every path: no condition on PostgreSQL, ``path >= ''`` on
    SQLite (the same rows, and its planner then walks the path index too)."""
    if connection.vendor == "sqlite":
        if not prefix:
            return Q(**{f"{field}__gte": ""})
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
    return Q(**{f"{field}__startswith": prefix}) if prefix else Q()


class InUnits(Func):
    """``<fk> = ANY(ARRAY(SELECT id FROM orgs_unit WHERE path LIKE …))`` (PostgreSQL):
    the row's unit (the foreign key ``fk``) is under one of ``prefixes``, as a list
    of unit ids that the foreign key's index turns into a bitmap.

    A join to the units filtered on their path cannot use the row's own index: an OR
    of two such joins (a case is in scope by its chi hội or by its party unit) made
    the commune's case list walk a million cases in date order to find its 303,
    1.5 s; as two bitmaps ORed, then sorted, it takes under a millisecond (a
    province's 44,000 cases: 22 ms). The member search ANDs it with the word index's
    bitmap the same way (:mod:`uutu.people.namewords`).

    With ``probe=True`` it is ``<fk> IN (SELECT id …)`` instead: for a query that
    another index leads (the open cases by due date), each row is then tested
    against a hashed set of the unit ids. Tested against the array, each row was
    compared with every one of the province's 5,000 ids: the deadlines page's
    count took 360 ms; with the hashed set, 7 ms."""

    output_field = BooleanField()

    def __init__(self, fk: str, prefixes, probe: bool = False):
        super().__init__(F(fk))
        self.prefixes = tuple(prefixes)
        self.probe = probe

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        likes = " OR ".join(["path LIKE %s"] * len(self.prefixes))
        if self.probe:
            sql = f"{column} IN (SELECT id FROM orgs_unit WHERE {likes})"
        else:
            sql = f"{column} = ANY(ARRAY(SELECT id FROM orgs_unit WHERE {likes}))"
        return sql, [*params, *(prefix + "%" for prefix in self.prefixes)]


def under_any(fields, prefixes, probe: bool = False) -> Q:
    """The row's unit in one of ``fields`` (paths: ``"branch__path"``) lies under one
    of ``prefixes``. On PostgreSQL, for several ``<fk>__path`` fields (a case's chi
    hội or party unit), each foreign key's own index (:class:`InUnits`) rather than
    an OR of joins, which no index answers (``probe``: see :class:`InUnits`)."""
    fields = [fields] if isinstance(fields, str) else list(fields)
    condition = Q()
    if (
        len(fields) > 1
        and connection.vendor == "postgresql"
        and all(prefixes)
        and all(field.count("__") == 1 and field.endswith("__path") for field in fields)
    ):
        for field in fields:
            condition |= Q(InUnits(field.removesuffix("__path"), prefixes, probe))
        return condition
    for field in fields:
        for prefix in prefixes:
            condition |= under(field, prefix)
    return condition


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str | None = None, probe: bool = False):
        """Rows under the units where ``user`` may do ``action`` (``probe``: for a
        query led by another index, see :class:`InUnits`).

        With ``action=None`` the scope is every unit she is assigned to (and the
        counterpart unit in the other tree): the rows she may know exist.
        """
        from uutu.accounts.permissions import ALL, scope_prefixes

        prefixes = scope_prefixes(user, action)
        if prefixes is ALL:
            return self
        if not prefixes:
            return self.none()
        return self.filter(under_any(self.model.scope_path, prefixes, probe))


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_scoped_or_404(user, queryset, action: str, **lookup):
    """Fetch one record for ``user``: 404 outside her scope, 403 without ``action``."""
    from uutu.accounts.permissions import can

    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        obj = queryset.restrict(user, None).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc
    if not any(can(user, action, unit) for unit in scope_units(obj)):
        raise PermissionDenied
    return obj


def scope_units(obj) -> list:
    """The units a record belongs to: one for most records; a case belongs both to
    the member's chi hội and to the party cell she was introduced to."""
    units = getattr(obj, "scope_units", None)
    if units is None:
        units = [obj.scope_unit]
    return [u for u in units if u is not None]


def require_in_scope(user, obj, action: str) -> None:
    """Re-check after a save, inside the transaction, that ``obj`` is still within
    the user's reach, so nobody can move a record out of her own scope."""
    from uutu.accounts.permissions import can

    if not any(can(user, action, unit) for unit in scope_units(obj)):
        raise ValidationError("Không thể lưu: bản ghi sẽ nằm ngoài phạm vi quản lý của bạn.")
