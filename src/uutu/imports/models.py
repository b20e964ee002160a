"""Bulk imports from Excel / CSV files."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PEOPLE = "people", _("Hội viên")
    CASES = "cases", _("Hồ sơ phát triển đảng viên")


class Status(models.TextChoices):
    VALIDATING = "validating", _("Đang kiểm tra")
    INVALID = "invalid", _("Có lỗi, chưa nhập")
    READY = "ready", _("Đã kiểm tra, chờ nhập")
    QUEUED = "queued", _("Chờ nhập")
    RUNNING = "running", _("Đang nhập")
    DONE = "done", _("Đã nhập xong")
    FAILED = "failed", _("Nhập không thành công, không có gì thay đổi")


ACTIVE_STATUSES = (Status.VALIDATING, Status.QUEUED, Status.RUNNING)


class Import(models.Model):
    """One uploaded file of members or of cases: who uploaded it and when, what the
    preview found (rows to create, update and leave unchanged, and every error by row
    and column) and what the commit did. The commit applies the whole file in one
    transaction or nothing; every change it makes is audited with source "import"
    and this import's ``request_id``."""

    kind = models.CharField(_("loại dữ liệu"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhập"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file_name = models.CharField(_("tên tệp"), max_length=255)
    file_format = models.CharField(max_length=5)  # xlsx, csv
    stored_name = models.CharField(max_length=100, editable=False)
    encoding = models.CharField(_("mã hóa ký tự"), max_length=20, blank=True, default="")
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=Status.choices, default=Status.VALIDATING
    )
    total_rows = models.PositiveIntegerField(_("số dòng"), default=0)
    to_create = models.PositiveIntegerField(_("sẽ thêm mới"), default=0)
    to_update = models.PositiveIntegerField(_("sẽ cập nhật"), default=0)
    unchanged = models.PositiveIntegerField(_("không thay đổi"), default=0)
    created = models.PositiveIntegerField(_("đã thêm mới"), default=0)
    updated = models.PositiveIntegerField(_("đã cập nhật"), default=0)
    error_count = models.PositiveIntegerField(_("số lỗi"), default=0)
    errors = models.JSONField(_("lỗi"), default=list, blank=True)
    failure = models.TextField(_("lý do không thành công"), blank=True, default="")
    created_at = models.DateTimeField(_("tải lên lúc"), auto_now_add=True)
    started_at = models.DateTimeField(_("bắt đầu nhập lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("nhập xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lần nhập dữ liệu")
        verbose_name_plural = _("lần nhập dữ liệu")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.file_name} ({self.get_kind_display()})"

    @property
    def request_id(self) -> str:
        """The request id every audit row written by this import carries."""
        return f"import-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def can_commit(self) -> bool:
        return self.status == Status.READY and (self.to_create or self.to_update)
