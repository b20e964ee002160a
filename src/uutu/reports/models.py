"""Periodic reports (báo cáo định kỳ) and the deadlines a parent sets for them.

A unit writes a :class:`Report` for a period (six-monthly, nine-monthly, annual,
mid-term, end-of-term). Its figures are read live from :mod:`uutu.targets.progress`
while it is a draft or under review, and frozen in ``snapshot`` when the parent
unit approves it; an approved report is locked. A parent unit sets a
:class:`ReportDeadline` for its children's reports of a period and kind.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from uutu.core.scoping import ScopedQuerySet


class Kind(models.TextChoices):
    SIX_MONTHLY = "six_monthly", _("Báo cáo 6 tháng")
    NINE_MONTHLY = "nine_monthly", _("Báo cáo 9 tháng")
    ANNUAL = "annual", _("Báo cáo năm")
    MID_TERM = "mid_term", _("Báo cáo sơ kết giữa nhiệm kỳ")
    END_OF_TERM = "end_of_term", _("Báo cáo tổng kết nhiệm kỳ")


# The period kind (targets.Period.Kind) each report kind covers.
PERIOD_KIND = {
    Kind.SIX_MONTHLY: "half",
    Kind.NINE_MONTHLY: "nine",
    Kind.ANNUAL: "year",
    Kind.MID_TERM: "mid_term",
    Kind.END_OF_TERM: "term",
}


class Status(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    SUBMITTED = "submitted", _("Đã gửi, chờ duyệt")
    RETURNED = "returned", _("Bị trả lại")
    APPROVED = "approved", _("Đã phê duyệt")


EDITABLE = (Status.DRAFT, Status.RETURNED)


class ReportQuerySet(ScopedQuerySet):
    pass


class Report(models.Model):
    """One unit's periodic report for one period: the figures of its subtree (live
    until approval, then frozen in ``snapshot``), its children's figures as a table,
    the narrative sections, and what the official document needs (number, place,
    date, signer, recipients). Workflow: draft → submitted → approved, or returned
    with a comment and resubmitted. The parent unit approves; an approved report is
    locked."""

    scope_path = "unit__path"

    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="reports"
    )
    period = models.ForeignKey(
        "targets.Period", verbose_name=_("kỳ"), on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("loại báo cáo"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )

    subtitle = models.CharField(_("trích yếu"), max_length=300)
    results = models.TextField(_("kết quả thực hiện"), blank=True, default="")
    difficulties = models.TextField(_("khó khăn, vướng mắc và nguyên nhân"), blank=True, default="")
    proposals = models.TextField(_("đề xuất, kiến nghị"), blank=True, default="")

    number = models.CharField(
        _("số văn bản"),
        max_length=50,
        blank=True,
        default="",
        help_text=_("Ví dụ: 15/BC-BTV. Để trống nếu chưa vào sổ."),
    )
    place = models.CharField(
        _("địa danh"), max_length=100, help_text=_("Dùng ở dòng ngày tháng, ví dụ 'Cao Bằng'.")
    )
    dated = models.DateField(_("ngày báo cáo"))
    signer_on_behalf = models.CharField(_("thay mặt"), max_length=100, default="TM. BAN THƯỜNG VỤ")
    signer_title = models.CharField(_("chức vụ người ký"), max_length=100, default="CHỦ TỊCH")
    signer_name = models.CharField(_("người ký"), max_length=200, blank=True, default="")
    recipients = models.TextField(
        _("nơi nhận"), blank=True, default="", help_text=_("Mỗi dòng một nơi nhận.")
    )

    snapshot = models.JSONField(_("số liệu chốt khi phê duyệt"), null=True, blank=True)
    return_comment = models.TextField(_("ý kiến khi trả lại"), blank=True, default="")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("ngày gửi"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Người phê duyệt hoặc trả lại lần gần nhất."),
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(_("ngày phê duyệt"), null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    audit_exclude = ("snapshot", "updated_at")

    class Meta:
        verbose_name = _("báo cáo")
        verbose_name_plural = _("báo cáo")
        ordering = ["-period__start", "unit__path", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period", "kind"], name="report_unique_per_unit_period_kind"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.unit} – {self.period}"

    @property
    def scope_unit(self):
        return self.unit

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def is_locked(self) -> bool:
        return self.status == Status.APPROVED

    def recipient_lines(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class ReportDeadlineQuerySet(ScopedQuerySet):
    pass


class ReportDeadline(models.Model):
    """The date by which a parent unit expects its children's reports of one period
    and kind. The parent's overview marks a child late when its report is not
    submitted by then (or was submitted after it)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("đơn vị cấp trên"),
        on_delete=models.PROTECT,
        related_name="report_deadlines",
    )
    period = models.ForeignKey(
        "targets.Period", verbose_name=_("kỳ"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("loại báo cáo"), max_length=20, choices=Kind.choices)
    due = models.DateField(_("hạn nộp"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportDeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("hạn nộp báo cáo")
        verbose_name_plural = _("hạn nộp báo cáo")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period", "kind"], name="report_deadline_unique"
            ),
        ]

    def __str__(self):
        return f"{self.unit} – {self.get_kind_display()} {self.period}: {self.due:%d/%m/%Y}"

    @property
    def scope_unit(self):
        return self.unit
