"""Forms of the party side of the pipeline: the cell's and the committee's steps,
external candidates, the sympathiser review and the awareness classes. They only
collect and type the input; every rule is checked by the services."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin
from uutu.orgs.forms import ScopedUnitField
from uutu.people.reference import EDUCATION_CHOICES, ETHNICITY_CHOICES

from .models import Enrolment, Organisation, Status


def _today():
    return datetime.date.today()


class GroupedMixin:
    """``grouped`` lays the fields out in titled fieldsets on the step page."""

    fieldsets: tuple = ()

    def grouped(self):
        if not self.fieldsets:
            return [("", [self[name] for name in self.fields])]
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]


class PartyForm(GroupedMixin, BootstrapMixin, forms.Form):
    pass


# --- the candidates list ----------------------------------------------------------

STATUS_FILTER = [
    ("", _("Đang theo dõi và tạm dừng")),
    ("all", _("Tất cả")),
    *Status.choices,
]


class CandidateFilterForm(BootstrapMixin, forms.Form):
    cell = ScopedUnitField(
        label=_("Chi bộ"),
        required=False,
        empty_label=_("Tất cả chi bộ"),
        placeholder=_("Tất cả chi bộ: gõ tên chi bộ để chọn"),
    )
    organisation = forms.ChoiceField(
        label=_("Tổ chức giới thiệu"),
        required=False,
        choices=[("", _("Tất cả tổ chức")), *Organisation.choices],
    )
    status = forms.ChoiceField(label=_("Trạng thái"), required=False, choices=STATUS_FILTER)
    overdue = forms.BooleanField(label=_("Chỉ hồ sơ quá hạn"), required=False)

    def __init__(self, *args, cell_queryset, cell_count=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell"].offer(cell_queryset, "candidate_cells", count=cell_count)


# --- external candidates ------------------------------------------------------------


class ExternalCaseForm(PartyForm):
    cell = ScopedUnitField(label=_("Chi bộ nơi cư trú"))
    organisation = forms.ChoiceField(
        label=_("Tổ chức giới thiệu"),
        choices=[(v, label) for v, label in Organisation.choices if v != Organisation.HOI],
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    birth_date = forms.DateField(label=_("Ngày sinh"))
    education = forms.ChoiceField(
        label=_("Trình độ học vấn"), choices=EDUCATION_CHOICES, initial="upper_secondary"
    )
    ethnicity = forms.ChoiceField(label=_("Dân tộc"), choices=ETHNICITY_CHOICES, initial="Kinh")
    on = forms.DateField(label=_("Ngày giới thiệu"), initial=_today)
    doc_no = forms.CharField(label=_("Số văn bản giới thiệu"), max_length=100, required=False)

    def __init__(self, *args, cell_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell"].offer(cell_queryset, "party_cells")


# --- the steps ----------------------------------------------------------------------


class SympathiserForm(PartyForm):
    on = forms.DateField(label=_("Ngày đưa vào danh sách cảm tình Đảng"), initial=_today)
    helper_name = forms.CharField(
        label=_("Đảng viên chính thức được phân công giúp đỡ"),
        max_length=150,
        help_text=_("Họ và tên đảng viên chính thức của chi bộ."),
    )


class DossierForm(PartyForm):
    on = forms.DateField(label=_("Ngày hoàn thiện hồ sơ"), initial=_today)
    application_on = forms.DateField(label=_("Đơn xin vào Đảng (1-KNĐ), ngày"), required=False)
    history_on = forms.DateField(
        label=_("Lý lịch người xin vào Đảng (2-KNĐ), ngày"), required=False
    )
    verification_on = forms.DateField(label=_("Thẩm tra lý lịch xong ngày"), required=False)
    residence_comment_on = forms.DateField(
        label=_("Chi bộ nơi cư trú nhận xét (5-KNĐ), ngày"), required=False
    )
    intro1_name = forms.CharField(label=_("Họ và tên"), max_length=150, required=False)
    intro1_official = forms.BooleanField(
        label=_("Là đảng viên chính thức"), required=False, initial=True
    )
    intro1_unit = forms.CharField(label=_("Sinh hoạt tại chi bộ"), max_length=200, required=False)
    intro1_since = forms.DateField(label=_("Cùng công tác, sinh hoạt từ ngày"), required=False)
    intro2_name = forms.CharField(label=_("Họ và tên"), max_length=150, required=False)
    intro2_official = forms.BooleanField(
        label=_("Là đảng viên chính thức"), required=False, initial=True
    )
    intro2_unit = forms.CharField(label=_("Sinh hoạt tại chi bộ"), max_length=200, required=False)
    intro2_since = forms.DateField(label=_("Cùng công tác, sinh hoạt từ ngày"), required=False)

    fieldsets = (
        (
            _("Hồ sơ"),
            ("on", "application_on", "history_on", "verification_on", "residence_comment_on"),
        ),
        (
            _("Người giới thiệu thứ nhất (3-KNĐ)"),
            ("intro1_name", "intro1_official", "intro1_unit", "intro1_since"),
        ),
        (
            _("Người giới thiệu thứ hai (3-KNĐ)"),
            ("intro2_name", "intro2_official", "intro2_unit", "intro2_since"),
        ),
    )

    def clean(self):
        data = super().clean()
        for i in (1, 2):
            if (data.get(f"intro{i}_name") or "").strip() and not data.get(f"intro{i}_since"):
                self.add_error(
                    f"intro{i}_since", _("Hãy ghi ngày bắt đầu cùng công tác, sinh hoạt.")
                )
        return data

    def introducers(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "full_name": data[f"intro{i}_name"],
                "is_official": data[f"intro{i}_official"],
                "party_unit_name": data[f"intro{i}_unit"],
                "known_since": data[f"intro{i}_since"],
            }
            for i in (1, 2)
            if (data.get(f"intro{i}_name") or "").strip()
        ]


class CellResolutionForm(PartyForm):
    on = forms.DateField(label=_("Ngày chi bộ họp xét"), initial=_today)
    doc_no = forms.CharField(label=_("Số nghị quyết đề nghị kết nạp (6-KNĐ)"), max_length=100)
    votes_for = forms.IntegerField(label=_("Số đảng viên chính thức tán thành"), min_value=0)
    members = forms.IntegerField(label=_("Tổng số đảng viên chính thức của chi bộ"), min_value=1)
    age_approval = forms.CharField(
        label=_("Văn bản đồng ý kết nạp người trên 60 tuổi"),
        max_length=255,
        required=False,
        help_text=_("Chỉ ghi khi người vào Đảng trên 60 tuổi."),
    )
    education_exception = forms.CharField(
        label=_("Ngoại lệ học vấn"),
        max_length=255,
        required=False,
        help_text=_("Miền núi, biên giới, hải đảo, vùng đồng bào dân tộc thiểu số."),
    )


class CommitteeForm(PartyForm):
    on = forms.DateField(label=_("Ngày"), initial=_today)
    doc_no = forms.CharField(label=_("Số văn bản"), max_length=100)


class CeremonyForm(PartyForm):
    on = forms.DateField(label=_("Ngày tổ chức lễ kết nạp"), initial=_today)


class RecogniseForm(PartyForm):
    on = forms.DateField(label=_("Ngày xét công nhận"), initial=_today)
    doc_no = forms.CharField(
        label=_("Số quyết định công nhận đảng viên chính thức"), max_length=100
    )


class ReviewForm(PartyForm):
    on = forms.DateField(label=_("Ngày chi bộ xem xét"), initial=_today)


# --- classes ------------------------------------------------------------------------


class ClassForm(PartyForm):
    organiser = ScopedUnitField(label=_("Đơn vị tổ chức"))
    title = forms.CharField(label=_("Tên lớp"), max_length=200)
    start = forms.DateField(label=_("Từ ngày"))
    end = forms.DateField(label=_("Đến ngày"))
    place = forms.CharField(label=_("Địa điểm"), max_length=255, required=False)

    def __init__(self, *args, organiser_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].offer(organiser_queryset, "class_organisers")


class ResultForm(PartyForm):
    result = forms.ChoiceField(label=_("Kết quả"), choices=Enrolment.Result.choices)
    certificate_no = forms.CharField(label=_("Số giấy chứng nhận"), max_length=50, required=False)
    certificate_on = forms.DateField(label=_("Ngày cấp"), required=False)


class CertifyForm(PartyForm):
    prefix = forms.CharField(
        label=_("Tiền tố số giấy"), max_length=30, required=False, help_text=_("Ví dụ: GCN-2026/")
    )
    start_no = forms.IntegerField(label=_("Bắt đầu từ số"), min_value=0, initial=1)
    width = forms.IntegerField(label=_("Số chữ số"), min_value=1, max_value=8, initial=3)
    certificate_on = forms.DateField(label=_("Ngày cấp"), initial=_today)
    enrolments = forms.TypedMultipleChoiceField(
        label=_("Học viên được cấp giấy"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, enrolments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrolments"].choices = [(e.pk, e.case.full_name) for e in enrolments]
        self.fields["enrolments"].initial = [e.pk for e in enrolments]
        self.fields["enrolments"].widget.attrs["class"] = ""

    def number(self, i: int) -> str:
        data = self.cleaned_data
        return f"{data['prefix'].strip()}{data['start_no'] + i:0{data['width']}d}"
