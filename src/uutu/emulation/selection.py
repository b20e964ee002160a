"""Which unit and year a page shows: the ``unit`` and ``year`` GET parameters,
defaulting to the user's top unit (for the page's action) and the current year.
Shared by the emulation pages and the dashboard."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from uutu.accounts import permissions
from uutu.accounts.roles import grants
from uutu.core.scoping import get_scoped_or_404
from uutu.orgs.forms import (
    DROPDOWN_MAX,
    UnitPickerField,
    UnitPickerInput,
    picker_search_url,
    unit_label,
)
from uutu.orgs.models import Unit

# A scope of more units than DROPDOWN_MAX gets the search-as-you-type picker.
CENTRAL_LEVELS = ("hoi_central", "dang_central")


def top_unit(user, action: str):
    """The highest unit where the user holds a role granting ``action``."""
    units = [a.unit for a in permissions.all_assignments(user) if grants(a.role, action)]
    return min(units, key=lambda u: (u.depth, u.path), default=None)


def selected_unit(request, action: str):
    """The unit asked for (404 outside the user's scope, 403 without ``action``),
    or her top unit. ``unit`` is an id (links) or the text of the unit picker (a
    label it offered, or a name that matches one unit of her scope); text that
    names no unit, or several, keeps her top unit and says so."""
    user = request.user
    if not permissions.has_any(user, action):
        raise PermissionDenied
    units = Unit.objects.select_related("level", "parent")
    raw = request.GET.get("unit", "").strip()
    if raw.isdigit():
        return get_scoped_or_404(user, units, action, pk=int(raw))
    if raw:
        field = UnitPickerField(queryset=Unit.objects.restrict(user, action))
        try:
            return units.get(pk=field.clean(raw[:200]).pk)
        except ValidationError as exc:
            messages.warning(request, exc.messages[0])
    unit = top_unit(user, action)
    if unit is None:
        raise PermissionDenied
    return units.get(pk=unit.pk)


def _in_scope(user, action: str, tree=None):
    qs = Unit.objects.restrict(user, action)
    return qs.filter(tree=tree) if tree else qs


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


def unit_selector(
    user, action: str, current, *, purpose: str, exclude_levels=(), tree=None
) -> dict:
    """The page's unit selector, for the template ``includes/unit_year_selector.html``.

    A small scope (a commune and its chi hội: at most ``DROPDOWN_MAX`` units) gets a
    dropdown of its units, indented by depth. A larger one (a province has 8,000
    units, the country 200,000) gets the search-as-you-type picker of
    ``orgs:unit_search?for=<purpose>``, filled with the current unit: listing a
    province's communes in a dropdown cost more than the rest of the page. Two
    queries at most, the first one stopping at ``DROPDOWN_MAX + 1`` rows."""
    qs = (
        _in_scope(user, action, tree)
        .active()
        .exclude(level__code__in=CENTRAL_LEVELS + tuple(exclude_levels))
    )
    if qs[: DROPDOWN_MAX + 1].count() > DROPDOWN_MAX:
        widget = UnitPickerInput(
            attrs={
                "id": "id_unit",
                "class": "form-control",
                "placeholder": _("Gõ tên xã, phường, tỉnh hoặc chi hội"),
            },
            search_url=picker_search_url(purpose),
        )
        return {"unit_picker": widget.render("unit", unit_label(current) if current else "")}
    rows = list(qs.order_by("tree", "path").values("pk", "name", "depth"))
    if current is not None and not any(r["pk"] == current.pk for r in rows):
        rows.insert(0, {"pk": current.pk, "name": current.name, "depth": current.depth})
    top = min((r["depth"] for r in rows), default=0)
    return {
        "units": [{"pk": r["pk"], "label": "\u2003" * (r["depth"] - top) + r["name"]} for r in rows]
    }
