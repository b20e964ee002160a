"""Which unit and year a page shows: the ``unit`` and ``year`` GET parameters,
defaulting to the user's top unit (for the page's action) and the current year.
Shared by the emulation pages and the dashboard."""

import datetime

from django.core.exceptions import PermissionDenied

from uutu.accounts import permissions
from uutu.accounts.roles import grants
from uutu.core.scoping import get_scoped_or_404
from uutu.orgs.models import Unit

# Too many units for one dropdown: leave out the lowest levels.
MAX_OPTIONS = 300
LOWEST_LEVELS = ("hoi_branch", "hoi_group", "dang_cell")
CENTRAL_LEVELS = ("hoi_central", "dang_central")


def top_unit(user, action: str):
    """The highest unit where the user holds a role granting ``action``."""
    units = [a.unit for a in permissions.all_assignments(user) if grants(a.role, action)]
    return min(units, key=lambda u: (u.depth, u.path), default=None)


def selected_unit(request, action: str):
    """The unit asked for (404 outside the user's scope, 403 without ``action``),
    or her top unit."""
    user = request.user
    if not permissions.has_any(user, action):
        raise PermissionDenied
    raw = request.GET.get("unit", "")
    if raw.isdigit():
        return get_scoped_or_404(user, Unit.objects.select_related("level"), action, pk=int(raw))
    unit = top_unit(user, action)
    if unit is None:
        raise PermissionDenied
    return Unit.objects.select_related("level").get(pk=unit.pk)


def selected_year(request) -> int:
    this_year = datetime.date.today().year
    raw = request.GET.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= this_year + 1:
        return int(raw)
    return this_year


def year_options(selected: int) -> list[int]:
    this_year = datetime.date.today().year
    years = list(range(this_year + 1, this_year - 6, -1))
    if selected not in years:
        years.append(selected)
    return years


def unit_options(user, action: str, current, *, exclude_levels=(), tree=None) -> list[dict]:
    """The units offered in the page's unit selector (two queries), indented by depth.
    The lowest levels are left out when the scope is too large for one dropdown."""
    qs = (
        Unit.objects.restrict(user, action)
        .active()
        .exclude(level__code__in=CENTRAL_LEVELS + tuple(exclude_levels))
    )
    if tree:
        qs = qs.filter(tree=tree)
    if qs.count() > MAX_OPTIONS:  # left out in SQL: a national scope has 200,000 units
        qs = qs.exclude(level__code__in=LOWEST_LEVELS)
    rows = list(qs.order_by("tree", "path").values("pk", "name", "depth", "level__code"))
    if current is not None and not any(r["pk"] == current.pk for r in rows):
        rows.insert(0, {"pk": current.pk, "name": current.name, "depth": current.depth})
    top = min((r["depth"] for r in rows), default=0)
    return [{"pk": r["pk"], "label": "\u2003" * (r["depth"] - top) + r["name"]} for r in rows]
