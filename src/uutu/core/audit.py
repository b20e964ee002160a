"""Writing the audit trail.

Service functions call :func:`record` inside their transaction, so a change and its
audit row are saved together or not at all. ``before`` and ``after`` come from
:func:`snapshot`; for an update only the fields that changed are kept.
"""

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import context

# Readable names of the actions, shown in the activity lists.
ACTION_LABELS = {
    "accounts.login": _("Đăng nhập"),
    "accounts.login_failed": _("Đăng nhập sai"),
    "accounts.locked": _("Khóa tài khoản do đăng nhập sai nhiều lần"),
    "accounts.logout": _("Đăng xuất"),
    "accounts.user.created": _("Tạo tài khoản"),
    "accounts.user.updated": _("Sửa tài khoản"),
    "accounts.user.deactivated": _("Khóa tài khoản"),
    "accounts.user.reactivated": _("Mở lại tài khoản"),
    "accounts.user.password_set": _("Đặt lại mật khẩu"),
    "accounts.role.granted": _("Giao vai trò"),
    "accounts.role.revoked": _("Thu hồi vai trò"),
    "orgs.unit.created": _("Thành lập đơn vị"),
    "orgs.unit.renamed": _("Đổi tên đơn vị"),
    "orgs.unit.moved": _("Chuyển đơn vị"),
    "orgs.unit.merged": _("Hợp nhất đơn vị"),
    "orgs.unit.split": _("Chia tách đơn vị"),
    "orgs.unit.dissolved": _("Giải thể đơn vị"),
    "orgs.unit.updated": _("Sửa thông tin đơn vị"),
    "orgs.unit.linked": _("Liên kết Hội – Đảng"),
    "orgs.province.loaded": _("Nạp danh mục đơn vị của tỉnh"),
    "core.demo.built": _("Tạo dữ liệu mẫu"),
    "people.person.created": _("Thêm hội viên"),
    "people.person.updated": _("Sửa thông tin hội viên"),
    "people.person.moved": _("Chuyển sinh hoạt chi hội"),
    "people.person.archived": _("Lưu trữ hội viên"),
    "people.person.restored": _("Khôi phục hội viên"),
    "people.person.viewed": _("Xem hồ sơ hội viên"),
    "people.position.started": _("Bắt đầu chức vụ"),
    "people.position.ended": _("Kết thúc chức vụ"),
    "people.party_status.changed": _("Cập nhật tình trạng đảng viên"),
    "reports.report.created": _("Lập báo cáo định kỳ"),
    "reports.report.updated": _("Sửa báo cáo định kỳ"),
    "reports.report.submitted": _("Gửi báo cáo lên cấp trên"),
    "reports.report.approved": _("Phê duyệt báo cáo"),
    "reports.report.returned": _("Trả lại báo cáo"),
    "reports.deadline.set": _("Đặt hạn nộp báo cáo"),
    "imports.import.committed": _("Nhập dữ liệu từ tệp Excel / CSV"),
    "people.person.exported": _("Xuất danh sách hội viên"),
    "targets.quota.set": _("Giao chỉ tiêu"),
    "targets.quota.removed": _("Bỏ chỉ tiêu đã giao"),
    "targets.quota.allocated": _("Phân bổ chỉ tiêu cho đơn vị trực thuộc"),
    "targets.quota.imported": _("Nhập biểu giao chỉ tiêu từ Excel"),
    "targets.figure.set": _("Nhập số liệu tự theo dõi"),
    "targets.period.created": _("Tạo kỳ giao chỉ tiêu, báo cáo"),
}


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """The concrete field values of ``obj`` as a JSON-safe dict (FKs as ids)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude or field.name in getattr(obj, "audit_exclude", ()):
            continue
        data[field.attname] = _jsonable(getattr(obj, field.attname))
    return data


def changed(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the keys whose values differ."""
    if not before or not after:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def entry(
    action: str,
    obj: models.Model | None = None,
    *,
    before=None,
    after=None,
    unit=None,
    user=None,
    repr_text: str | None = None,
):
    """One unsaved audit row, built as :func:`record` saves it; bulk writers (the
    member import) collect these and ``bulk_create`` them inside their transaction."""
    from .models import AuditEntry

    ctx = context.current()
    before, after = changed(before, after)
    if unit is None and obj is not None:
        unit = getattr(obj, "scope_unit", None)
    return AuditEntry(
        user_id=user.pk if user is not None else ctx.user_id,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(repr_text if repr_text is not None else str(obj) if obj is not None else "")[
            :255
        ],
        unit=unit,
        before=before,
        after=after,
        request_id=ctx.request_id,
        ip=ctx.ip,
        source=ctx.source,
    )


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    before=None,
    after=None,
    unit=None,
    user=None,
    repr_text: str | None = None,
):
    """Append one audit row. Call it inside the service's transaction."""
    row = entry(action, obj, before=before, after=after, unit=unit, user=user, repr_text=repr_text)
    row.save(force_insert=True)
    return row


def history_for(obj: models.Model):
    """The audit rows of one record, newest first."""
    from .models import AuditEntry

    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("user", "content_type")
