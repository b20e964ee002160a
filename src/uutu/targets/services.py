"""Writing quotas, allocations, manual figures and periods.

Every function runs in one transaction, checks that the actor may manage the unit,
validates with Vietnamese messages (``ValidationError``) and appends an audit row.

Who may set a quota: a quota is *handed down*, so a unit's quota is set by whoever
manages its parent (the province gives the communes theirs, the commune its chi
hội). A province's own quota comes from the central Hội, which does not run uutu,
so the province's cadres type it in themselves. Manual figures are entered by the
unit itself (or anyone managing it from above).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from uutu.accounts import permissions
from uutu.accounts.roles import TARGETS_MANAGE, TARGETS_PERIODS
from uutu.core import audit
from uutu.orgs.models import Tree, Unit

from .indicators import BY_CODE, MANUAL_CHOICES
from .models import ManualFigure, Period, Quota

COMMUNE_LEVELS = ("hoi_commune", "hoi_affiliate")
FLAG_INDICATORS = {code for code, _name in MANUAL_CHOICES if BY_CODE[code].source == "manual_flag"}
MANUAL_CODES = {code for code, _name in MANUAL_CHOICES}
TOP_LEVELS = ("hoi_central", "dang_central")

NO_RIGHT = "Bạn không có quyền giao chỉ tiêu cho {unit}."


def _decimal(value, label: str = "Giá trị") -> Decimal:
    if value is None or value == "":
        raise ValidationError({"value": f"{label}: vui lòng nhập một số."})
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"value": f"{label}: “{value}” không phải là số."}) from exc
    if not number.is_finite():
        raise ValidationError({"value": f"{label}: “{value}” không phải là số."})
    if number < 0:
        raise ValidationError({"value": f"{label} không được âm."})
    if number >= Decimal("1e9"):
        raise ValidationError({"value": f"{label} quá lớn."})
    return number.quantize(Decimal("0.1"))


def _indicator(code: str):
    indicator = BY_CODE.get(code)
    if indicator is None:
        raise ValidationError({"indicator": f"Chỉ tiêu “{code}” không có trong danh mục."})
    return indicator


def _period(period) -> Period:
    if period is None or not isinstance(period, Period) or period.pk is None:
        raise ValidationError({"period": "Kỳ giao chỉ tiêu không tồn tại."})
    if not Period.objects.filter(pk=period.pk).exists():
        raise ValidationError({"period": "Kỳ giao chỉ tiêu không tồn tại."})
    return period


def may_set_quota(user, unit: Unit) -> bool:
    """A unit's quota is set by whoever manages its parent; the top units in uutu
    (provinces, whose parent is the central body) by their own cadres."""
    if user is None:  # a command or the demo data
        return True
    parent = unit.parent
    if parent is not None and permissions.can(user, TARGETS_MANAGE, parent):
        return True
    top = parent is None or parent.level.code in TOP_LEVELS
    return top and permissions.can(user, TARGETS_MANAGE, unit)


def may_allocate(user, parent: Unit) -> bool:
    return user is None or permissions.can(user, TARGETS_MANAGE, parent)


def may_enter_figures(user, unit: Unit) -> bool:
    return user is None or permissions.can(user, TARGETS_MANAGE, unit)


def _check_unit(unit: Unit) -> None:
    if unit is None or unit.tree != Tree.HOI:
        raise ValidationError({"unit": "Chỉ tiêu được giao cho đơn vị Hội LHPN."})
    if not unit.is_active:
        raise ValidationError({"unit": f"Đơn vị “{unit.name}” đã giải thể hoặc sáp nhập."})


def _write_quota(unit, period, code, value, actor, note=None) -> tuple[Quota, bool]:
    """Create or update one quota with its audit row. Returns (quota, changed)."""
    existing = (
        Quota.objects.select_for_update().filter(unit=unit, period=period, indicator=code).first()
    )
    if existing is None:
        quota = Quota.objects.create(
            unit=unit, period=period, indicator=code, value=value, note=note or ""
        )
        audit.record(
            "targets.quota.set",
            quota,
            after=audit.snapshot(quota, exclude=("updated_at",)),
            user=actor,
        )
        return quota, True
    if existing.value == value and (note is None or note == existing.note):
        return existing, False
    before = audit.snapshot(existing, exclude=("updated_at",))
    existing.value = value
    if note is not None:
        existing.note = note
    existing.save()
    audit.record(
        "targets.quota.set",
        existing,
        before=before,
        after=audit.snapshot(existing, exclude=("updated_at",)),
        user=actor,
    )
    return existing, True


@transaction.atomic
def set_quota(unit: Unit, period: Period, indicator: str, value, actor, *, note=None) -> Quota:
    """Give ``unit`` its quota on ``indicator`` for ``period`` (create or update)."""
    _check_unit(unit)
    _period(period)
    ind = _indicator(indicator)
    number = _decimal(value, "Mức giao")
    if ind.percent and number > 100:
        raise ValidationError({"value": "Tỷ lệ không được lớn hơn 100%."})
    if not may_set_quota(actor, unit):
        raise ValidationError(NO_RIGHT.format(unit=unit.name))
    quota, _changed = _write_quota(unit, period, indicator, number, actor, note)
    return quota


@transaction.atomic
def remove_quota(unit: Unit, period: Period, indicator: str, actor) -> bool:
    """Take a quota away (a blank in the form). Returns whether one existed."""
    if not may_set_quota(actor, unit):
        raise ValidationError(NO_RIGHT.format(unit=unit.name))
    quota = Quota.objects.filter(unit=unit, period=period, indicator=indicator).first()
    if quota is None:
        return False
    before = audit.snapshot(quota, exclude=("updated_at",))
    audit.record("targets.quota.removed", quota, before=before, user=actor)
    quota.delete()
    return True


@transaction.atomic
def allocate(parent: Unit, period: Period, indicator: str, values: dict, actor) -> int:
    """Split ``parent``'s quota among its children: ``values`` is ``{child: value}``
    (``None`` or ``""`` leaves a child without quota). All or nothing. Returns the
    number of quotas changed. Under- or over-allocation is allowed (the screen warns)."""
    _check_unit(parent)
    _period(period)
    ind = _indicator(indicator)
    if not may_allocate(actor, parent):
        raise ValidationError(NO_RIGHT.format(unit=parent.name))
    errors = {}
    cleaned = {}
    for child, value in values.items():
        if child.parent_id != parent.pk or not child.is_active:
            errors.setdefault("__all__", []).append(
                f"“{child.name}” không phải là đơn vị trực thuộc {parent.name}."
            )
            continue
        if value is None or value == "":
            cleaned[child] = None
            continue
        try:
            number = _decimal(value, child.name)
        except ValidationError as exc:
            errors.setdefault(f"child_{child.pk}", []).extend(exc.messages)
            continue
        if ind.percent and number > 100:
            errors.setdefault(f"child_{child.pk}", []).append(
                f"{child.name}: tỷ lệ không được lớn hơn 100%."
            )
            continue
        cleaned[child] = number
    if errors:
        raise ValidationError(errors)
    changed = 0
    for child, number in cleaned.items():
        if number is None:
            existing = Quota.objects.filter(unit=child, period=period, indicator=indicator).first()
            if existing is not None:
                audit.record(
                    "targets.quota.removed",
                    existing,
                    before=audit.snapshot(existing, exclude=("updated_at",)),
                    user=actor,
                )
                existing.delete()
                changed += 1
            continue
        _quota, did = _write_quota(child, period, indicator, number, actor)
        changed += did
    if changed:
        audit.record(
            "targets.quota.allocated",
            parent,
            unit=parent,
            after={
                "period": period.pk,
                "indicator": indicator,
                "values": {
                    str(c.pk): str(v) if v is not None else None for c, v in cleaned.items()
                },
            },
            user=actor,
            repr_text=f"{parent.name} – {ind.name} – {period.name}",
        )
    return changed


@transaction.atomic
def set_manual_figure(unit: Unit, period: Period, indicator: str, value, actor) -> ManualFigure:
    """Enter one figure the pipeline does not track (create or update)."""
    _check_unit(unit)
    _period(period)
    if indicator not in MANUAL_CODES:
        raise ValidationError({"indicator": f"“{indicator}” không phải là số liệu tự nhập."})
    ind = BY_CODE[indicator]
    number = _decimal(value, str(ind.name))
    if indicator in FLAG_INDICATORS:
        if unit.level.code not in COMMUNE_LEVELS:
            raise ValidationError(
                {"value": "Chỉ cơ sở Hội (xã, phường, đặc khu) ghi nhận có hay không có mô hình."}
            )
        if number not in (0, 1):
            raise ValidationError({"value": f"{ind.name}: chỉ nhận 0 (không) hoặc 1 (có)."})
    elif number != number.to_integral_value():
        raise ValidationError({"value": f"{ind.name}: hãy nhập một số nguyên."})
    if not may_enter_figures(actor, unit):
        raise ValidationError(f"Bạn không có quyền nhập số liệu của {unit.name}.")
    existing = (
        ManualFigure.objects.select_for_update()
        .filter(unit=unit, period=period, indicator=indicator)
        .first()
    )
    if existing is None:
        figure = ManualFigure.objects.create(
            unit=unit, period=period, indicator=indicator, value=number
        )
        audit.record(
            "targets.figure.set",
            figure,
            after=audit.snapshot(figure, exclude=("updated_at",)),
            user=actor,
        )
        return figure
    if existing.value != number:
        before = audit.snapshot(existing, exclude=("updated_at",))
        existing.value = number
        existing.save()
        audit.record(
            "targets.figure.set",
            existing,
            before=before,
            after=audit.snapshot(existing, exclude=("updated_at",)),
            user=actor,
        )
    return existing


def period_dates(kind: str, year: int | None, start=None, end=None):
    """The dates of a period: a year, the first 6 or 9 months of a year, or the
    given dates of a term (nhiệm kỳ) or mid-term review."""
    if kind == Period.Kind.YEAR:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31), f"Năm {year}"
    if kind == Period.Kind.HALF:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30), f"6 tháng đầu năm {year}"
    if kind == Period.Kind.NINE:
        return datetime.date(year, 1, 1), datetime.date(year, 9, 30), f"9 tháng năm {year}"
    if kind == Period.Kind.TERM:
        return start, end, f"Nhiệm kỳ {start.year}–{end.year}"
    return start, end, f"Giữa nhiệm kỳ {start.year}–{end.year}"


@transaction.atomic
def create_period(
    *, kind: str, year: int | None = None, start=None, end=None, name: str = "", actor
) -> Period:
    """Create a reporting period: ``year``, ``half``, ``nine`` (from ``year``) or
    ``term`` / ``mid_term`` (from ``start`` and ``end``, e.g. 2021–2026)."""
    if actor is not None and not permissions.has_any(actor, TARGETS_PERIODS):
        raise ValidationError("Bạn không có quyền tạo kỳ báo cáo.")
    if kind not in Period.Kind.values:
        raise ValidationError({"kind": "Loại kỳ không hợp lệ."})
    if kind in (Period.Kind.YEAR, Period.Kind.HALF, Period.Kind.NINE):
        if not year or not 2000 <= int(year) <= 2100:
            raise ValidationError({"year": "Vui lòng nhập năm (từ 2000 đến 2100)."})
        start, end, default_name = period_dates(kind, int(year))
    else:
        if start is None or end is None:
            raise ValidationError(
                {"start": "Nhiệm kỳ cần có ngày bắt đầu và ngày kết thúc."}
                if start is None
                else {"end": "Nhiệm kỳ cần có ngày bắt đầu và ngày kết thúc."}
            )
        if end <= start:
            raise ValidationError({"end": "Ngày kết thúc phải sau ngày bắt đầu."})
        if end.year - start.year > 10:
            raise ValidationError({"end": "Một nhiệm kỳ không dài quá 10 năm."})
        start, end, default_name = period_dates(kind, None, start, end)
    if Period.objects.filter(kind=kind, start=start, end=end).exists():
        raise ValidationError(
            f"Kỳ này đã có ({start:%d/%m/%Y} – {end:%d/%m/%Y}); không cần tạo lại."
        )
    period = Period.objects.create(
        kind=kind, start=start, end=end, name=(name or "").strip()[:50] or default_name
    )
    audit.record("targets.period.created", period, after=audit.snapshot(period), user=actor)
    return period


@transaction.atomic
def import_quotas(parent: Unit, period: Period, upload, actor) -> int:
    """Allocate from an uploaded quota table (see :mod:`uutu.targets.excel`): every
    row and cell is validated first, then all indicators are written in one
    transaction. Re-importing the same file changes nothing. Returns the number of
    quotas changed."""
    from . import excel

    _check_unit(parent)
    _period(period)
    if not may_allocate(actor, parent):
        raise ValidationError(NO_RIGHT.format(unit=parent.name))
    indicators, values = excel.read_quotas(parent, period, upload)
    changed = 0
    for ind in indicators:
        changed += allocate(parent, period, ind.code, values[ind.code], actor)
    if not changed:
        return 0
    audit.record(
        "targets.quota.imported",
        parent,
        unit=parent,
        after={
            "period": period.pk,
            "indicators": [i.code for i in indicators],
            "changed": changed,
            "file": getattr(upload, "name", ""),
        },
        user=actor,
        repr_text=f"{parent.name} – {period.name}",
    )
    return changed


@transaction.atomic
def set_quotas(unit: Unit, period: Period, values: dict, actor) -> int:
    """A unit's own quotas from one form: ``{indicator: value or None}`` (None takes
    the quota away). All or nothing; returns the number changed."""
    if not may_set_quota(actor, unit):
        raise ValidationError(NO_RIGHT.format(unit=unit.name))
    current = {q.indicator: q.value for q in Quota.objects.filter(unit=unit, period=period)}
    changed = 0
    for code, value in values.items():
        if value is None or value == "":
            changed += remove_quota(unit, period, code, actor)
        elif current.get(code) != _decimal(value):
            set_quota(unit, period, code, value, actor)
            changed += 1
    return changed


@transaction.atomic
def set_manual_figures(unit: Unit, period: Period, values: dict, actor) -> int:
    """Several manual figures at once (one form). Returns the number changed."""
    current = {f.indicator: f.value for f in ManualFigure.objects.filter(unit=unit, period=period)}
    changed = 0
    for code, value in values.items():
        figure = set_manual_figure(unit, period, code, value, actor)
        changed += current.get(code) != figure.value
    return changed


def allocation_status(own, values, indicator) -> tuple[str, str]:
    """How the children's quotas compare with the unit's own: ``(level, message)``
    with level ``success``, ``warning`` or ``info`` (Bootstrap alert colours)."""
    given = [v for v in values if v is not None]
    name = BY_CODE[indicator].name if isinstance(indicator, str) else indicator.name
    ind = BY_CODE[indicator] if isinstance(indicator, str) else indicator
    if own is None:
        return "info", (
            f"Đơn vị chưa được giao chỉ tiêu “{name}” cho kỳ này, nên chưa so sánh được "
            "với tổng đã phân bổ."
        )
    own = Decimal(own)
    if ind.percent or ind.source not in ("event", "manual"):
        lower = sum(1 for v in given if v < own)
        if lower:
            return "warning", (
                f"Có {lower} đơn vị trực thuộc được giao thấp hơn mức của đơn vị "
                f"({_fmt(own)}). Chỉ tiêu này không cộng dồn: mỗi đơn vị cần đạt ít nhất "
                "mức của cấp trên."
            )
        return "success", "Chỉ tiêu này không cộng dồn; các đơn vị đều được giao bằng hoặc cao hơn."
    total = sum(given, Decimal(0))
    if total < own:
        return "warning", (
            f"Giao chưa đủ: tổng đã giao cho các đơn vị trực thuộc là {_fmt(total)}, thấp hơn "
            f"chỉ tiêu được giao {_fmt(own)} (còn thiếu {_fmt(own - total)})."
        )
    if total > own:
        return "warning", (
            f"Giao vượt: tổng đã giao cho các đơn vị trực thuộc là {_fmt(total)}, cao hơn "
            f"chỉ tiêu được giao {_fmt(own)} (vượt {_fmt(total - own)})."
        )
    return "success", f"Đã giao đủ: tổng {_fmt(total)} bằng chỉ tiêu được giao."


def _fmt(value) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:.1f}".replace(".", ",")
