"""Quota pages: the list, the allocation screen, the Excel quota table, progress,
manual figures and periods. Thin: scope through the one mechanism, figures from
``progress.figures`` / ``progress.progress``, writes through the services."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from uutu.accounts import permissions
from uutu.accounts.roles import TARGETS_PERIODS, TARGETS_VIEW, grants
from uutu.core.forms import apply_errors, process_form
from uutu.orgs.models import Tree, Unit
from uutu.orgs.services import children_as_of
from uutu.orgs.views import picker_units

from . import excel, services
from .forms import (
    AllocationForm,
    AllocationPickerForm,
    ImportForm,
    ManualFiguresForm,
    PeriodForm,
    PeriodPickerForm,
    PickerForm,
    QuotaEditForm,
)
from .indicators import BY_CODE, INDICATORS, MANUAL_CHOICES
from .models import ManualFigure, Period, Quota
from .progress import figures, period_for_year, progress

VIEW = TARGETS_VIEW
HIDDEN_LEVELS = ("hoi_central", "hoi_group")


# --- scope ---------------------------------------------------------------------------


def _view_paths(user):
    """Path prefixes of the Hội subtrees whose quotas ``user`` may see: her own Hội
    units, and for Party users the Hội units matching theirs (counterparts)."""
    paths = set()
    for a in permissions.all_assignments(user):
        if not grants(a.role, VIEW):
            continue
        if a.unit.tree == Tree.HOI:
            paths.add(a.unit.path)
        elif a.unit.counterpart_id:
            paths.add(a.unit.counterpart.path)
    return paths


def may_view(user, unit) -> bool:
    if permissions.can(user, VIEW, unit):
        return True
    return any(unit.path.startswith(p) for p in _view_paths(user))


def picker_choice(user):
    """The active units of the quota list's unit picker (orgs.views.PICKER_PURPOSES
    "targets", registered by targets.apps)."""
    return viewable_units(user).filter(is_active=True)


def viewable_units(user):
    units = Unit.objects.filter(tree=Tree.HOI).exclude(level__code__in=HIDDEN_LEVELS)
    if permissions.scope_prefixes(user, VIEW) is permissions.ALL:
        return units
    paths = _view_paths(user)
    if not paths:
        return units.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return units.filter(condition)


def _unit(request, pk) -> Unit:
    """The Hội unit ``pk``: 404 outside the user's scope, 403 in scope without the
    right to see quotas."""
    unit = (
        Unit.objects.restrict(request.user, None)
        .filter(tree=Tree.HOI, pk=pk)
        .select_related("parent", "parent__level", "level")
        .first()
    )
    if unit is None:
        raise Http404
    if not may_view(request.user, unit):
        raise PermissionDenied
    return unit


def _period(request) -> Period:
    pk = request.GET.get("period") or request.POST.get("period")
    if pk and str(pk).isdigit():
        period = Period.objects.filter(pk=pk).first()
        if period is not None:
            return period
    return period_for_year(datetime.date.today().year)


def _query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _url(name, unit, period, **params) -> str:
    return f"{reverse(f'targets:{name}', args=[unit.pk])}?{_query(period=period.pk, **params)}"


def _links(user, unit, period) -> dict:
    return {
        "can_set": services.may_set_quota(user, unit) and unit.is_active,
        "can_allocate": services.may_allocate(user, unit) and unit.is_active,
        "can_figures": services.may_enter_figures(user, unit) and unit.is_active,
        "query": _query(period=period.pk),
    }


def decorate(rows):
    """Progress rows with what the template needs: the bar's width and colour."""
    out = []
    for row in rows:
        completion = row.completion
        if completion is None:
            css = "bg-secondary"
        elif completion >= 100:
            css = "bg-success"
        elif completion >= 50:
            css = "bg-warning text-dark"
        else:
            css = "bg-danger"
        out.append(
            {
                "row": row,
                "completion": completion,
                "width": min(100.0, completion or 0.0),
                "css": css,
                "indent": row.code in ("introduced_branch_heads", "introduced_others"),
            }
        )
    return out


# --- pages ---------------------------------------------------------------------------


