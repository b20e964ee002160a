"""Infrastructure models: the append-only audit trail. No domain models live here."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit row."""


class AuditQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Nhật ký hoạt động chỉ được ghi thêm, không được sửa.")

    def delete(self):
        raise AppendOnlyError("Nhật ký hoạt động chỉ được ghi thêm, không được xóa.")


class AuditEntry(models.Model):
    """One change or sign-in: who did what to which record, when, with the values
    before and after. Rows are only ever added; the model refuses updates and
    deletes, and the admin shows it read-only."""

    scope_path = "unit__path"

    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người thực hiện"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    action = models.CharField(_("thao tác"), max_length=100, db_index=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(_("đối tượng"), max_length=255, blank=True, default="")
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("đơn vị"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    before = models.JSONField(_("trước"), null=True, blank=True)
    after = models.JSONField(_("sau"), null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(_("nguồn"), max_length=20, default="web")

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhật ký hoạt động")
        verbose_name_plural = _("nhật ký hoạt động")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Nhật ký hoạt động chỉ được ghi thêm, không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Nhật ký hoạt động chỉ được ghi thêm, không được xóa.")

    @property
    def action_label(self) -> str:
        from .audit import ACTION_LABELS

        return str(ACTION_LABELS.get(self.action, self.action))

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) rows for display."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys]
