"""QuickSelect writes the same HTML as Django's Select, option by option
(whitespace between tags aside)."""

import re

import pytest
from django import forms

from uutu.core.forms import BootstrapMixin, QuickSelect
from uutu.people.reference import ETHNICITY_CHOICES


class _Form(BootstrapMixin, forms.Form):
    ethnicity = forms.ChoiceField(choices=[("", "Mọi dân tộc"), *ETHNICITY_CHOICES])
    tricky = forms.ChoiceField(
        choices=[("a&b", "A & <B>"), ('q"', "Trích “dẫn”"), (3, "số")], required=False
    )
    grouped = forms.ChoiceField(
        choices=[("Nhóm 1", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False
    )


def _squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize(
    "data",
    [{}, {"ethnicity": "Ê Đê"}, {"ethnicity": "Kinh", "tricky": "a&b"}, {"tricky": "3"}],
)
def test_quick_select_renders_exactly_what_django_renders(data):
    form = _Form(data or None)
    assert type(form.fields["ethnicity"].widget) is QuickSelect
    for name in ("ethnicity", "tricky", "grouped"):
        quick = str(form[name])
        form.fields[name].widget.__class__ = forms.Select
        stock = str(form[name])
        form.fields[name].widget.__class__ = QuickSelect
        # the same markup; Django's templates add whitespace between the tags
        assert _squeeze(quick) == _squeeze(stock), name
        if name != "grouped":  # option groups fall back to the stock widget
            assert quick == _squeeze(quick)
    assert 'value="a&amp;b"' in str(form["tricky"])
    if data.get("ethnicity") == "Ê Đê":
        assert '<option value="Ê Đê" selected>Ê Đê</option>' in str(form["ethnicity"])
