"""Forms for the member registry. They only collect input: every rule is checked
again by the service functions, whose errors are put back on the form."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin, DateInput, quick_selects
from uutu.orgs.forms import ScopedUnitField, UnitPickerField, picker_search_url

from .models import Party, Person, PositionKind
from .reference import AGE_BANDS, ETHNICITY_CHOICES

PERSON_FIELDS = [
    "full_name",
    "birth_date",
    "cccd",
    "ethnicity",
    "religion",
    "education",
    "occupation",
    "phone",
    "residence",
    "joined_hoi_on",
    "working_away",
    "is_core_member",
    "is_exemplar",
    "exemplar_citation",
]


class PersonForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {"birth_date": DateInput(), "joined_hoi_on": DateInput()}
        error_messages = {
            "full_name": {"required": _("Vui lòng nhập họ và tên.")},
            "birth_date": {
                "required": _("Vui lòng nhập ngày sinh."),
                "invalid": _("Ngày sinh không hợp lệ (ngày/tháng/năm)."),
            },
            "joined_hoi_on": {"invalid": _("Ngày vào Hội không hợp lệ (ngày/tháng/năm).")},
        }

    def validate_unique(self):
        """Uniqueness (CCCD) is checked by the service with a Vietnamese message."""

    def _get_validation_exclusions(self):
        # The CCCD (format, sex and year digits, uniqueness) is checked by the service,
        # which gives one clear Vietnamese message instead of the model constraint's.
        return {*super()._get_validation_exclusions(), "cccd"}


class PersonCreateForm(PersonForm):
    branch = ScopedUnitField(
        label=_("Chi hội"),
        empty_label=_("— Chọn chi hội —"),
        placeholder=_("Gõ vài chữ trong tên chi hội để chọn"),
        error_messages={"required": _("Vui lòng chọn chi hội.")},
    )

    class Meta(PersonForm.Meta):
        fields = ["branch", *PERSON_FIELDS]

    def __init__(self, *args, branch_queryset, **kwargs):
        """``branch_queryset``: the chi hội of the picker purpose "people_add"."""
        super().__init__(*args, **kwargs)
        self.fields["branch"].offer(branch_queryset, "people_add")
        self.order_fields(["branch", *PERSON_FIELDS])


class ContactForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["phone", "residence", "occupation", "working_away"]

    def validate_unique(self):
        pass


class MoveForm(BootstrapMixin, forms.Form):
    to_branch = ScopedUnitField(
        label=_("Chuyển đến chi hội"),
        empty_label=_("— Chọn chi hội —"),
        placeholder=_("Gõ vài chữ trong tên chi hội để chọn"),
    )
    on = forms.DateField(label=_("Từ ngày"), initial=datetime.date.today)
    reason = forms.CharField(label=_("Lý do"), max_length=255, required=False)

    def __init__(self, *args, branch_queryset, **kwargs):
        """``branch_queryset``: the chi hội of the picker purpose "people_move",
        without the member's own."""
        super().__init__(*args, **kwargs)
        self.fields["to_branch"].offer(branch_queryset, "people_move")


class ArchiveForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Lý do lưu trữ"),
        max_length=255,
        help_text=_("Ví dụ: chuyển đi nơi khác, qua đời, xin ra khỏi Hội."),
        error_messages={"required": _("Vui lòng ghi lý do lưu trữ.")},
    )


class PositionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Chức vụ"), choices=PositionKind.choices)
    unit = forms.ModelChoiceField(label=_("Đơn vị"), queryset=None)
    start = forms.DateField(label=_("Từ ngày"), initial=datetime.date.today)

    def __init__(self, *args, unit_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_queryset


class PositionEndForm(BootstrapMixin, forms.Form):
    end = forms.DateField(label=_("Ngày kết thúc"), initial=datetime.date.today)


class PartyStatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Tình trạng"), choices=Party.choices)
    on = forms.DateField(label=_("Từ ngày"))
    doc_no = forms.CharField(label=_("Số quyết định"), max_length=100, required=False)


class FilterForm(forms.Form):
    """The member list's filters (GET)."""

    q = forms.CharField(label=_("Tìm"), required=False)
    unit = UnitPickerField(
        label=_("Đơn vị"),
        required=False,
        help_text=_("Gõ tên chi hội, xã hoặc tỉnh rồi chọn trong danh sách gợi ý."),
    )
    position = forms.ChoiceField(
        label=_("Chức vụ"),
        required=False,
        choices=[("", _("Mọi chức vụ"))] + list(PositionKind.choices),
    )
    party = forms.ChoiceField(
        label=_("Đảng viên"),
        required=False,
        choices=[("", _("Tất cả")), ("member", _("Là đảng viên"))] + list(Party.choices),
    )
    age = forms.ChoiceField(
        label=_("Độ tuổi"),
        required=False,
        choices=[("", _("Mọi độ tuổi"))] + [(code, label) for code, label, _lo, _hi in AGE_BANDS],
    )
    ethnicity = forms.ChoiceField(
        label=_("Dân tộc"), required=False, choices=[("", _("Mọi dân tộc"))] + ETHNICITY_CHOICES
    )
    archived = forms.BooleanField(label=_("Xem hội viên đã lưu trữ"), required=False)

    def __init__(self, *args, unit_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        unit.queryset = unit_queryset
        unit.widget.search_url = picker_search_url("people")
        unit.widget.attrs["placeholder"] = _("Tất cả đơn vị")
        quick_selects(self)
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field, forms.BooleanField)
                else ("form-select" if isinstance(field, forms.ChoiceField) else "form-control")
            )
            field.widget.attrs["class"] = css