def quota_list(request):
    user = request.user
    if not permissions.has_any(user, VIEW):
        raise PermissionDenied
    # A dropdown for a small scope, the unit picker beyond (the country's 7,000
    # units, rendered twice, were most of the page's 200 ms).
    units = picker_units(user, "targets").order_by("path")
    form = PickerForm(request.GET or None, unit_queryset=units)
    data = form.cleaned_data if form.is_valid() else {}
    unit = data.get("unit") or _default_unit(user, units)
    period = data.get("period") or _period(request)
    if not form.is_bound:
        form = PickerForm(
            initial={"unit": unit.pk if unit else None, "period": period.pk},
            unit_queryset=units,
        )
    rows, has_children = [], False
    if unit is not None:
        rows = decorate(progress(unit, period, only_with_quota=True))
        has_children = Unit.objects.filter(parent=unit, is_active=True).exists()
    context = {
        "form": form,
        "unit": unit,
        "period": period,
        "rows": rows,
        "has_children": has_children,
        "can_periods": permissions.has_any(user, TARGETS_PERIODS),
    }
    if unit is not None:
        context.update(_links(user, unit, period))
    return render(request, "targets/quota_list.html", context)


def _default_unit(user, units):
    primary = permissions.primary_assignment(user)
    if primary is not None:
        unit = primary.unit if primary.unit.tree == Tree.HOI else primary.unit.counterpart
        if unit is not None and units.filter(pk=unit.pk).exists():
            return unit
    return units.first()


def quota_edit(request, pk):
    """A unit's own quotas (set by whoever manages its parent)."""
    unit = _unit(request, pk)
    if not services.may_set_quota(request.user, unit) or not unit.is_active:
        raise PermissionDenied
    period = _period(request)
    current = {q.indicator: q.value for q in Quota.objects.filter(unit=unit, period=period)}
    form = QuotaEditForm(request.POST or None, initial=current)
    back = f"{reverse('targets:quota_list')}?{_query(unit=unit.pk, period=period.pk)}"
    return process_form(
        request,
        form,
        lambda data: services.set_quotas(unit, period, data, request.user),
        success=_("Đã lưu chỉ tiêu được giao."),
        redirect_to=back,
        template="targets/quota_edit.html",
        context={
            "unit": unit,
            "period": period,
            "back": back,
            "indicators": INDICATORS,
            **_links(request.user, unit, period),
        },
    )


