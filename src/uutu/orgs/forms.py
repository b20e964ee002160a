"""Forms of the organisation pages. Every choice list is built from a queryset that
went through ``restrict`` for the acting user, so a form never offers (nor accepts)
a unit outside her scope."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Func
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin
from uutu.core.text import fold
from uutu.people.models import Person

from .models import Level, Tree, Unit

SPLIT_MAX_PARTS = 5


def _today():
    return datetime.date.today()


class EventFieldsMixin(forms.Form):
    """The date and document number every reorganisation carries."""

    on = forms.DateField(label=_("Ngày hiệu lực"), initial=_today)
    doc_no = forms.CharField(
        label=_("Số văn bản"),
        max_length=100,
        required=False,
        help_text=_("Ví dụ: 77/QĐ-BTV"),
    )
    note = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on and on > datetime.date.today():
            raise forms.ValidationError(_("Ngày hiệu lực không được ở tương lai."))
        return on


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class UnitFilterForm(BootstrapMixin, forms.Form):
    """The filters above the unit list."""

    q = forms.CharField(label=_("Tìm theo tên hoặc mã"), required=False, max_length=100)
    tree = forms.ChoiceField(
        label=_("Hệ thống"), required=False, choices=[("", _("Tất cả"))] + Tree.choices
    )
    level = forms.ModelChoiceField(
        label=_("Cấp"),
        required=False,
        queryset=Level.objects.order_by("-tree", "rank"),
        empty_label=_("Mọi cấp"),
    )
    inactive = forms.BooleanField(label=_("Hiện cả đơn vị đã giải thể / sáp nhập"), required=False)


class CreateChildForm(BootstrapMixin, forms.Form):
    level = forms.ModelChoiceField(
        label=_("Cấp"), queryset=Level.objects.none(), empty_label=_("— Chọn cấp —")
    )
    name = forms.CharField(label=_("Tên đơn vị"), max_length=200)
    code = forms.CharField(
        label=_("Mã"), max_length=40, help_text=_("Mã hành chính hoặc mã nội bộ, không trùng.")
    )
    area_name = forms.CharField(
        label=_("Tên địa bàn"),
        max_length=200,
        required=False,
        help_text=_("Ví dụ: Thôn Đông, Phường Thục Phán."),
    )
    remote_area = forms.BooleanField(
        label=_("Vùng đặc biệt khó khăn (miền núi, biên giới, hải đảo, dân tộc thiểu số)"),
        required=False,
    )
    on = forms.DateField(label=_("Ngày thành lập"), initial=_today)
    doc_no = forms.CharField(label=_("Số văn bản"), max_length=100, required=False)

    def __init__(self, *args, parent: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        levels = Level.objects.filter(tree=parent.tree, rank__gt=parent.level.rank)
        self.fields["level"].queryset = levels
        first = levels.first()
        if first is not None:
            self.fields["level"].initial = first.pk

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on and on > datetime.date.today():
            raise forms.ValidationError(_("Ngày thành lập không được ở tương lai."))
        return on


class RenameForm(BootstrapMixin, EventFieldsMixin):
    new_name = forms.CharField(label=_("Tên mới"), max_length=200)

    field_order = ["new_name", "on", "doc_no", "note"]


class MoveForm(BootstrapMixin, EventFieldsMixin):
    new_parent = UnitChoiceField(
        label=_("Đơn vị cấp trên mới"),
        queryset=Unit.objects.none(),
        empty_label=_("— Chọn đơn vị —"),
    )

    field_order = ["new_parent", "on", "doc_no", "note"]

    def __init__(self, *args, unit: Unit, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = (
            Unit.objects.restrict(user, "orgs.change")
            .filter(tree=unit.tree, is_active=True, level__rank__lt=unit.level.rank)
            .exclude(path__startswith=unit.path)
            .exclude(pk=unit.parent_id)
            .select_related("level")
        )


class MergeForm(BootstrapMixin, EventFieldsMixin):
    MODE_NEW = "new"
    MODE_EXISTING = "existing"

    others = UnitMultipleChoiceField(
        label=_("Hợp nhất cùng với"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Các đơn vị cùng cấp, cùng cấp trên, trong phạm vi bạn quản lý."),
    )
    mode = forms.ChoiceField(
        label=_("Đơn vị sau hợp nhất"),
        widget=forms.RadioSelect,
        initial=MODE_NEW,
        choices=[
            (MODE_NEW, _("Thành lập đơn vị mới")),
            (MODE_EXISTING, _("Sáp nhập vào một đơn vị có sẵn")),
        ],
    )
    name = forms.CharField(label=_("Tên đơn vị mới"), max_length=200, required=False)
    code = forms.CharField(
        label=_("Mã đơn vị mới"),
        max_length=40,
        required=False,
        help_text=_("Để trống để tự đặt mã."),
    )
    target = UnitChoiceField(
        label=_("Đơn vị tiếp nhận"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("— Chọn đơn vị —"),
    )

    field_order = ["others", "mode", "name", "code", "target", "on", "doc_no", "note"]

    def __init__(self, *args, unit: Unit, user, **kwargs):
        super().__init__(*args, **kwargs)
        siblings = (
            Unit.objects.restrict(user, "orgs.change")
            .filter(
                tree=unit.tree, parent_id=unit.parent_id, level_id=unit.level_id, is_active=True
            )
            .select_related("level")
        )
        self.unit = unit
        self.fields["others"].queryset = siblings.exclude(pk=unit.pk)
        self.fields["target"].queryset = siblings
        for name in ("others", "mode"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == self.MODE_NEW and not (data.get("name") or "").strip():
            self.add_error("name", _("Vui lòng nhập tên đơn vị mới."))
        if mode == self.MODE_EXISTING:
            target = data.get("target")
            if target is None:
                self.add_error("target", _("Vui lòng chọn đơn vị tiếp nhận."))
            elif target.pk != self.unit.pk and target not in (data.get("others") or []):
                self.add_error(
                    "target", _("Đơn vị tiếp nhận phải là một trong các đơn vị được hợp nhất.")
                )
        return data


class SplitForm(BootstrapMixin, EventFieldsMixin):
    """Up to :data:`SPLIT_MAX_PARTS` new units, and for each child unit and each
    member, the new unit that takes her (or none: she stays in the source)."""

    keep_source = forms.BooleanField(
        label=_("Giữ lại đơn vị cũ (chỉ tách một phần)"),
        required=False,
        help_text=_(
            "Nếu không chọn, mọi đơn vị trực thuộc và hội viên phải được phân về "
            "đơn vị mới và đơn vị cũ sẽ chấm dứt hoạt động."
        ),
    )

    def __init__(self, *args, unit: Unit, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.part_numbers = list(range(1, SPLIT_MAX_PARTS + 1))
        for i in self.part_numbers:
            self.fields[f"name_{i}"] = forms.CharField(
                label=_("Tên đơn vị mới %(n)s") % {"n": i},
                max_length=200,
                required=(i == 1),
            )
            self.fields[f"code_{i}"] = forms.CharField(
                label=_("Mã đơn vị mới %(n)s") % {"n": i},
                max_length=40,
                required=False,
            )
        choices = [("", _("Giữ lại ở đơn vị cũ"))] + [
            (str(i), _("Đơn vị mới %(n)s") % {"n": i}) for i in self.part_numbers
        ]
        self.children = list(
            Unit.objects.restrict(user, "orgs.change")
            .filter(parent=unit, is_active=True)
            .select_related("level")
        )
        self.members = list(
            Person.objects.restrict(user, "people.view")
            .filter(branch=unit, archived_at__isnull=True)
            .only("id", "full_name", "birth_date")
        )
        for child in self.children:
            self.fields[f"child_{child.pk}"] = forms.ChoiceField(
                label=child.name,
                choices=choices,
                required=False,
            )
        for person in self.members:
            self.fields[f"member_{person.pk}"] = forms.ChoiceField(
                label=person.full_name,
                choices=choices,
                required=False,
            )
        # BootstrapMixin ran before the dynamic fields existed.
        for name, field in self.fields.items():
            if name.startswith(("name_", "code_")):
                field.widget.attrs.setdefault("class", "form-control")
            elif name.startswith(("child_", "member_")):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")

    def part_rows(self):
        return [(i, self[f"name_{i}"], self[f"code_{i}"]) for i in self.part_numbers]

    def child_rows(self):
        return [(c, self[f"child_{c.pk}"]) for c in self.children]

    def member_rows(self):
        return [(p, self[f"member_{p.pk}"]) for p in self.members]

    def clean(self):
        data = super().clean()
        parts = {}
        for i in self.part_numbers:
            name = (data.get(f"name_{i}") or "").strip()
            code = (data.get(f"code_{i}") or "").strip()
            if name:
                parts[i] = {"name": name, "code": code, "children": [], "members": []}
            elif code:
                self.add_error(
                    f"name_{i}", _("Vui lòng nhập tên cho mã %(code)s.") % {"code": code}
                )
        codes = [p["code"] for p in parts.values() if p["code"]]
        if len(codes) != len(set(codes)):
            raise forms.ValidationError(_("Các đơn vị mới phải có mã khác nhau."))
        unassigned = 0
        for kind, rows in (("children", self.children), ("members", self.members)):
            prefix = "child" if kind == "children" else "member"
            for obj in rows:
                choice = data.get(f"{prefix}_{obj.pk}")
                if not choice:
                    unassigned += 1
                    continue
                part = parts.get(int(choice))
                if part is None:
                    self.add_error(
                        f"{prefix}_{obj.pk}", _("Đơn vị mới %(n)s chưa có tên.") % {"n": choice}
                    )
                else:
                    part[kind].append(obj)
        if unassigned and not data.get("keep_source"):
            raise forms.ValidationError(
                _(
                    "Còn %(n)s mục chưa được phân về đơn vị mới. Hãy phân hết, hoặc chọn "
                    "“Giữ lại đơn vị cũ”."
                )
                % {"n": unassigned}
            )
        data["parts"] = [parts[i] for i in sorted(parts)]
        return data


class DissolveForm(BootstrapMixin, EventFieldsMixin):
    confirm = forms.BooleanField(
        label=_("Tôi xác nhận giải thể đơn vị này"),
        required=True,
    )


class LinkForm(BootstrapMixin, forms.Form):
    counterpart = UnitChoiceField(
        label=_("Tổ chức Đảng tương ứng"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("— Không liên kết —"),
        help_text=_("Chi hội ↔ chi bộ, Hội LHPN xã ↔ Đảng bộ xã."),
    )

    def __init__(self, *args, unit: Unit, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterpart"].queryset = (
            Unit.objects.restrict(user, None)
            .filter(tree=Tree.DANG, is_active=True)
            .select_related("level")
        )


class AsOfForm(forms.Form):
    """The date of the tree_as_of page: yyyy-mm-dd (the date picker) or dd/mm/yyyy."""

    ngay = forms.DateField(label=_("Ngày"), input_formats=["%Y-%m-%d", "%d/%m/%Y"])

    def clean_ngay(self):
        value = self.cleaned_data["ngay"]
        if value > datetime.date.today():
            raise forms.ValidationError(
                _("Ngày %(d)s ở tương lai: chỉ xem được cơ cấu tổ chức đến hôm nay.")
                % {"d": value.strftime("%d/%m/%Y")}
            )
        return value


# --- the unit picker (search as you type) ----------------------------------------------

# Every precomposed Latin letter with a diacritic, and the ASCII letter ``fold`` gives
# for it: PostgreSQL can then fold a unit's name the way ``core.text.fold`` does.
_FOLD_PAIRS = [
    (ch, folded)
    for ch, folded in ((chr(cp), fold(chr(cp))) for cp in range(0xC0, 0x1F00))
    if len(folded) == 1 and folded.isascii() and folded.isalpha() and folded != ch
]
_FOLD_FROM = "".join(a for a, _b in _FOLD_PAIRS)
_FOLD_TO = "".join(b for _a, b in _FOLD_PAIRS)

PICKER_LIMIT = 20


class Folded(Func):
    """``core.text.fold`` in SQL: the name without diacritics, in lower case.
    PostgreSQL folds with ``translate``; on SQLite the Python function itself is
    registered on the connection (SQLite has no ``translate``)."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"LOWER(TRANSLATE({sql}, %s, %s))", [*params, _FOLD_FROM, _FOLD_TO]

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_function("uutu_fold", 1, fold, deterministic=True)
        sql, params = compiler.compile(self.source_expressions[0])
        return f"uutu_fold({sql})", params


