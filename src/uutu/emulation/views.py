"""Emulation pages: the criteria of a unit and year, their edit pages, the manual
scores, the ranking and its .xlsx export. Thin views: they fetch through the
scoping mechanism, call the services and render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from uutu.accounts import permissions
from uutu.core.forms import apply_errors, process_form
from uutu.core.scoping import get_scoped_or_404
from uutu.orgs.models import HOI_LEAF_LEVELS, Tree, Unit

from . import services
from .export import ranking_xlsx
from .forms import CriterionForm, ManualScoresForm
from .models import Criterion, CriterionSet, ManualScore
from .selection import selected_unit, selected_year, unit_selector, year_options

VIEW = services.VIEW
MANAGE = services.MANAGE


def _page_url(name: str, unit, year: int) -> str:
    return f"{reverse(name)}?{urlencode({'unit': unit.pk, 'year': year})}"


def _selector(request, unit, year) -> dict:
    return {
        **unit_selector(
            request.user,
            VIEW,
            unit,
            purpose="emulation",
            exclude_levels=HOI_LEAF_LEVELS,  # chi hội and tổ score nobody
            tree=Tree.HOI,
        ),
        "years": year_options(year),
    }


def _criterion(request, pk: int, action: str) -> Criterion:
    return get_scoped_or_404(
        request.user,
        Criterion.objects.select_related("criterion_set__unit"),
        action,
        pk=pk,
    )


def criteria(request):
    """The criteria a unit sets for its children for one year."""
    unit = selected_unit(request, VIEW)
    year = selected_year(request)
    criterion_set = CriterionSet.objects.filter(unit=unit, year=year).first()
    items = list(criterion_set.criteria.all()) if criterion_set else []
    return render(
        request,
        "emulation/criteria.html",
        {
            "unit": unit,
            "year": year,
            "criteria": items,
            "total_weight": sum(c.weight for c in items),
            "can_manage": permissions.can(request.user, MANAGE, unit),
            "ranking_url": _page_url("emulation:ranking", unit, year),
            **_selector(request, unit, year),
        },
    )


def criterion_add(request, unit_pk: int, year: int):
    unit = get_scoped_or_404(request.user, Unit, MANAGE, pk=unit_pk)
    if not 2000 <= year <= 2100:
        raise PermissionDenied
    form = CriterionForm(request.POST or None)
    back = _page_url("emulation:criteria", unit, year)
    return process_form(
        request,
        form,
        lambda data: services.create_criterion(actor=request.user, unit=unit, year=year, **data),
        success=_("Đã thêm tiêu chí thi đua."),
        redirect_to=back,
        template="emulation/criterion_form.html",
        context={
            "title": _("Thêm tiêu chí thi đua"),
            "unit": unit,
            "year": year,
            "back_url": back,
        },
    )


def criterion_edit(request, pk: int):
    criterion = _criterion(request, pk, MANAGE)
    criterion_set = criterion.criterion_set
    form = CriterionForm(request.POST or None, initial=CriterionForm.initial_for(criterion))
    back = _page_url("emulation:criteria", criterion_set.unit, criterion_set.year)
    return process_form(
        request,
        form,
        lambda data: services.update_criterion(criterion, actor=request.user, **data),
        success=_("Đã lưu tiêu chí thi đua."),
        redirect_to=back,
        template="emulation/criterion_form.html",
        context={
            "title": _("Sửa tiêu chí thi đua"),
            "unit": criterion_set.unit,
            "year": criterion_set.year,
            "criterion": criterion,
            "back_url": back,
        },
    )


def criterion_delete(request, pk: int):
    criterion = _criterion(request, pk, MANAGE)
    criterion_set = criterion.criterion_set
    back = _page_url("emulation:criteria", criterion_set.unit, criterion_set.year)
    if request.method == "POST":
        services.delete_criterion(criterion, actor=request.user)
        messages.success(request, _("Đã xóa tiêu chí thi đua."))
        return redirect(back)
    return render(
        request,
        "emulation/confirm.html",
        {
            "title": _("Xóa tiêu chí thi đua"),
            "question": _("Xóa tiêu chí “%(name)s” (%(weight)s điểm)?")
            % {"name": criterion.name, "weight": criterion.weight},
            "warning": _(
                "Các điểm đã chấm cho tiêu chí này cũng bị xóa. Việc xóa được ghi nhật ký."
            ),
            "button": _("Xóa"),
            "danger": True,
            "unit": criterion_set.unit,
            "year": criterion_set.year,
            "back_url": back,
        },
    )


def criteria_defaults(request, unit_pk: int, year: int):
    """Give an empty year the default criteria (GET asks, POST does)."""
    unit = get_scoped_or_404(request.user, Unit, MANAGE, pk=unit_pk)
    back = _page_url("emulation:criteria", unit, year)
    if request.method == "POST":
        try:
            services.create_default_criteria(actor=request.user, unit=unit, year=year)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Đã tạo bộ tiêu chí thi đua mẫu."))
        return redirect(back)
    return render(
        request,
        "emulation/confirm.html",
        {
            "title": _("Tạo bộ tiêu chí thi đua mẫu"),
            "question": _("Tạo bộ tiêu chí mẫu (100 điểm) cho %(unit)s, năm %(year)s?")
            % {"unit": unit.name, "year": year},
            "items": [
                f"{name} – {weight} điểm" for name, _i, _m, weight in services.DEFAULT_CRITERIA
            ],
            "warning": _("Có thể sửa, xóa hoặc thêm tiêu chí sau khi tạo."),
            "button": _("Tạo bộ tiêu chí"),
            "unit": unit,
            "year": year,
            "back_url": back,
        },
    )


def manual_scores(request, pk: int):
    """Enter the level (0–100) of each child on a manual criterion."""
    criterion = _criterion(request, pk, MANAGE)
    criterion_set = criterion.criterion_set
    unit = criterion_set.unit
    back = _page_url("emulation:criteria", unit, criterion_set.year)
    if criterion.kind != Criterion.Kind.MANUAL:
        messages.info(request, _("Tiêu chí này được tính từ số liệu, không chấm trực tiếp."))
        return redirect(back)
    units = services.children(unit)
    existing = {s.unit_id: s for s in ManualScore.objects.filter(criterion=criterion)}
    form = ManualScoresForm(request.POST or None, units=units, existing=existing)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_manual_scores(criterion, actor=request.user, scores=form.scores())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu điểm chấm."))
            return redirect(back)
    return render(
        request,
        "emulation/manual_scores.html",
        {
            "form": form,
            "criterion": criterion,
            "unit": unit,
            "year": criterion_set.year,
            "back_url": back,
        },
    )


def ranking(request):
    unit = selected_unit(request, VIEW)
    year = selected_year(request)
    result = services.rank(unit, year)
    return render(
        request,
        "emulation/ranking.html",
        {
            "unit": unit,
            "year": year,
            "ranking": result,
            "criteria_url": _page_url("emulation:criteria", unit, year),
            "export_url": _page_url("emulation:ranking_export", unit, year),
            **_selector(request, unit, year),
        },
    )


def ranking_export(request):
    unit = selected_unit(request, VIEW)
    year = selected_year(request)
    content = ranking_xlsx(services.rank(unit, year))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"xep-hang-thi-dua-{year}-{unit.code or unit.pk}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
