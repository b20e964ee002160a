"""Forms for the case pages and the Hội's steps. They only collect input: every
rule is checked again by the services, whose errors are put back on the form."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin
from uutu.orgs.forms import UnitPickerField, picker_search_url

from .models import Organisation, Status, Step

DATE_ERRORS = {
    "required": _("Vui lòng nhập ngày."),
    "invalid": _("Ngày không hợp lệ (ngày/tháng/năm)."),
}


def _on(label=None):
    return forms.DateField(
        label=label or _("Ngày"), initial=datetime.date.today, error_messages=DATE_ERRORS
    )


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _picker(field, queryset):
    """Set up a unit filter: search as you type among ``queryset`` (the user's scope)."""
    field.queryset = queryset
    field.widget.search_url = picker_search_url("cases")
    field.widget.attrs["placeholder"] = _("Toàn bộ phạm vi")


class CaseFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Tìm theo tên"), required=False)
    step = forms.ChoiceField(
        label=_("Bước"), required=False, choices=[("", _("Tất cả các bước")), *Step.choices]
    )
    status = forms.ChoiceField(
        label=_("Trạng thái"),
        required=False,
        choices=[("", _("Tất cả trạng thái")), *Status.choices],
    )
    organisation = forms.ChoiceField(
        label=_("Tổ chức giới thiệu"),
        required=False,
        choices=[("", _("Tất cả tổ chức")), *Organisation.choices],
    )
    unit = UnitPickerField(label=_("Đơn vị"), required=False)

    def __init__(self, *args, unit_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        _picker(self.fields["unit"], unit_queryset)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class UnitFilterForm(BootstrapMixin, forms.Form):
    unit = UnitPickerField(label=_("Đơn vị"), required=False)

    def __init__(self, *args, unit_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        _picker(self.fields["unit"], unit_queryset)


class OpenCaseForm(BootstrapMixin, forms.Form):
    on = _on(_("Ngày tạo nguồn"))
    note = forms.CharField(
        label=_("Ghi chú (thành tích, lý do phát hiện)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CultivateForm(BootstrapMixin, forms.Form):
    on = _on(_("Ngày bắt đầu bồi dưỡng"))
    plan = forms.CharField(
        label=_("Kế hoạch bồi dưỡng"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class MentorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} – {obj.get_party_status_display()} – {obj.branch.name}"


class MentorForm(BootstrapMixin, forms.Form):
    mentor = MentorChoiceField(
        label=_("Đảng viên nữ kèm cặp (1+1)"),
        queryset=None,
        error_messages={
            "required": _("Vui lòng chọn đảng viên kèm cặp."),
            "invalid_choice": _("Hãy chọn một đảng viên trong danh sách."),
        },
        help_text=_("Đảng viên nữ trong phạm vi của bạn; cùng xã với hội viên được xếp trước."),
    )
    on = _on(_("Ngày phân công"))

    def __init__(self, *args, mentor_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = mentor_queryset


class NoteForm(BootstrapMixin, forms.Form):
    on = _on()
    text = forms.CharField(
        label=_("Nội dung ghi chép bồi dưỡng"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Vui lòng nhập nội dung ghi chép.")},
    )


class IntroduceForm(BootstrapMixin, forms.Form):
    cell = UnitChoiceField(
        label=_("Giới thiệu cho chi bộ"),
        queryset=None,
        error_messages={
            "required": _("Hãy chọn một chi bộ."),
            "invalid_choice": _("Hãy chọn một chi bộ trong danh sách."),
        },
        help_text=_("Chi bộ nơi hội viên cư trú; chi bộ tương ứng với chi hội được chọn sẵn."),
    )
    on = _on(_("Ngày giới thiệu"))
    doc_no = forms.CharField(
        label=_("Số văn bản giới thiệu"),
        required=False,
        max_length=100,
        help_text=_("Ví dụ: 12/GT-HPN"),
    )

    def __init__(self, *args, cell_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell"].queryset = cell_queryset


class HoiCommentForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("Nhận xét của Hội LHPN (5-KNĐ)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Vui lòng nhập nhận xét của Hội.")},
    )
    on = _on(_("Ngày nhận xét"))


class ExitForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Trạng thái mới"),
        choices=[],
        error_messages={"required": _("Vui lòng chọn trạng thái.")},
    )
    reason = forms.CharField(
        label=_("Lý do"),
        max_length=255,
        error_messages={"required": _("Vui lòng ghi lý do.")},
        help_text=_("Ví dụ: đi làm ăn xa, chuyển nơi cư trú, chưa đủ điều kiện học vấn."),
    )
    on = _on()

    def __init__(self, *args, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Status.choices)
        self.fields["status"].choices = [(s, labels[s]) for s in statuses]


class ReopenForm(BootstrapMixin, forms.Form):
    on = _on(_("Ngày mở lại"))
    note = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class BulkFilterForm(BootstrapMixin, forms.Form):
    unit = UnitPickerField(label=_("Đơn vị"), required=False)
    step = forms.ChoiceField(
        label=_("Hồ sơ ở bước"), required=False, choices=[("", _("Tất cả các bước")), *Step.choices]
    )

    def __init__(self, *args, unit_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        _picker(self.fields["unit"], unit_queryset)


class BulkForm(BootstrapMixin, forms.Form):
    INTRODUCE, ENROL = "introduce", "enrol"
    action = forms.ChoiceField(
        label=_("Việc cần làm"),
        choices=[
            (INTRODUCE, _("Giới thiệu cho chi bộ tương ứng với chi hội")),
            (ENROL, _("Cử đi lớp bồi dưỡng nhận thức về Đảng")),
        ],
        error_messages={"required": _("Vui lòng chọn việc cần làm.")},
    )
    klass = forms.ModelChoiceField(
        label=_("Lớp bồi dưỡng"),
        required=False,
        queryset=None,
        error_messages={"invalid_choice": _("Hãy chọn một lớp trong danh sách.")},
    )
    on = forms.DateField(
        label=_("Ngày giới thiệu"),
        required=False,
        initial=datetime.date.today,
        error_messages=DATE_ERRORS,
    )
    doc_no = forms.CharField(label=_("Số văn bản"), required=False, max_length=100)

    def __init__(self, *args, class_queryset, offered, **kwargs):
        super().__init__(*args, **kwargs)
        klass = self.fields["klass"]
        klass.queryset = class_queryset  # any class of her scope is accepted…
        # …and ``offered`` (newest_classes) are listed: the country has 170,000
        # classes, whose dropdown took 7 s to render (older ones: from the class's
        # own page).
        klass.widget.choices = [("", klass.empty_label)] + [
            (c.pk, klass.label_from_instance(c)) for c in offered
        ]

    def clean(self):
        data = super().clean()
        if data.get("action") == self.ENROL and not data.get("klass"):
            self.add_error("klass", _("Hãy chọn lớp bồi dưỡng."))
        if data.get("action") == self.INTRODUCE and not data.get("on"):
            self.add_error("on", _("Vui lòng nhập ngày giới thiệu."))
        return data
