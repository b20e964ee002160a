"""Emulation services: define criteria (audited), enter manual scores (audited),
and score and rank a unit's children from the data.

Every figure comes from :func:`uutu.targets.progress.figures` (split by child) and
the children's quotas, so the ranking shows the same numbers as the dashboard and
the reports. :func:`rank` runs a fixed number of queries however many children and
cases there are.

Scoring: each criterion gives each child a level (mức đạt):

- indicator, ``completion``: achieved / the child's own quota × 100, capped at the
  criterion's ``cap`` (100 by default: no extra points for over-achievement); no
  quota for the child: no level (0 points, shown as "—");
- indicator, ``relative``: the child's figure / the best child's figure × 100;
- manual: the level the unit entered (0–100), none entered: 0.

Points on a criterion are ``weight × level / 100``; the total is their sum and the
children are ranked by it (equal totals share a rank).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from uutu.accounts import permissions
from uutu.core import audit
from uutu.orgs.models import Unit
from uutu.targets.indicators import BY_CODE
from uutu.targets.models import Period, Quota
from uutu.targets.progress import achieved, figures

from .models import CRITERION_INDICATORS, Criterion, CriterionSet, ManualScore

MANAGE = "emulation.manage"
VIEW = "emulation.view"

ACTION_LABELS = {
    "emulation.criterion.created": _("Thêm tiêu chí thi đua"),
    "emulation.criterion.updated": _("Sửa tiêu chí thi đua"),
    "emulation.criterion.deleted": _("Xóa tiêu chí thi đua"),
    "emulation.criteria.defaults": _("Tạo bộ tiêu chí thi đua mẫu"),
    "emulation.score.set": _("Chấm điểm thi đua"),
}

# The default criteria (100 points): introduction and admission results first,
# as seeds 000 and 003 ask.
DEFAULT_CRITERIA = [
    ("Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp", "introduced", "completion", 30),
    ("Giới thiệu chi hội trưởng cho Đảng", "introduced_branch_heads", "completion", 10),
    ("Hội viên được giới thiệu đã được kết nạp", "admitted", "completion", 30),
    ("Tỷ lệ chi hội trưởng là đảng viên", "branch_heads_party_pct", "relative", 10),
    ("Tuyên truyền về Đảng (số buổi)", "propaganda_sessions", "relative", 10),
    ("Đánh giá chung của Ban Thường vụ", "", "manual", 10),
]

_INDICATOR_CODES = {code for code, _name in CRITERION_INDICATORS}


def _check_manage(actor, unit) -> None:
    if actor is not None and not permissions.can(actor, MANAGE, unit):
        raise ValidationError("Tài khoản của bạn không quản lý thi đua của đơn vị này.")


def _decimal(value, field_name: str, label: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field_name: f"{label} phải là một số."}) from None


def _clean(fields: dict) -> dict:
    """Validate a criterion's fields; Vietnamese messages keyed by field."""
    errors = {}
    name = (fields.get("name") or "").strip()
    if not name:
        errors["name"] = "Vui lòng nhập tên tiêu chí."
    kind = fields.get("kind") or Criterion.Kind.INDICATOR
    if kind not in Criterion.Kind.values:
        errors["kind"] = "Cách chấm không hợp lệ."
    indicator = fields.get("indicator") or ""
    method = fields.get("method") or Criterion.Method.COMPLETION
    if kind == Criterion.Kind.INDICATOR:
        if indicator not in _INDICATOR_CODES:
            errors["indicator"] = "Hãy chọn chỉ tiêu để tính điểm."
        if method not in Criterion.Method.values:
            errors["method"] = "Cách tính không hợp lệ."
    else:
        indicator, method = "", Criterion.Method.COMPLETION
    weight = _decimal(fields.get("weight"), "weight", "Điểm tối đa")
    if weight <= 0:
        errors["weight"] = "Điểm tối đa phải lớn hơn 0."
    elif weight > 1000:
        errors["weight"] = "Điểm tối đa không quá 1.000."
    cap = fields.get("cap")
    cap = Decimal(100) if cap in (None, "") else _decimal(cap, "cap", "Mức đạt tối đa")
    if cap < 100 or cap > 200:
        errors["cap"] = "Mức đạt tối đa từ 100 đến 200 (%)."
    if errors:
        raise ValidationError(errors)
    tenth = Decimal("0.1")
    return {
        "name": name,
        "kind": kind,
        "indicator": indicator,
        "method": method,
        "weight": weight.quantize(tenth),
        "cap": cap.quantize(tenth),
        "order": int(fields.get("order") or 0),
    }


