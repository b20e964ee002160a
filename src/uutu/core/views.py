"""Home page and the activity (audit) pages."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import render

from uutu.accounts import permissions
from uutu.orgs.models import Unit
from uutu.people.models import MemberCount

from .models import AuditEntry
from .scoping import get_scoped_or_404


def home(request):
    """The start page: the user's scope and a few figures about it.

    The member figures are a sum of the per-chi-hội counts (:class:`MemberCount`,
    kept by triggers) of the branches in her ``people.view`` scope, so the page
    never reads the members themselves; the units are one GROUP BY per level."""
    user = request.user
    context = {"assignments": permissions.all_assignments(user)}
    if permissions.has_any(user, "people.view"):
        counts = MemberCount.objects.restrict(user, "people.view")
        context["stats"] = counts.aggregate(
            **{f: Coalesce(Sum(f), 0) for f in ("total", "party", "core", "exemplar", "away")}
        )
    if permissions.has_any(user, "orgs.view"):
        context["units"] = (
            Unit.objects.restrict(user, "orgs.view")
            .active()
            .values("level__name")
            .annotate(n=Count("id"))
            .order_by("level__tree", "level__rank")
        )
    return render(request, "core/home.html", context)


def _paginate(request, queryset):
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return page


def activity(request):
    """Everything that happened in the user's scope, newest first."""
    if not permissions.has_any(request.user, "audit.view"):
        raise PermissionDenied
    entries = AuditEntry.objects.restrict(request.user, "audit.view").select_related(
        "user", "unit", "content_type"
    )
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action__startswith=action)
    return render(
        request,
        "core/activity.html",
        {
            "page": _paginate(request, entries),
            "unit": None,
            "action": action,
        },
    )


def unit_activity(request, unit_id):
    """What happened in one unit and the units under it."""
    unit = get_scoped_or_404(request.user, Unit, "audit.view", pk=unit_id)
    entries = (
        AuditEntry.objects.restrict(request.user, "audit.view")
        .filter(unit__path__startswith=unit.path)
        .select_related("user", "unit", "content_type")
    )
    return render(
        request,
        "core/activity.html",
        {
            "page": _paginate(request, entries),
            "unit": unit,
            "action": "",
        },
    )
