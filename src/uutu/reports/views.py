"""Periodic report pages. Thin: they fetch through the scoping mechanism, call the
services and render. Figures come from the services (which read
``uutu.targets.progress``)."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from uutu.accounts import permissions
from uutu.accounts.roles import REPORTS_APPROVE, REPORTS_EDIT, REPORTS_VIEW
from uutu.core import audit
from uutu.core.forms import apply_errors, process_form
from uutu.core.scoping import get_scoped_or_404
from uutu.orgs.models import Unit
from uutu.orgs.views import PICKER_PURPOSES, picker_units
from uutu.targets.models import Period

from . import exporters, services
from .forms import (
    TERM_KINDS,
    DeadlineForm,
    OverviewForm,
    ReportCreateForm,
    ReportEditForm,
    ReturnForm,
)
from .models import PERIOD_KIND, Kind, Report, Status

REPORT_QS = Report.objects.select_related(
    "unit", "unit__parent", "unit__level", "period", "submitted_by", "decided_by"
)


def _units(user, purpose):
    """The units of the unit picker ``purpose`` ("reports", "reports_overview"), in
    tree order: what the form accepts and the picker's search offers."""
    return picker_units(user, purpose).order_by("path")


def _parent_units(user):
    """The units whose children's reports the user oversees: those of the picker
    "reports_overview" (not the central level, nor the levels that cannot have
    children) that have a child."""
    children = Unit.objects.filter(parent=OuterRef("pk"))
    units = PICKER_PURPOSES["reports_overview"].scope(user).order_by("path")
    return units.filter(Exists(children))


def _report(request, pk, action=REPORTS_VIEW):
    return get_scoped_or_404(request.user, REPORT_QS, action, pk=pk)


def report_list(request):
    user = request.user
    if not permissions.has_any(user, REPORTS_VIEW):
        raise PermissionDenied
    reports = Report.objects.restrict(user, REPORTS_VIEW).select_related("unit", "period")
    status = request.GET.get("trang_thai", "")
    if status in Status.values:
        reports = reports.filter(status=status)
    page = Paginator(reports, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/report_list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "status": status,
            "can_create": permissions.has_any(user, REPORTS_EDIT),
            "can_overview": permissions.has_any(user, REPORTS_APPROVE),
        },
    )


def report_create(request):
    user = request.user
    if not permissions.has_any(user, REPORTS_EDIT):
        raise PermissionDenied
    form = ReportCreateForm(request.POST or None, unit_queryset=_units(user, "reports"))

    def save(data):
        kind = data["kind"]
        period = data["period"] if kind in TERM_KINDS else services.period_for(kind, data["year"])
        return services.create_report(unit=data["unit"], period=period, kind=kind, actor=user)

    return process_form(
        request,
        form,
        save,
        success=_("Đã tạo báo cáo với số liệu tự động. Hãy viết phần đánh giá và gửi cấp trên."),
        redirect_to=lambda report: reverse("reports:report_detail", args=[report.pk]),
        template="reports/report_form.html",
        context={"title": _("Lập báo cáo định kỳ")},
    )


def report_detail(request, pk):
    report = _report(request, pk)
    user = request.user
    figures = services.report_figures(report)
    return render(
        request,
        "reports/report_detail.html",
        {
            "report": report,
            "figures": figures,
            "figure_rows": exporters.figure_table(figures)[1:],
            "children_rows": exporters.children_table(figures),
            "differences": services.live_differs(report),
            "can_edit": report.is_editable and services.can_edit(user, report),
            "can_approve": report.status == Status.SUBMITTED and services.can_approve(user, report),
            "history": audit.history_for(report)[:30],
            "sections": [
                (label, getattr(report, field))
                for field, label in (
                    ("results", _("Kết quả thực hiện")),
                    ("difficulties", _("Khó khăn, vướng mắc và nguyên nhân")),
                    ("proposals", _("Đề xuất, kiến nghị")),
                )
            ],
        },
    )


def _locked_redirect(request, report):
    messages.error(
        request,
        _("Báo cáo đã gửi hoặc đã được phê duyệt nên không thể sửa.")
        if report.status == Status.SUBMITTED
        else _("Báo cáo đã được phê duyệt và đã khóa, không thể sửa."),
    )
    return redirect("reports:report_detail", pk=report.pk)


def report_edit(request, pk):
    report = _report(request, pk, REPORTS_EDIT)
    if not report.is_editable:
        return _locked_redirect(request, report)
    form = ReportEditForm(request.POST or None, instance=Report.objects.get(pk=report.pk))
    return process_form(
        request,
        form,
        lambda data: services.update_report(report, actor=request.user, **data),
        success=_("Đã lưu báo cáo."),
        redirect_to=reverse("reports:report_detail", args=[report.pk]),
        template="reports/report_form.html",
        context={"title": _("Sửa báo cáo"), "report": report},
    )