def _set_for(unit, year: int) -> CriterionSet:
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": "Năm không hợp lệ."})
    criterion_set, _created = CriterionSet.objects.get_or_create(unit=unit, year=year)
    return criterion_set


@transaction.atomic
def create_criterion(*, actor, unit, year: int, **fields) -> Criterion:
    """Add a criterion to the unit's set for ``year`` (created when missing)."""
    _check_manage(actor, unit)
    data = _clean(fields)
    criterion_set = _set_for(unit, year)
    if not data["order"]:
        data["order"] = criterion_set.criteria.count() + 1
    criterion = Criterion.objects.create(criterion_set=criterion_set, **data)
    audit.record(
        "emulation.criterion.created",
        criterion,
        after=audit.snapshot(criterion),
        unit=unit,
        user=actor,
    )
    return criterion


@transaction.atomic
def update_criterion(criterion, *, actor, **fields) -> Criterion:
    criterion = Criterion.objects.select_related("criterion_set__unit").get(pk=criterion.pk)
    unit = criterion.criterion_set.unit
    _check_manage(actor, unit)
    data = _clean(fields)
    if not data["order"]:
        data["order"] = criterion.order
    before = audit.snapshot(criterion)
    for key, value in data.items():
        setattr(criterion, key, value)
    criterion.save()
    audit.record(
        "emulation.criterion.updated",
        criterion,
        before=before,
        after=audit.snapshot(criterion),
        unit=unit,
        user=actor,
    )
    return criterion


@transaction.atomic
def delete_criterion(criterion, *, actor) -> None:
    criterion = Criterion.objects.select_related("criterion_set__unit").get(pk=criterion.pk)
    unit = criterion.criterion_set.unit
    _check_manage(actor, unit)
    before = audit.snapshot(criterion)
    before["manual_scores"] = criterion.scores.count()
    audit.record("emulation.criterion.deleted", criterion, before=before, unit=unit, user=actor)
    criterion.delete()


@transaction.atomic
def create_default_criteria(*, actor, unit, year: int) -> list[Criterion]:
    """Give an empty set the default criteria (100 points)."""
    _check_manage(actor, unit)
    criterion_set = _set_for(unit, year)
    if criterion_set.criteria.exists():
        raise ValidationError("Năm này đã có tiêu chí thi đua.")
    made = []
    for order, (name, indicator, method, weight) in enumerate(DEFAULT_CRITERIA, 1):
        kind = Criterion.Kind.MANUAL if method == "manual" else Criterion.Kind.INDICATOR
        made.append(
            Criterion.objects.create(
                criterion_set=criterion_set,
                name=name,
                kind=kind,
                indicator=indicator,
                method=method if kind == Criterion.Kind.INDICATOR else "completion",
                weight=Decimal(weight),
                order=order,
            )
        )
    audit.record(
        "emulation.criteria.defaults",
        criterion_set,
        after={"year": int(year), "criteria": [c.name for c in made]},
        unit=unit,
        user=actor,
    )
    return made


def children(unit, keys=()) -> list[Unit]:
    """The units a unit scores: its active children, and any unit the period's
    figures were attributed to as a child (the tree as of the period end). One
    query."""
    return list(
        Unit.objects.filter(Q(parent=unit, is_active=True) | Q(pk__in=list(keys)))
        .exclude(pk=unit.pk)
        .order_by("name", "pk")
    )


