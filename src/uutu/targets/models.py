"""Quotas (chỉ tiêu) and the figures units enter themselves."""

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from uutu.core.scoping import ScopedQuerySet

from .indicators import CHOICES, MANUAL_CHOICES


class Period(models.Model):
    """A reporting period: a calendar year, a half year, nine months, or a congress
    term (nhiệm kỳ, e.g. 2021–2026). Quotas and reports belong to a period."""

    class Kind(models.TextChoices):
        YEAR = "year", _("Năm")
        HALF = "half", _("6 tháng")
        NINE = "nine", _("9 tháng")
        TERM = "term", _("Nhiệm kỳ")
        MID_TERM = "mid_term", _("Giữa nhiệm kỳ")

    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("tên"), max_length=50)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"))

    class Meta:
        verbose_name = _("kỳ")
        verbose_name_plural = _("kỳ")
        ordering = ["-start", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "start", "end"], name="period_unique"),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="period_end_after_start"
            ),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def year(cls, year: int) -> "Period":
        period, _created = cls.objects.get_or_create(
            kind=cls.Kind.YEAR,
            start=datetime.date(year, 1, 1),
            end=datetime.date(year, 12, 31),
            defaults={"name": f"Năm {year}"},
        )
        return period

    @classmethod
    def half(cls, year: int) -> "Period":
        period, _created = cls.objects.get_or_create(
            kind=cls.Kind.HALF,
            start=datetime.date(year, 1, 1),
            end=datetime.date(year, 6, 30),
            defaults={"name": f"6 tháng đầu năm {year}"},
        )
        return period


class QuotaQuerySet(ScopedQuerySet):
    pass


class Quota(models.Model):
    """The target a unit must reach on one indicator in one period. A parent hands
    its quota down by giving quotas to its children (the allocation)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="quotas"
    )
    period = models.ForeignKey(
        Period, verbose_name=_("kỳ"), on_delete=models.PROTECT, related_name="quotas"
    )
    indicator = models.CharField(_("chỉ tiêu"), max_length=40, choices=CHOICES)
    value = models.DecimalField(_("mức giao"), max_digits=10, decimal_places=1)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuotaQuerySet.as_manager()

    class Meta:
        verbose_name = _("chỉ tiêu được giao")
        verbose_name_plural = _("chỉ tiêu được giao")
        constraints = [
            models.UniqueConstraint(fields=["unit", "period", "indicator"], name="quota_unique"),
        ]

    def __str__(self):
        return f"{self.unit} – {self.get_indicator_display()}: {self.value}"

    @property
    def scope_unit(self):
        return self.unit


class ManualFigureQuerySet(ScopedQuerySet):
    pass


class ManualFigure(models.Model):
    """A figure the pipeline does not track, entered by a unit for a period:
    propaganda sessions and attendance, exemplars, activities around 8/3 and 20/10,
    whether the commune runs the "1+1" and "3 có, 3 biết" models (1 = yes)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("đơn vị"),
        on_delete=models.PROTECT,
        related_name="manual_figures",
    )
    period = models.ForeignKey(
        Period, verbose_name=_("kỳ"), on_delete=models.PROTECT, related_name="manual_figures"
    )
    indicator = models.CharField(_("chỉ số"), max_length=40, choices=MANUAL_CHOICES)
    value = models.DecimalField(_("giá trị"), max_digits=12, decimal_places=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ManualFigureQuerySet.as_manager()

    class Meta:
        verbose_name = _("số liệu tự nhập")
        verbose_name_plural = _("số liệu tự nhập")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period", "indicator"], name="manual_figure_unique"
            ),
        ]

    def __str__(self):
        return f"{self.unit} – {self.get_indicator_display()}: {self.value}"

    @property
    def scope_unit(self):
        return self.unit
