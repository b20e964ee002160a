"""Emulation forms: one criterion, and the manual levels of a criterion."""

from django import forms
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin

from .models import CRITERION_INDICATORS, Criterion


class CriterionForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Tên tiêu chí"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Cách chấm"), choices=Criterion.Kind.choices, initial=Criterion.Kind.INDICATOR
    )
    indicator = forms.ChoiceField(
        label=_("Chỉ tiêu (khi tính từ số liệu)"),
        choices=[("", "—")] + list(CRITERION_INDICATORS),
        required=False,
    )
    method = forms.ChoiceField(
        label=_("Cách tính (khi tính từ số liệu)"),
        choices=Criterion.Method.choices,
        initial=Criterion.Method.COMPLETION,
        help_text=Criterion._meta.get_field("method").help_text,
    )
    weight = forms.DecimalField(label=_("Điểm tối đa"), min_value=0, max_digits=6, decimal_places=1)
    cap = forms.DecimalField(
        label=_("Mức đạt tối đa (%)"),
        initial=100,
        min_value=100,
        max_value=200,
        max_digits=5,
        decimal_places=1,
        help_text=Criterion._meta.get_field("cap").help_text,
    )
    order = forms.IntegerField(label=_("Thứ tự"), min_value=0, required=False)

    @classmethod
    def initial_for(cls, criterion: Criterion) -> dict:
        return {
            "name": criterion.name,
            "kind": criterion.kind,
            "indicator": criterion.indicator,
            "method": criterion.method,
            "weight": criterion.weight,
            "cap": criterion.cap,
            "order": criterion.order,
        }


class ManualScoresForm(BootstrapMixin, forms.Form):
    """One level (0–100) and one note per child unit."""

    def __init__(self, *args, units, existing: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = units
        for unit in units:
            current = existing.get(unit.pk)
            self.fields[f"score_{unit.pk}"] = forms.DecimalField(
                label=unit.name,
                required=False,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=1,
                initial=current.score if current else None,
            )
            self.fields[f"note_{unit.pk}"] = forms.CharField(
                label=_("Ghi chú"),
                required=False,
                max_length=255,
                initial=current.note if current else "",
            )

    def rows(self):
        for unit in self.units:
            yield unit, self[f"score_{unit.pk}"], self[f"note_{unit.pk}"]

    def scores(self) -> dict:
        data = self.cleaned_data
        return {u.pk: (data.get(f"score_{u.pk}"), data.get(f"note_{u.pk}")) for u in self.units}