def search_units(queryset, text: str, limit: int = PICKER_LIMIT):
    """At most ``limit`` units of ``queryset`` whose name contains every word of
    ``text``, accents and case ignored; higher levels first."""
    words = fold(text).split(" ") if text and text.strip() else []
    if not words:
        return queryset.none()
    qs = queryset.annotate(folded_name=Folded("name"))
    for word in words:
        qs = qs.filter(folded_name__contains=word)
    return qs.select_related("parent").order_by("depth", "name", "pk")[:limit]


def unit_label(unit) -> str:
    """How the picker shows a unit: its name and its parent's, which together tell
    apart the many "Chi hội Thôn 1" of a province."""
    if unit.parent_id:
        return f"{unit.name} ({unit.parent.name})"
    return unit.name


_LABEL_RE = re.compile(r"^(?P<name>.+?) \((?P<parent>[^()]+)\)$")


def picker_search_url(purpose: str) -> str:
    """The address a unit picker asks for suggestions: ``orgs:unit_search`` for one
    of ``orgs.views.PICKER_PURPOSES``, which decides the units it offers."""
    return f"{reverse('orgs:unit_search')}?for={purpose}"


class UnitPickerInput(forms.TextInput):
    """A text field that offers matching units as you type (htmx fills a
    ``<datalist>`` from ``search_url``). Without JavaScript it is a plain text
    field: the typed name is resolved on the server."""

    template_name = "orgs/widgets/unit_picker.html"

    def __init__(self, attrs=None, search_url: str = ""):
        super().__init__(attrs)
        self.search_url = search_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = self.search_url
        context["widget"]["list_id"] = f"{context['widget']['attrs'].get('id', name)}-options"
        return context


