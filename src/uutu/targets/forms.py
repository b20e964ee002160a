"""Forms of the quota pages. Numbers are validated again by the services."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin
from uutu.orgs.forms import ScopedUnitField

from .indicators import BY_CODE, CHOICES, INDICATORS, MANUAL_CHOICES
from .models import Period

FLAG_CHOICES = [("", _("Chưa nhập")), ("1", _("Có")), ("0", _("Không"))]


class PickerForm(BootstrapMixin, forms.Form):
    """Unit and period picker of the quota list."""

    unit = ScopedUnitField(label=_("Đơn vị"), required=False, empty_label=_("— Đơn vị của tôi —"))
    period = forms.ModelChoiceField(label=_("Kỳ"), queryset=Period.objects.all(), required=False)

    def __init__(self, *args, unit_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].offer(unit_queryset, "targets")
        self.fields["period"].empty_label = None


class PeriodPickerForm(BootstrapMixin, forms.Form):
    period = forms.ModelChoiceField(label=_("Kỳ"), queryset=Period.objects.all(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].empty_label = None


class AllocationPickerForm(PeriodPickerForm):
    indicator = forms.ChoiceField(label=_("Chỉ tiêu"), choices=CHOICES, required=False)


def _number_field(label, *, percent=False, integer=False):
    kwargs = {"label": label, "required": False, "min_value": 0}
    if percent:
        kwargs["max_value"] = 100
    if integer:
        field = forms.IntegerField(**kwargs)
    else:
        field = forms.DecimalField(max_digits=10, decimal_places=1, **kwargs)
    field.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
    field.error_messages["min_value"] = _("Không được nhập số âm.")
    field.error_messages["invalid"] = _("Hãy nhập một số.")
    return field


class AllocationForm(BootstrapMixin, forms.Form):
    """One input per child unit: ``child_<pk>``."""

    def __init__(self, *args, children, indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.children = list(children)
        for child in self.children:
            self.fields[f"child_{child.pk}"] = _number_field(child.name, percent=indicator.percent)

    def values(self) -> dict:
        return {c: self.cleaned_data.get(f"child_{c.pk}") for c in self.children}

    def rows(self):
        for child in self.children:
            yield child, self[f"child_{child.pk}"]


class QuotaEditForm(BootstrapMixin, forms.Form):
    """A unit's own quotas: one input per indicator (blank: no quota)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for ind in INDICATORS:
            self.fields[ind.code] = _number_field(ind.name, percent=ind.percent)


class ManualFiguresForm(BootstrapMixin, forms.Form):
    """The figures a unit enters itself; the yes/no models only for communes."""

    def __init__(self, *args, with_flags: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in MANUAL_CHOICES:
            if BY_CODE[code].source == "manual_flag":
                if with_flags:
                    self.fields[code] = forms.ChoiceField(
                        label=_flag_label(code), choices=FLAG_CHOICES, required=False
                    )
            else:
                self.fields[code] = _number_field(name, integer=True)

    def values(self) -> dict:
        out = {}
        for code, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            out[code] = Decimal(value)
        return out


def _flag_label(code):
    return {
        "model_1plus1_pct": _("Cơ sở Hội có thực hiện mô hình “1+1”"),
        "model_3co3biet_pct": _("Cơ sở Hội có thực hiện mô hình “3 có, 3 biết”"),
    }.get(code, BY_CODE[code].name)


class PeriodForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Loại kỳ"), choices=Period.Kind.choices)
    year = forms.IntegerField(
        label=_("Năm"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("Cho kỳ năm, 6 tháng, 9 tháng."),
    )
    start = forms.DateField(
        label=_("Từ ngày"), required=False, help_text=_("Cho nhiệm kỳ, giữa nhiệm kỳ.")
    )
    end = forms.DateField(label=_("Đến ngày"), required=False)
    name = forms.CharField(
        label=_("Tên kỳ"),
        required=False,
        max_length=50,
        help_text=_("Để trống để đặt tên tự động, ví dụ “Năm 2025”, “Nhiệm kỳ 2021–2026”."),
    )


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("Tệp Excel (.xlsx)"),
        help_text=_("Dùng đúng mẫu tải về từ nút “Xuất Excel” của trang này."),
    )
