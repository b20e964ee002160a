"""Year-end emulation (thi đua): criteria with weights, scores and ranking.

A unit defines, for one year, a :class:`CriterionSet`: criteria with weights (the
maximum points of each). A criterion is either an indicator of
:mod:`uutu.targets.indicators`, scored from the data of each child unit, or a
manual score the unit enters for each child (:class:`ManualScore`). Each criterion
gives every child a level (mức đạt, normally 0–100); her points on it are
``weight × level / 100`` and the ranking orders the children by their total points
(:func:`uutu.emulation.services.rank`).
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from uutu.core.scoping import ScopedQuerySet
from uutu.targets.indicators import INDICATORS

# Indicators a criterion may use: every indicator that can be counted per child in
# one set-based pass (the per-cell Party indicators cannot).
CRITERION_INDICATORS = [(i.code, i.name) for i in INDICATORS if i.source != "per_cell"]


class CriterionSet(models.Model):
    """The emulation criteria a unit sets for its children for one year."""

    scope_path = "unit__path"

    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("đơn vị"),
        on_delete=models.PROTECT,
        related_name="criterion_sets",
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("bộ tiêu chí thi đua")
        verbose_name_plural = _("bộ tiêu chí thi đua")
        ordering = ["-year", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="criterion_set_unique"),
        ]

    def __str__(self):
        return f"{self.unit} – năm {self.year}"

    @property
    def scope_unit(self):
        return self.unit


class Criterion(models.Model):
    """One criterion: its weight (maximum points) and how its level is found."""

    class Kind(models.TextChoices):
        INDICATOR = "indicator", _("Từ số liệu (chỉ tiêu)")
        MANUAL = "manual", _("Chấm điểm trực tiếp")

    class Method(models.TextChoices):
        COMPLETION = "completion", _("Tỷ lệ hoàn thành chỉ tiêu được giao")
        RELATIVE = "relative", _("So với đơn vị cao nhất")

    scope_path = "criterion_set__unit__path"

    criterion_set = models.ForeignKey(
        CriterionSet, on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("tên tiêu chí"), max_length=200)
    kind = models.CharField(_("cách chấm"), max_length=10, choices=Kind.choices)
    indicator = models.CharField(
        _("chỉ tiêu"), max_length=40, choices=CRITERION_INDICATORS, blank=True, default=""
    )
    method = models.CharField(
        _("cách tính"),
        max_length=12,
        choices=Method.choices,
        default=Method.COMPLETION,
        help_text=_(
            "Tỷ lệ hoàn thành: kết quả chia cho chỉ tiêu được giao của đơn vị. "
            "So với đơn vị cao nhất: đơn vị có kết quả cao nhất đạt 100."
        ),
    )
    cap = models.DecimalField(
        _("mức đạt tối đa (%)"),
        max_digits=5,
        decimal_places=1,
        default=100,
        validators=[MinValueValidator(0)],
        help_text=_("Vượt chỉ tiêu đến mức này thì được cộng thêm điểm; 100 là không cộng."),
    )
    weight = models.DecimalField(
        _("điểm tối đa"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)]
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tiêu chí thi đua")
        verbose_name_plural = _("tiêu chí thi đua")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(
                condition=Q(kind="manual") | ~Q(indicator=""), name="criterion_indicator_set"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def scope_unit(self):
        return self.criterion_set.unit


class ManualScore(models.Model):
    """The level (0–100) a unit gives one child on a manual criterion."""

    scope_path = "criterion__criterion_set__unit__path"

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị được chấm"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("mức đạt (0–100)"), max_digits=5, decimal_places=1)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("điểm chấm trực tiếp")
        verbose_name_plural = _("điểm chấm trực tiếp")
        constraints = [
            models.UniqueConstraint(fields=["criterion", "unit"], name="manual_score_unique"),
        ]

    def __str__(self):
        return f"{self.criterion} – {self.unit}: {self.score}"

    @property
    def scope_unit(self):
        return self.criterion.criterion_set.unit
