"""The organisation trees: the Women's Union (Hội) and the Party (Đảng).

Both trees live in one :class:`Unit` table. A unit's place in its tree is a
materialized path (``00000001.00000034.00000123.``): everything under a unit is one
indexed prefix filter. Levels are rows in :class:`Level`, so a reform that adds or
removes a level is data, not code.

Reorganisation (rename, move, merge, split, dissolve) is recorded as a dated
:class:`OrgEvent`, and every state of a unit's name and parent is kept as a
:class:`UnitVersion` with the dates it was valid, so the tree as it stood on any
past date can be rebuilt (:func:`uutu.orgs.services.tree_as_of`).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from uutu.core.fields import PathField
from uutu.core.scoping import ScopedQuerySet

PATH_SEGMENT_WIDTH = 8
# The Hội's lowest levels: no unit lies under a chi hội or a tổ.
HOI_LEAF_LEVELS = ("hoi_branch", "hoi_group")


class Tree(models.TextChoices):
    HOI = "hoi", _("Hội LHPN")
    DANG = "dang", _("Đảng")


class Level(models.Model):
    """A rung of one tree: central, province, commune, chi hội, tổ phụ nữ for the
    Hội; province party committee, commune party committee, chi bộ for the Party.
    The old district level, or a future one, is one more row."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên cấp"), max_length=100)
    tree = models.CharField(_("hệ thống"), max_length=10, choices=Tree.choices)
    rank = models.PositiveSmallIntegerField(
        _("thứ bậc"), help_text=_("0 là cấp cao nhất; số càng lớn càng gần cơ sở.")
    )

    class Meta:
        verbose_name = _("cấp tổ chức")
        verbose_name_plural = _("cấp tổ chức")
        ordering = ["tree", "rank"]

    def __str__(self):
        return str(self.name)


class UnitQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def subtree(self, unit, include_self=True):
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)


class Unit(models.Model):
    """One organisation: a Hội LHPN at any level (province, commune, chi hội, tổ…)
    or a Party body (đảng bộ, chi bộ). ``counterpart`` links a Hội unit to the Party
    unit at the same place (commune Hội ↔ commune party committee, chi hội ↔ chi bộ).
    A unit is never deleted: a dissolved or merged unit stays, inactive, with its
    ``successor``, so past records remain attached to it."""

    scope_path = "path"

    tree = models.CharField(_("hệ thống"), max_length=10, choices=Tree.choices)
    level = models.ForeignKey(Level, verbose_name=_("cấp"), on_delete=models.PROTECT)
    name = models.CharField(_("tên đơn vị"), max_length=200)
    area_name = models.CharField(
        _("tên địa bàn"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Tên hành chính, ví dụ 'Phường Thục Phán'."),
    )
    code = models.CharField(_("mã"), max_length=40, help_text=_("Mã hành chính hoặc mã nội bộ."))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = PathField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    counterpart = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị tương ứng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Chi hội ↔ chi bộ, Hội xã ↔ Đảng ủy xã."),
    )
    remote_area = models.BooleanField(
        _("vùng đặc biệt khó khăn"),
        default=False,
        help_text=_("Miền núi, biên giới, hải đảo, vùng đồng bào dân tộc thiểu số."),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    established_on = models.DateField(_("ngày thành lập"), null=True, blank=True)
    dissolved_on = models.DateField(_("ngày giải thể / sáp nhập"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị kế thừa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["tree", "code"], name="unit_code_unique_per_tree"),
        ]
        indexes = [
            models.Index(
                fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["parent", "name"], name="unit_parent_name"),
            # Lists of records by their unit's name (the party candidates, by cell):
            # PostgreSQL walks the units in name order and stops at a page (25 ms
            # instead of sorting the country's 300,000 candidates, 400 ms).
            models.Index(fields=["name"], name="unit_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def scope_unit(self):
        return self

    @staticmethod
    def segment(pk: int) -> str:
        return f"{pk:0{PATH_SEGMENT_WIDTH}d}."

    def ancestor_ids(self) -> list[int]:
        return [int(s) for s in self.path.split(".") if s]

    def ancestors(self):
        """The units above this one, from the root down (one query)."""
        ids = self.ancestor_ids()[:-1]
        by_id = {u.pk: u for u in Unit.objects.filter(pk__in=ids).select_related("level")}
        return [by_id[i] for i in ids if i in by_id]

    def is_within(self, other: "Unit") -> bool:
        return self.path.startswith(other.path)


class OrgEvent(models.Model):
    """A dated reorganisation: a unit created, renamed, moved, merged with others,
    split, or dissolved, with the document that decided it. ``sources`` are the
    units before the event and ``targets`` the units after it; ``details`` keeps
    the old and new names and parents."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Thành lập")
        RENAME = "rename", _("Đổi tên")
        MOVE = "move", _("Chuyển cấp trên")
        MERGE = "merge", _("Hợp nhất / sáp nhập")
        SPLIT = "split", _("Chia tách")
        DISSOLVE = "dissolve", _("Giải thể")

    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("ngày hiệu lực"), db_index=True)
    doc_no = models.CharField(_("số văn bản"), max_length=100, blank=True, default="")
    note = models.TextField(_("ghi chú"), blank=True, default="")
    sources = models.ManyToManyField(Unit, related_name="events_as_source", blank=True)
    targets = models.ManyToManyField(Unit, related_name="events_as_target", blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sự kiện tổ chức")
        verbose_name_plural = _("sự kiện tổ chức")
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"


class UnitVersion(models.Model):
    """The name and parent a unit had from ``valid_from`` until ``valid_to``
    (exclusive; empty while current). The tree on a date is the set of versions
    valid on that date."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="versions")
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    event = models.ForeignKey(
        OrgEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("lịch sử đơn vị")
        verbose_name_plural = _("lịch sử đơn vị")
        ordering = ["unit", models.F("valid_from").asc(nulls_first=True), "id"]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]

    def __str__(self):
        return f"{self.name} ({self.valid_from} – {self.valid_to or '…'})"
