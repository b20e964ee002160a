"""Infrastructure models: the append-only audit trail. No domain models live here."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet


class QuickDisplay:
    """``get_<field>_display()`` without Django's rebuilding of the field's choices
    on every call: Django's version hashes every label of the field, and hashing a
    lazy label translates it, so a case list page of 50 rows ran 1,300 translations
    and a third of its Python time there. Here each field's choices become a dict
    once, and only the label asked for is translated (in the active language)."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        labels = field.__dict__.get("_quick_labels")
        if labels is None:
            labels = field._quick_labels = dict(field.flatchoices)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value: Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


def _display(value):
    if value is True:
        return "Có"
    if value is False:
        return "Không"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"  # ISO date → dd/mm/yyyy
    return value


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
    deletes, and the admin shows it read-only.

    Its user, unit and content type are not foreign-key constraints in the database
    (``db_constraint=False``): an entry is written from the objects themselves, in
    the same transaction as the change, and users and units are archived, never
    deleted (Django's ``PROTECT`` still refuses a delete through the ORM). A
    constraint would cost three lookups for every row written, and an import writes
    a row per member: 85-100 ms of the server's time for 10,000 members, about 6 %
    of the import (docs/benchmarks.md, session 7)."""

    scope_path = "unit__path"

    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(_("thao tác"), max_length=100, db_index=True)
    # Every import writes an audit row per member: no index here that another one
    # already serves (the record's history index starts with the content type).
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(_("đối tượng"), max_length=255, blank=True, default="")
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    before = models.JSONField(_("trước"), null=True, blank=True)
    after = models.JSONField(_("sau"), null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(_("nguồn"), max_length=20, default="web")

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhật ký hoạt động")
        verbose_name_plural = _("nhật ký hoạt động")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"]),
            # What one request or one import did ("import-42"): exact lookups only,
            # so no pattern index beside it.
            models.Index(fields=["request_id"], name="audit_request"),
        ]

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
        """(field label, before, after) rows for display, in Vietnamese where the
        model gives a label; ids and empty values of a creation are left out."""
        before, after = self.before or {}, self.after or {}
        labels, choices = {}, {}
        model = self.content_type.model_class() if self.content_type_id else None
        if model is not None:
            for field in model._meta.concrete_fields:
                labels[field.attname] = str(field.verbose_name)
                if field.choices:
                    choices[field.attname] = {k: str(v) for k, v in field.flatchoices}
        rows = []
        for key in dict.fromkeys([*before.keys(), *after.keys()]):
            old, new = before.get(key), after.get(key)
            if key == "id" or (not before and new in (None, "", False)):
                continue
            names = choices.get(key, {})
            rows.append(
                (labels.get(key, key), _display(names.get(old, old)), _display(names.get(new, new)))
            )
        return rows