@transaction.atomic
def set_manual_scores(criterion, *, actor, scores: dict) -> int:
    """Enter the manual levels of a criterion: ``{child_unit_id: (score, note)}``;
    ``score`` None clears it. Returns how many changed; each change is audited."""
    criterion = Criterion.objects.select_related("criterion_set__unit").get(pk=criterion.pk)
    unit = criterion.criterion_set.unit
    _check_manage(actor, unit)
    if criterion.kind != Criterion.Kind.MANUAL:
        raise ValidationError("Tiêu chí này được tính từ số liệu, không chấm trực tiếp.")
    allowed = {c.pk: c for c in children(unit)}
    existing = {s.unit_id: s for s in criterion.scores.all()}
    errors = []
    changed = 0
    for unit_id, (score, note) in scores.items():
        child = allowed.get(int(unit_id))
        if child is None:
            errors.append("Đơn vị được chấm không trực thuộc đơn vị đặt tiêu chí.")
            continue
        note = (note or "").strip()[:255]
        current = existing.get(child.pk)
        if score in (None, ""):
            if current is not None:
                audit.record(
                    "emulation.score.set",
                    current,
                    before={"score": str(current.score), "note": current.note},
                    after={"score": None},
                    unit=unit,
                    user=actor,
                )
                current.delete()
                changed += 1
            continue
        value = _decimal(score, "scores", "Mức đạt")
        if not 0 <= value <= 100:
            errors.append(f"{child.name}: mức đạt từ 0 đến 100.")
            continue
        if current is not None and current.score == value and current.note == note:
            continue
        before = {"score": str(current.score), "note": current.note} if current else None
        if current is None:
            current = ManualScore(criterion=criterion, unit=child)
        current.score, current.note = value, note
        current.save()
        audit.record(
            "emulation.score.set",
            current,
            before=before,
            after={"score": str(value), "note": note},
            unit=unit,
            user=actor,
        )
        changed += 1
    if errors:
        raise ValidationError(errors)
    return changed


# --- scoring and ranking ------------------------------------------------------------


@dataclass
class Score:
    level: float | None  # mức đạt, normally 0–100; None: cannot be scored
    points: float
    value: object = None  # the figure behind it (achieved), for display
    detail: str = ""
    name: str = ""  # the criterion's name


@dataclass
class RankRow:
    unit: Unit
    scores: list[Score]
    total: float = 0.0
    rank: int = 0
    percent: float | None = None  # the total as a share of the maximum points


@dataclass
class Ranking:
    unit: Unit
    year: int
    period: Period
    criterion_set: CriterionSet | None
    criteria: list[Criterion] = field(default_factory=list)
    rows: list[RankRow] = field(default_factory=list)

    @property
    def max_points(self) -> float:
        return float(sum(c.weight for c in self.criteria))


def child_quotas(child_ids, period) -> dict[tuple[int, str], Quota]:
    """Every child's quotas for the period, in one query."""
    return {
        (q.unit_id, q.indicator): q
        for q in Quota.objects.filter(unit_id__in=list(child_ids), period=period).only(
            "unit_id", "indicator", "value", "period_id"
        )
    }


def _level_completion(value, quota, cap: float) -> float | None:
    if quota is None or not quota.value or value is None:
        return None
    return round(min(100.0 * float(value) / float(quota.value), cap), 1)


def score_children(criteria, kids, child_values: dict, quotas: dict, manual: dict) -> list:
    """The scores of every child on every criterion (no queries)."""
    rows = [RankRow(unit=kid, scores=[]) for kid in kids]
    for criterion in criteria:
        weight = float(criterion.weight)
        if criterion.kind == Criterion.Kind.MANUAL:
            for row in rows:
                entered = manual.get((criterion.pk, row.unit.pk))
                level = float(entered) if entered is not None else None
                points = round(weight * (level or 0.0) / 100.0, 2)
                row.scores.append(Score(level, points, entered, name=criterion.name))
            continue
        ind = BY_CODE[criterion.indicator]
        values = []
        for row in rows:
            value, detail = achieved(ind, child_values.get(row.unit.pk, {}))
            values.append((value, detail))
        best = max((float(v) for v, _d in values if v is not None), default=0.0)
        for row, (value, detail) in zip(rows, values, strict=True):
            if criterion.method == Criterion.Method.RELATIVE:
                level = round(100.0 * float(value or 0) / best, 1) if best > 0 else 0.0
            else:
                quota = quotas.get((row.unit.pk, criterion.indicator))
                level = _level_completion(value, quota, float(criterion.cap))
                if quota is not None:
                    detail = f"{_fmt(value)} / {_fmt(quota.value)}"
            points = round(weight * (level or 0.0) / 100.0, 2)
            row.scores.append(Score(level, points, value, detail, criterion.name))
    for row in rows:
        row.total = round(sum(s.points for s in row.scores), 2)
    rows.sort(key=lambda r: (-r.total, r.unit.name, r.unit.pk))
    for row in rows:
        row.rank = 1 + sum(1 for other in rows if other.total > row.total)
    return rows


