from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp dữ liệu"),
        help_text=_("Excel (.xlsx) hoặc CSV (.csv: UTF-8, UTF-16 hay Windows-1258)."),
        error_messages={"required": _("Hãy chọn tệp cần nhập.")},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.csv,.txt", "class": "form-control"}
        ),
    )