class UnitPickerField(forms.Field):
    """Choose one unit of ``queryset`` by typing its name. Accepts a unit id (links
    such as ``?unit=12`` keep working), a label offered by the picker ("Chi hội
    Thôn Đông (Hội LHPN xã An Bình)") or any text that names exactly one unit."""

    default_error_messages = {
        "not_found": _("Không tìm thấy đơn vị “%(text)s” trong phạm vi của bạn."),
        "ambiguous": _(
            "Có nhiều đơn vị khớp với “%(text)s”: hãy chọn một đơn vị trong danh sách gợi ý "
            "hoặc gõ đầy đủ tên."
        ),
    }

    def __init__(self, *, queryset=None, search_url: str = "", **kwargs):
        kwargs.setdefault("widget", UnitPickerInput(search_url=search_url))
        super().__init__(**kwargs)
        self.queryset = queryset

    def prepare_value(self, value):
        if isinstance(value, Unit):
            return unit_label(value)
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            unit = self.queryset.select_related("parent").filter(pk=int(value)).first()
            return unit_label(unit) if unit else value
        return value

    def to_python(self, value):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in self.empty_values:
            return None
        if isinstance(text, int) or text.isdigit():
            unit = self.queryset.filter(pk=int(text)).first()
            if unit is None:
                raise ValidationError(self.error_messages["not_found"], params={"text": text})
            return unit
        match = _LABEL_RE.match(text)
        candidates = []
        if match:
            candidates = list(
                self.queryset.filter(name=match["name"], parent__name=match["parent"])[:2]
            )
        if not candidates:
            candidates = list(self.queryset.filter(name__iexact=text)[:2])
        if not candidates:
            candidates = list(search_units(self.queryset, text, limit=2))
        if not candidates:
            raise ValidationError(self.error_messages["not_found"], params={"text": text})
        if len(candidates) > 1:
            raise ValidationError(self.error_messages["ambiguous"], params={"text": text})
        return candidates[0]