def _fmt(value) -> str:
    if value is None:
        return "—"
    number = float(value)
    text = f"{number:,.1f}".rstrip("0").rstrip(".") if number != int(number) else f"{int(number):,}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def rank(unit, year: int, *, figs: dict | None = None) -> Ranking:
    """Score ``unit``'s children on its criteria for ``year`` and rank them."""
    period = Period.year(year)
    criterion_set = CriterionSet.objects.filter(unit=unit, year=year).first()
    ranking = Ranking(unit=unit, year=year, period=period, criterion_set=criterion_set)
    if criterion_set is None:
        return ranking
    ranking.criteria = list(criterion_set.criteria.all())
    if figs is None:
        figs = figures(unit, period, by_child=True)
    kids = children(unit, figs["children"].keys())
    ids = [k.pk for k in kids]
    quotas = child_quotas(ids, period)
    manual = {}
    if any(c.kind == Criterion.Kind.MANUAL for c in ranking.criteria):
        manual = {
            (s.criterion_id, s.unit_id): s.score
            for s in ManualScore.objects.filter(criterion__criterion_set=criterion_set)
        }
    ranking.rows = score_children(ranking.criteria, kids, figs["children"], quotas, manual)
    top = ranking.max_points
    for row in ranking.rows:
        row.percent = round(100.0 * row.total / top, 1) if top else None
    return ranking


# --- completion of each child (the dashboard) -------------------------------------


@dataclass
class ChildProgress:
    unit: Unit
    rows: list  # (indicator code, name, quota, achieved, completion)
    completion: float | None  # mean completion over its quotas, each capped at 100
    introduced: object = 0
    admitted: object = 0
    introduced_quota: Decimal | None = None
    admitted_quota: Decimal | None = None


def children_progress(unit, period, figs: dict) -> list[ChildProgress]:
    """Each child's achievement against its own quotas, best first; children
    without quotas come last. Two queries (the children, all their quotas)."""
    kids = children(unit, figs["children"].keys())
    quotas = child_quotas([k.pk for k in kids], period)
    by_kid: dict[int, list] = {}
    for (uid, code), quota in quotas.items():
        by_kid.setdefault(uid, []).append((code, quota))
    order = {code: i for i, code in enumerate(BY_CODE)}
    names = {code: str(ind.name) for code, ind in BY_CODE.items()}
    out = []
    for kid in kids:
        values = figs["children"].get(kid.pk, {})
        rows = []
        for code, quota in by_kid.get(kid.pk, ()):
            ind = BY_CODE.get(code)
            if ind is None or ind.source == "per_cell":
                continue
            value, _detail = achieved(ind, values)
            completion = (
                round(100.0 * float(value) / float(quota.value), 1)
                if quota.value and value is not None
                else None
            )
            rows.append((code, names[code], quota.value, value, completion))
        rows.sort(key=lambda r: order[r[0]])
        capped = [min(r[4], 100.0) for r in rows if r[4] is not None]
        out.append(
            ChildProgress(
                unit=kid,
                rows=rows,
                completion=round(sum(capped) / len(capped), 1) if capped else None,
                introduced=values.get("introduced", 0),
                admitted=values.get("admitted", 0),
                introduced_quota=_quota_value(quotas.get((kid.pk, "introduced"))),
                admitted_quota=_quota_value(quotas.get((kid.pk, "admitted"))),
            )
        )
    out.sort(key=lambda c: (c.completion is None, -(c.completion or 0), -c.introduced, c.unit.name))
    return out


def _quota_value(quota):
    return quota.value if quota is not None else None


def current_year() -> int:
    return datetime.date.today().year
