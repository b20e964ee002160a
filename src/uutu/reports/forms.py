"""Forms of the report pages. Rules live in the services; these only collect input."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin
from uutu.orgs.forms import ScopedUnitField
from uutu.targets.models import Period

from .models import PERIOD_KIND, Kind, Report

TERM_KINDS = (Kind.MID_TERM, Kind.END_OF_TERM)


def _years():
    this = datetime.date.today().year
    return [(y, str(y)) for y in range(this + 1, this - 6, -1)]


def _check_period(form, data):
    """A term report needs a term period; the others need a year."""
    kind = data.get("kind")
    if kind in TERM_KINDS:
        period = data.get("period")
        if period is None:
            form.add_error("period", _("Chọn nhiệm kỳ."))
        elif period.kind != PERIOD_KIND[kind]:
            form.add_error("period", _("Kỳ đã chọn không phù hợp với loại báo cáo."))
    elif kind and not data.get("year"):
        form.add_error("year", _("Chọn năm."))
    return data


class ReportCreateForm(BootstrapMixin, forms.Form):
    unit = ScopedUnitField(label=_("Đơn vị báo cáo"), empty_label=_("— Chọn đơn vị —"))
    kind = forms.ChoiceField(label=_("Loại báo cáo"), choices=Kind.choices)
    year = forms.TypedChoiceField(
        label=_("Năm"),
        coerce=int,
        required=False,
        help_text=_("Cho báo cáo 6 tháng, 9 tháng, năm."),
    )
    period = forms.ModelChoiceField(
        label=_("Nhiệm kỳ"),
        queryset=Period.objects.filter(kind__in=[PERIOD_KIND[k] for k in TERM_KINDS]),
        required=False,
        help_text=_("Cho báo cáo giữa nhiệm kỳ, tổng kết nhiệm kỳ."),
    )

    def __init__(self, *args, unit_queryset, **kwargs):
        """``unit_queryset``: the units of the picker purpose "reports"."""
        super().__init__(*args, **kwargs)
        self.fields["unit"].offer(unit_queryset, "reports")
        self.fields["year"].choices = _years()
        self.fields["year"].initial = datetime.date.today().year

    def clean(self):
        return _check_period(self, super().clean())


class ReportEditForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Report
        fields = [
            "subtitle",
            "results",
            "difficulties",
            "proposals",
            "number",
            "place",
            "dated",
            "signer_on_behalf",
            "signer_title",
            "signer_name",
            "recipients",
        ]
        widgets = {
            "subtitle": forms.Textarea(attrs={"rows": 2}),
            "results": forms.Textarea(attrs={"rows": 8}),
            "difficulties": forms.Textarea(attrs={"rows": 6}),
            "proposals": forms.Textarea(attrs={"rows": 6}),
            "recipients": forms.Textarea(attrs={"rows": 4}),
        }


class ReturnForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label=_("Lý do trả lại, nội dung cần sửa"), widget=forms.Textarea(attrs={"rows": 4})
    )


class OverviewForm(BootstrapMixin, forms.Form):
    """Which parent, period and kind the overview (and the deadline) is for."""

    unit = ScopedUnitField(label=_("Đơn vị cấp trên"), empty_label=_("— Chọn đơn vị —"))
    kind = forms.ChoiceField(
        label=_("Loại báo cáo"), choices=Kind.choices, initial=Kind.SIX_MONTHLY
    )
    year = forms.TypedChoiceField(label=_("Năm"), coerce=int, required=False)
    period = forms.ModelChoiceField(
        label=_("Nhiệm kỳ"),
        queryset=Period.objects.filter(kind__in=[PERIOD_KIND[k] for k in TERM_KINDS]),
        required=False,
    )

    def __init__(self, *args, unit_queryset, **kwargs):
        """``unit_queryset``: the units of the picker purpose "reports_overview" that
        have children. The view gives the first of them as the initial unit."""
        super().__init__(*args, **kwargs)
        self.fields["unit"].offer(unit_queryset, "reports_overview")
        self.fields["year"].choices = _years()
        self.fields["year"].initial = datetime.date.today().year

    def clean(self):
        return _check_period(self, super().clean())


class DeadlineForm(OverviewForm):
    due = forms.DateField(label=_("Hạn nộp"))