def allocation(request, pk):
    user = request.user
    unit = _unit(request, pk)
    if not services.may_allocate(user, unit) or not unit.is_active:
        raise PermissionDenied
    period = _period(request)
    code = request.GET.get("indicator") or request.POST.get("indicator") or "introduced"
    if code not in BY_CODE:
        code = "introduced"
    indicator = BY_CODE[code]
    picker = AllocationPickerForm(initial={"period": period.pk, "indicator": code})
    children = excel.children_of(unit)
    quotas = {
        q.unit_id: q.value
        for q in Quota.objects.filter(
            unit_id__in=[unit.pk, *(c.pk for c in children)], period=period, indicator=code
        )
    }
    own = quotas.get(unit.pk)
    initial = {f"child_{c.pk}": quotas.get(c.pk) for c in children}
    form = AllocationForm(
        request.POST or None, initial=initial, children=children, indicator=indicator
    )
    here = _url("allocation", unit, period, indicator=code)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.allocate(unit, period, code, form.values(), user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            level, message = services.allocation_status(
                own, list(form.values().values()), indicator
            )
            if changed:
                messages.success(request, _("Đã lưu phân bổ chỉ tiêu."))
            else:
                messages.info(request, _("Không có thay đổi nào."))
            if level == "warning":
                messages.warning(request, message)
            return redirect(here)
    values = [quotas.get(c.pk) for c in children]
    level, message = services.allocation_status(own, values, indicator)
    given = [v for v in values if v is not None]
    return render(
        request,
        "targets/allocation.html",
        {
            "unit": unit,
            "period": period,
            "indicator": indicator,
            "picker": picker,
            "form": form,
            "own": own,
            "total": sum(given) if given else 0,
            "additive": excel.additive(indicator),
            "status_level": level,
            "status_message": message,
            "can_set_own": services.may_set_quota(user, unit),
            **_links(user, unit, period),
        },
    )


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def quota_export(request, pk, fmt="xlsx"):
    unit = _unit(request, pk)
    period = _period(request)
    if fmt == "docx":
        data, content_type = excel.export_quotas_docx(unit, period), DOCX_TYPE
    else:
        data = excel.export_quotas(unit, period)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"bieu-giao-chi-tieu-{unit.code}-{period.start:%Y}-{period.kind}.{fmt}"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def quota_import(request, pk):
    user = request.user
    unit = _unit(request, pk)
    if not services.may_allocate(user, unit) or not unit.is_active:
        raise PermissionDenied
    period = _period(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    back = f"{reverse('targets:quota_list')}?{_query(unit=unit.pk, period=period.pk)}"
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.import_quotas(unit, period, form.cleaned_data["file"], user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if changed:
                messages.success(
                    request,
                    _("Đã nhập biểu giao chỉ tiêu: %(n)s chỉ tiêu được cập nhật.") % {"n": changed},
                )
            else:
                messages.info(request, _("Tệp không có gì khác với chỉ tiêu hiện có."))
            return redirect(back)
    return render(
        request,
        "targets/quota_import.html",
        {
            "form": form,
            "unit": unit,
            "period": period,
            "back": back,
            **_links(user, unit, period),
        },
    )


def progress_view(request, pk):
    user = request.user
    unit = _unit(request, pk)
    period = _period(request)
    picker = PeriodPickerForm(initial={"period": period.pk})
    result = figures(unit, period, by_child=True)
    rows = decorate(progress(unit, period, values=result["total"]))
    # The children as they stood on the period's end date (names of that date).
    names = children_as_of(unit, period.end)
    child_ids = list(names)
    child_units = {u.pk: u for u in Unit.objects.filter(pk__in=child_ids).select_related("level")}
    quotas: dict = {}
    for q in Quota.objects.filter(unit_id__in=child_ids, period=period):
        quotas[(q.unit_id, q.indicator)] = q.value
    viewable = _view_paths(user)
    see_all = permissions.scope_prefixes(user, VIEW) is permissions.ALL
    children = []
    for uid in child_ids:
        child = child_units.get(uid)
        if child is None or child.level.code in HIDDEN_LEVELS:
            continue
        values = result["children"].get(uid, {})
        quota = quotas.get((uid, "introduced"))
        introduced = values.get("introduced", 0)
        heads, party = values.get("branch_heads", 0), values.get("branch_heads_party", 0)
        children.append(
            {
                "unit": child,
                "name": names[uid],
                "quota": quota,
                "introduced": introduced,
                "heads": values.get("introduced_branch_heads", 0),
                "others": values.get("introduced_others", 0),
                "admitted": values.get("admitted", 0),
                "completion": round(100.0 * introduced / float(quota), 1) if quota else None,
                "branch_heads": f"{party} / {heads}",
                "link": see_all or any(child.path.startswith(p) for p in viewable),
            }
        )
    children.sort(key=lambda c: (c["unit"].code, c["unit"].pk))
    totals = {k: sum(c[k] for c in children) for k in ("introduced", "heads", "others", "admitted")}
    return render(
        request,
        "targets/progress.html",
        {
            "unit": unit,
            "period": period,
            "picker": picker,
            "rows": rows,
            "children": children,
            "totals": totals,
            **_links(user, unit, period),
        },
    )


def manual_figures(request, pk):
    unit = _unit(request, pk)
    if not services.may_enter_figures(request.user, unit) or not unit.is_active:
        raise PermissionDenied
    period = _period(request)
    with_flags = unit.level.code in services.COMMUNE_LEVELS
    current = {}
    for f in ManualFigure.objects.filter(unit=unit, period=period):
        if f.indicator in services.FLAG_INDICATORS:
            current[f.indicator] = str(int(f.value))
        else:
            current[f.indicator] = int(f.value)
    form = ManualFiguresForm(request.POST or None, initial=current, with_flags=with_flags)
    here = _url("manual_figures", unit, period)
    return process_form(
        request,
        form,
        lambda data: services.set_manual_figures(unit, period, form.values(), request.user),
        success=_("Đã lưu số liệu của kỳ %(period)s.") % {"period": period.name},
        redirect_to=here,
        template="targets/manual_figures.html",
        context={
            "unit": unit,
            "period": period,
            "picker": PeriodPickerForm(initial={"period": period.pk}),
            "with_flags": with_flags,
            "manual": MANUAL_CHOICES,
            **_links(request.user, unit, period),
        },
    )


def period_list(request):
    if not permissions.has_any(request.user, TARGETS_PERIODS):
        raise PermissionDenied
    return render(request, "targets/period_list.html", {"periods": Period.objects.all()})


def period_create(request):
    if not permissions.has_any(request.user, TARGETS_PERIODS):
        raise PermissionDenied
    form = PeriodForm(request.POST or None)
    return process_form(
        request,
        form,
        lambda data: services.create_period(actor=request.user, **data),
        success=_("Đã tạo kỳ mới."),
        redirect_to=reverse("targets:period_list"),
        template="targets/period_form.html",
        context={},
    )