def _action_page(request, report, *, form, do, success, title, question, button, danger=False):
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            do(form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            if form is None:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("reports:report_detail", pk=report.pk)
            apply_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("reports:report_detail", pk=report.pk)
    return render(
        request,
        "reports/report_confirm.html",
        {
            "report": report,
            "form": form,
            "title": title,
            "question": question,
            "button": button,
            "danger": danger,
        },
    )


def report_submit(request, pk):
    report = _report(request, pk, REPORTS_EDIT)
    return _action_page(
        request,
        report,
        form=None,
        do=lambda _data: services.submit_report(report, actor=request.user),
        success=_("Đã gửi báo cáo lên cấp trên."),
        title=_("Gửi báo cáo"),
        question=_(
            "Gửi báo cáo này lên %(parent)s? Sau khi gửi, báo cáo không sửa được nữa "
            "trừ khi bị trả lại."
        )
        % {"parent": report.unit.parent.name if report.unit.parent else "—"},
        button=_("Gửi báo cáo"),
    )


def _approver_report(request, pk):
    report = _report(request, pk)
    if not services.can_approve(request.user, report):
        raise PermissionDenied
    return report


def report_approve(request, pk):
    report = _approver_report(request, pk)
    return _action_page(
        request,
        report,
        form=None,
        do=lambda _data: services.approve_report(report, actor=request.user),
        success=_("Đã phê duyệt báo cáo. Số liệu đã được chốt và báo cáo đã khóa."),
        title=_("Phê duyệt báo cáo"),
        question=_("Phê duyệt báo cáo của %(unit)s? Số liệu sẽ được chốt và báo cáo bị khóa.")
        % {"unit": report.unit.name},
        button=_("Phê duyệt"),
    )


def report_return(request, pk):
    report = _approver_report(request, pk)
    form = ReturnForm(request.POST or None)
    return _action_page(
        request,
        report,
        form=form,
        do=lambda data: services.return_report(report, actor=request.user, comment=data["comment"]),
        success=_("Đã trả lại báo cáo để đơn vị sửa."),
        title=_("Trả lại báo cáo"),
        question=_("Trả lại báo cáo của %(unit)s kèm ý kiến:") % {"unit": report.unit.name},
        button=_("Trả lại"),
        danger=True,
    )


def report_export(request, pk, format):
    if format not in exporters.FORMATS:
        raise Http404
    report = _report(request, pk)
    return exporters.response(exporters.export(report, format), report, format)


# --- the parent's overview and deadlines ------------------------------------------


def _find_period(kind, year, period):
    """The period the overview is about, without creating one on a GET."""
    if period is not None:
        return period
    if kind == Kind.NINE_MONTHLY:
        end = datetime.date(year, 9, 30)
    elif kind == Kind.SIX_MONTHLY:
        end = datetime.date(year, 6, 30)
    else:
        end = datetime.date(year, 12, 31)
    return Period.objects.filter(
        kind=PERIOD_KIND[kind], start=datetime.date(year, 1, 1), end=end
    ).first()


def _overview_form(request, form_class, *, bound: bool):
    user = request.user
    units = _parent_units(user)
    first = units.first()
    if first is None:
        raise PermissionDenied
    defaults = {
        "unit": first.pk,
        "kind": Kind.SIX_MONTHLY,
        "year": datetime.date.today().year,
    }
    if request.method == "POST":
        return form_class(request.POST, unit_queryset=units)
    if bound:
        return form_class(request.GET if "unit" in request.GET else defaults, unit_queryset=units)
    return form_class(initial={**defaults, **request.GET.dict()}, unit_queryset=units)


def report_children(request):
    """The parent's view of its children's reports for a period and kind."""
    form = _overview_form(request, OverviewForm, bound=True)
    overview = period = None
    if form.is_valid():
        data = form.cleaned_data
        unit = data["unit"]
        if not permissions.can(request.user, REPORTS_APPROVE, unit):
            raise PermissionDenied
        kind = data["kind"]
        period = _find_period(
            kind, data.get("year"), data["period"] if kind in TERM_KINDS else None
        )
        overview = services.children_overview(unit, period, kind)
    return render(
        request,
        "reports/report_children.html",
        {"form": form, "overview": overview, "period": period},
    )


def deadline_set(request):
    form = _overview_form(request, DeadlineForm, bound=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            kind = data["kind"]
            period = (
                data["period"] if kind in TERM_KINDS else services.period_for(kind, data["year"])
            )
            deadline = services.set_deadline(
                unit=data["unit"],
                period=period,
                kind=data["kind"],
                due=data["due"],
                actor=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Đã đặt hạn nộp %(kind)s %(period)s: %(due)s.")
                % {
                    "kind": deadline.get_kind_display().lower(),
                    "period": period.name,
                    "due": deadline.due.strftime("%d/%m/%Y"),
                },
            )
            query = f"unit={deadline.unit_id}&kind={deadline.kind}"
            query += f"&period={period.pk}" if kind in TERM_KINDS else f"&year={data['year']}"
            return redirect(f"{reverse('reports:report_children')}?{query}")
    return render(request, "reports/report_deadline.html", {"form": form})