# A choice of more units than this gets the search-as-you-type picker, not a dropdown.
DROPDOWN_MAX = 60


class ScopedUnitField(UnitPickerField):
    """One unit for a form that creates or changes something (a member's chi hội, an
    account's unit, a report's unit…). The view calls :meth:`offer` with the units
    the user may choose: at most ``DROPDOWN_MAX`` of them give a dropdown, more give
    the search-as-you-type picker of ``orgs:unit_search?for=<purpose>``. A dropdown
    of the country's 100,000 chi hội cost 3–5 s a page and is of no use to anyone.
    Either way the value posted is checked against the same units."""

    def __init__(self, *, empty_label="---------", placeholder="", **kwargs):
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.placeholder = placeholder or _("Gõ vài chữ trong tên đơn vị để chọn")
        self.dropdown = False

    def offer(self, queryset, purpose: str, count: int | None = None) -> None:
        """Accept the units of ``queryset`` (in its order), shown as a dropdown
        when they are few. One query, unordered, stopping at ``DROPDOWN_MAX + 1``
        ids, tells which (ordering the country's 100,000 chi hội by name to keep
        61 of them cost 150 ms); a dropdown then reads its units in order. A view
        that has counted them already passes ``count`` and saves the first query."""
        self.queryset = queryset
        if count is None:
            ids = list(queryset.order_by().values_list("pk", flat=True)[: DROPDOWN_MAX + 1])
            count = len(ids)
            queryset = queryset.filter(pk__in=ids)
        attrs = {k: v for k, v in self.widget.attrs.items() if k != "class"}
        if count <= DROPDOWN_MAX:
            rows = list(queryset.select_related("parent"))
            self.dropdown = True
            choices = [(u.pk, unit_label(u)) for u in rows]
            if not self.required or len(rows) != 1:
                choices.insert(0, ("", self.empty_label))
            self.widget = forms.Select(attrs={**attrs, "class": "form-select"}, choices=choices)
        else:
            self.dropdown = False
            self.widget = UnitPickerInput(
                attrs={**attrs, "class": "form-control", "placeholder": self.placeholder},
                search_url=picker_search_url(purpose),
            )

    def prepare_value(self, value):
        if self.dropdown:  # the dropdown's options are ids
            return value.pk if isinstance(value, Unit) else value
        return super().prepare_value(value)
