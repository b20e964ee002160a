"""Periodic reports: create, write, submit, approve or return, and the parent's
overview of its children's reports.

Every write runs in a transaction, checks the rules with Vietnamese messages
(``ValidationError``) and appends an audit row. The figures are never counted here:
they come from :func:`uutu.targets.progress.figures` and
:func:`uutu.targets.progress.progress`, the one place figures are computed.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from uutu.accounts import permissions
from uutu.accounts.roles import REPORTS_APPROVE, REPORTS_EDIT, Role, grants
from uutu.core import audit
from uutu.core import officialdoc as od
from uutu.core.scoping import require_in_scope
from uutu.orgs.models import Tree, Unit
from uutu.orgs.services import children_as_of
from uutu.targets import progress as P
from uutu.targets.models import Period, Quota

from .models import EDITABLE, PERIOD_KIND, Kind, Report, ReportDeadline, Status

NARRATIVE_FIELDS = ("results", "difficulties", "proposals")
DOCUMENT_FIELDS = (
    "subtitle",
    "number",
    "place",
    "dated",
    "signer_on_behalf",
    "signer_title",
    "signer_name",
    "recipients",
)
EDIT_FIELDS = NARRATIVE_FIELDS + DOCUMENT_FIELDS

# The children table: (key, Vietnamese header). ``quota`` is the child's quota on
# "introduced"; ``completion`` is introduced / quota in %.
CHILD_COLUMNS = (
    ("quota", "Chỉ tiêu giới thiệu"),
    ("introduced", "Đã giới thiệu"),
    ("introduced_branch_heads", "Trong đó chi hội trưởng"),
    ("introduced_others", "Chi hội phó và hội viên"),
    ("completion", "Tỷ lệ hoàn thành (%)"),
    ("class_completed", "Học lớp nhận thức về Đảng"),
    ("admitted", "Được kết nạp"),
    ("branch_heads_party", "Chi hội trưởng là đảng viên"),
    ("branch_heads", "Tổng số chi hội trưởng"),
)
_SUMMED = tuple(k for k, _label in CHILD_COLUMNS if k != "completion")


# --- formatting -------------------------------------------------------------------


def vn_number(value, decimals: int = 1) -> str:
    """A number the Vietnamese way: 1.711 and 43,7. ``None`` gives "–"."""
    if value is None or value == "":
        return "–"
    value = float(value)
    if value == int(value):
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


vn_date_line = od.vn_date_line


def _strip_prefix(name: str, prefixes) -> str:
    for prefix in prefixes:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def place_for(unit: Unit) -> str:
    """The place name of the date line: the province's area name without "Tỉnh" /
    "Thành phố" (e.g. "Cao Bằng")."""
    chain = [*unit.ancestors(), unit]
    province = next(
        (u for u in chain if u.level.code in ("hoi_province", "dang_province")), chain[-1]
    )
    name = province.area_name or _strip_prefix(
        province.name, ("Hội LHPN ", "Đảng bộ ", "Ban Chấp hành ")
    )
    return _strip_prefix(name, ("Tỉnh ", "Thành phố ", "tỉnh ", "thành phố ")).strip()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def default_subtitle(kind: str, period: Period) -> str:
    phrase = _lower_first(period.name)
    if kind == Kind.MID_TERM:
        phrase = f"sơ kết {phrase}"
    elif kind == Kind.END_OF_TERM:
        phrase = f"tổng kết {phrase}"
    return f"Kết quả bồi dưỡng, giới thiệu hội viên phụ nữ ưu tú cho Đảng xem xét, kết nạp {phrase}"


def default_signer(unit: Unit) -> tuple[str, str, str]:
    """(on behalf of, title, name) of the signature block: the unit's current chair
    if the registry knows her."""
    from uutu.people.models import Position, PositionKind

    if unit.tree == Tree.DANG:
        return "T/M ĐẢNG ỦY", "BÍ THƯ", ""
    chair = (
        Position.objects.current()
        .filter(unit=unit, kind=PositionKind.CHAIR)
        .select_related("person")
        .first()
    )
    return "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", chair.person.full_name if chair else ""


def default_recipients(unit: Unit) -> str:
    lines = []
    if unit.parent is not None:
        lines.append(f"- {unit.parent.name} (để báo cáo);")
    lines.append("- Lưu: VT.")
    return "\n".join(lines)


def period_for(kind: str, year: int) -> Period:
    """The period a six-monthly, nine-monthly or annual report of ``year`` covers."""
    if kind == Kind.SIX_MONTHLY:
        return Period.half(year)
    if kind == Kind.ANNUAL:
        return Period.year(year)
    if kind == Kind.NINE_MONTHLY:
        period, _created = Period.objects.get_or_create(
            kind=Period.Kind.NINE,
            start=datetime.date(year, 1, 1),
            end=datetime.date(year, 9, 30),
            defaults={"name": f"9 tháng đầu năm {year}"},
        )
        return period
    raise ValidationError({"period": "Báo cáo nhiệm kỳ cần chọn kỳ (nhiệm kỳ) cụ thể."})


# --- the figures ------------------------------------------------------------------


def _num(value):
    """JSON-safe number: Decimal → int or float."""
    if value is None:
        return None
    value = float(value)
    return int(value) if value == int(value) else value


def _completion(achieved, quota):
    if quota in (None, 0) or achieved is None:
        return None
    return round(100.0 * float(achieved) / float(quota), 1)


def build_figures(unit: Unit, period: Period) -> dict:
    """Every figure of the report, JSON-safe: one row per indicator (quota, achieved,
    n / N, completion) and the children table (one row per child, with totals)."""
    data = P.figures(unit, period, by_child=True)
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "quota": _num(r.quota),
            "achieved": _num(r.achieved),
            "detail": r.detail,
            "completion": r.completion,
            "percent": r.percent_indicator,
        }
        for r in P.progress(unit, period, values=data["total"])
    ]
    # The children as they stood on the period's end: a commune founded later is not
    # one of a past period's rows, one dissolved since still is.
    child_ids = set(data["children"]) | set(children_as_of(unit, period.end))
    units = list(Unit.objects.filter(pk__in=child_ids).values_list("pk", "name", "code"))
    names = {pk: name for pk, name, _code in units}
    order = {pk: (code, name) for pk, name, code in units}
    quotas = dict(
        Quota.objects.filter(unit_id__in=child_ids, period=period, indicator="introduced")
        .values_list("unit_id", "value")
        .order_by()
    )
    children = []
    for cid in sorted(child_ids, key=lambda i: (order.get(i, ("", "")), i)):
        values = data["children"].get(cid, {})
        row = {"id": cid, "name": names.get(cid, str(cid)), "quota": _num(quotas.get(cid))}
        for key in _SUMMED:
            if key != "quota":
                row[key] = _num(values.get(key, 0))
        row["completion"] = _completion(row["introduced"], row["quota"])
        children.append(row)
    totals = {"name": "Tổng cộng"}
    for key in _SUMMED:
        present = [c[key] for c in children if c[key] is not None]
        totals[key] = _num(sum(present)) if present else None
    totals["completion"] = _completion(totals.get("introduced"), totals.get("quota"))
    return {
        "rows": rows,
        "children": children,
        "totals": totals if children else None,
        "taken_at": timezone.now().isoformat(),
    }


def report_figures(report: Report) -> dict:
    """The figures the report shows: the frozen snapshot once approved, else live."""
    if report.status == Status.APPROVED and report.snapshot:
        return report.snapshot
    return build_figures(report.unit, report.period)


@dataclass
class Difference:
    label: str
    frozen: object
    live: object

    @property
    def frozen_display(self) -> str:
        return vn_number(self.frozen)

    @property
    def live_display(self) -> str:
        return vn_number(self.live)


def live_differs(report: Report) -> list[Difference]:
    """For an approved report, the figures whose live value now differs from the
    snapshot frozen at approval (empty when nothing changed or not approved)."""
    if report.status != Status.APPROVED or not report.snapshot:
        return []
    frozen, live = report.snapshot, build_figures(report.unit, report.period)
    out: list[Difference] = []
    live_rows = {r["code"]: r for r in live["rows"]}
    for row in frozen["rows"]:
        now = live_rows.get(row["code"])
        if now is None:
            continue
        for key, suffix in (("quota", " (chỉ tiêu giao)"), ("achieved", "")):
            if row[key] != now[key]:
                out.append(Difference(f"{row['name']}{suffix}", row[key], now[key]))
    live_children = {c["id"]: c for c in live["children"]}
    labels = dict(CHILD_COLUMNS)
    for child in frozen["children"]:
        now = live_children.get(child["id"], {})
        for key in _SUMMED:
            if child.get(key) != now.get(key):
                out.append(
                    Difference(f"{child['name']} – {labels[key]}", child.get(key), now.get(key))
                )
    return out


def prefilled_results(unit: Unit, period: Period, figures: dict) -> str:
    """A first paragraph of the "results" section, written from the figures; the
    cadre edits it."""
    by_code = {r["code"]: r for r in figures["rows"]}

    def val(code):
        return vn_number(by_code.get(code, {}).get("achieved") or 0)

    intro = by_code.get("introduced", {})
    share = ""
    if intro.get("completion") is not None:
        share = f", đạt {vn_number(intro['completion'])}% chỉ tiêu được giao"
    return (
        f"Trong {_lower_first(period.name)}, {unit.name} đã giới thiệu {val('introduced')} "
        f"hội viên ưu tú cho Đảng xem xét, kết nạp (trong đó {val('introduced_branch_heads')} "
        f"chi hội trưởng, {val('introduced_others')} chi hội phó và hội viên){share}; "
        f"{val('class_completed')} hội viên học lớp bồi dưỡng nhận thức về Đảng; "
        f"{val('proposed')} hội viên được chi bộ đề nghị kết nạp; "
        f"{val('admitted')} hội viên được kết nạp vào Đảng."
    )


# --- permissions ------------------------------------------------------------------


def can_edit(user, report: Report) -> bool:
    return permissions.can(user, REPORTS_EDIT, report.unit)


def can_approve(user, report: Report) -> bool:
    """Only the parent unit approves or returns: a role granting ``reports.approve``
    held at the report's parent unit itself (or a system administrator). A commune
    cadre cannot approve her own commune's report; the province cadre approves the
    communes' reports, a commune cadre her branches'."""
    parent_id = report.unit.parent_id
    for a in permissions.all_assignments(user):
        if not grants(a.role, REPORTS_APPROVE):
            continue
        if a.role == Role.SYSADMIN or (parent_id is not None and a.unit_id == parent_id):
            return True
    return False


def _require_edit(actor, report) -> None:
    if actor is not None and not can_edit(actor, report):
        raise ValidationError("Tài khoản của bạn không có quyền soạn báo cáo của đơn vị này.")


def _require_approver(actor, report) -> None:
    if actor is not None and not can_approve(actor, report):
        raise ValidationError(
            "Chỉ đơn vị cấp trên trực tiếp mới được phê duyệt hoặc trả lại báo cáo này."
        )


def _lock(report: Report) -> Report:
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("unit", "unit__parent", "unit__level", "period")
        .get(pk=report.pk)
    )


# --- the workflow -----------------------------------------------------------------


@transaction.atomic
def create_report(*, unit: Unit, period: Period, kind: str, actor, dated=None) -> Report:
    """A draft report for ``unit`` and ``period``, pre-filled: the figures of its
    subtree, a first "results" paragraph, place, date, signer and recipients."""
    if actor is not None and not permissions.can(actor, REPORTS_EDIT, unit):
        raise ValidationError({"unit": "Bạn không có quyền lập báo cáo cho đơn vị này."})
    if not unit.is_active:
        raise ValidationError({"unit": "Đơn vị đã giải thể hoặc sáp nhập."})
    if kind not in Kind.values:
        raise ValidationError({"kind": "Loại báo cáo không hợp lệ."})
    if PERIOD_KIND[kind] != period.kind:
        raise ValidationError(
            {"period": f"Kỳ “{period.name}” không phù hợp với {Kind(kind).label.lower()}."}
        )
    if Report.objects.filter(unit=unit, period=period, kind=kind).exists():
        raise ValidationError(
            {"period": f"{unit.name} đã có {Kind(kind).label.lower()} cho {period.name}."}
        )
    figures = build_figures(unit, period)
    on_behalf, title, name = default_signer(unit)
    report = Report(
        unit=unit,
        period=period,
        kind=kind,
        subtitle=default_subtitle(kind, period),
        results=prefilled_results(unit, period, figures),
        place=place_for(unit),
        dated=dated or timezone.localdate(),
        signer_on_behalf=on_behalf,
        signer_title=title,
        signer_name=name,
        recipients=default_recipients(unit),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:
        raise ValidationError({"period": "Báo cáo này đã được tạo."}) from exc
    if actor is not None:
        require_in_scope(actor, report, REPORTS_EDIT)
    audit.record("reports.report.created", report, after=audit.snapshot(report), user=actor)
    return report


@transaction.atomic
def update_report(report: Report, *, actor, **fields) -> Report:
    """Edit the narrative and the document fields; only while a draft or returned."""
    report = _lock(report)
    _require_edit(actor, report)
    if report.status not in EDITABLE:
        raise ValidationError(
            "Báo cáo đã gửi hoặc đã được phê duyệt nên không thể sửa."
            if report.status == Status.SUBMITTED
            else "Báo cáo đã được phê duyệt và đã khóa, không thể sửa."
        )
    unknown = set(fields) - set(EDIT_FIELDS)
    if unknown:
        raise ValidationError(f"Không thể sửa: {', '.join(sorted(unknown))}.")
    before = audit.snapshot(report)
    for name, value in fields.items():
        setattr(report, name, value)
    if not report.subtitle.strip():
        raise ValidationError({"subtitle": "Cần có trích yếu của báo cáo."})
    if not report.place.strip():
        raise ValidationError({"place": "Cần có địa danh cho dòng ngày tháng."})
    report.save()
    audit.record(
        "reports.report.updated", report, before=before, after=audit.snapshot(report), user=actor
    )
    return report


@transaction.atomic
def submit_report(report: Report, *, actor) -> Report:
    """Send a draft (or a returned report) to the parent unit."""
    report = _lock(report)
    _require_edit(actor, report)
    if report.status not in EDITABLE:
        raise ValidationError("Chỉ gửi được báo cáo đang soạn hoặc bị trả lại.")
    if report.unit.parent_id is None:
        raise ValidationError("Đơn vị này không có cấp trên để gửi báo cáo.")
    before = audit.snapshot(report)
    report.status = Status.SUBMITTED
    report.submitted_by = actor
    report.submitted_at = timezone.now()
    report.save()
    audit.record(
        "reports.report.submitted",
        report,
        before=before,
        after=audit.snapshot(report),
        user=actor,
    )
    return report


@transaction.atomic
def approve_report(report: Report, *, actor) -> Report:
    """The parent approves: the report is locked and its figures are frozen."""
    report = _lock(report)
    _require_approver(actor, report)
    if report.status != Status.SUBMITTED:
        raise ValidationError("Chỉ phê duyệt được báo cáo đã gửi và đang chờ duyệt.")
    before = audit.snapshot(report)
    now = timezone.now()
    report.snapshot = build_figures(report.unit, report.period)
    report.status = Status.APPROVED
    report.decided_by = actor
    report.decided_at = now
    report.approved_at = now
    report.return_comment = ""
    report.save()
    audit.record(
        "reports.report.approved",
        report,
        before=before,
        after=audit.snapshot(report),
        user=actor,
    )
    return report


@transaction.atomic
def return_report(report: Report, *, actor, comment: str) -> Report:
    """The parent sends a submitted report back with a comment; it can be edited and
    submitted again."""
    report = _lock(report)
    _require_approver(actor, report)
    if report.status != Status.SUBMITTED:
        raise ValidationError("Chỉ trả lại được báo cáo đã gửi và đang chờ duyệt.")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Cần ghi rõ lý do trả lại để đơn vị sửa."})
    before = audit.snapshot(report)
    report.status = Status.RETURNED
    report.return_comment = comment
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.save()
    audit.record(
        "reports.report.returned",
        report,
        before=before,
        after=audit.snapshot(report),
        user=actor,
    )
    return report


# --- deadlines and the parent's overview ------------------------------------------


@transaction.atomic
def set_deadline(*, unit: Unit, period: Period, kind: str, due: datetime.date, actor):
    """Set (or move) the date by which ``unit``'s children must submit their
    reports of ``period`` and ``kind``."""
    if actor is not None and not permissions.can(actor, REPORTS_APPROVE, unit):
        raise ValidationError({"unit": "Bạn không có quyền đặt hạn nộp báo cáo cho đơn vị này."})
    if PERIOD_KIND.get(kind) != period.kind:
        raise ValidationError(
            {"period": f"Kỳ “{period.name}” không phù hợp với {Kind(kind).label.lower()}."}
        )
    if due < period.start:
        raise ValidationError({"due": "Hạn nộp không thể trước ngày bắt đầu kỳ báo cáo."})
    deadline = (
        ReportDeadline.objects.select_for_update()
        .filter(unit=unit, period=period, kind=kind)
        .first()
    )
    before = audit.snapshot(deadline) if deadline else None
    if deadline is None:
        deadline = ReportDeadline(unit=unit, period=period, kind=kind)
    deadline.due = due
    deadline.set_by = actor
    deadline.save()
    audit.record(
        "reports.deadline.set", deadline, before=before, after=audit.snapshot(deadline), user=actor
    )
    return deadline


@dataclass
class ChildStatus:
    """One child in the parent's overview."""

    unit: Unit
    report: Report | None
    deadline: ReportDeadline | None
    today: datetime.date

    @property
    def submitted(self) -> bool:
        return self.report is not None and self.report.status in (
            Status.SUBMITTED,
            Status.APPROVED,
        )

    @property
    def late(self) -> bool:
        if self.deadline is None:
            return False
        if self.submitted:
            sent = (
                timezone.localdate(self.report.submitted_at) if self.report.submitted_at else None
            )
            return sent is not None and sent > self.deadline.due
        return self.today > self.deadline.due


def children_overview(unit: Unit, period: Period | None, kind: str, today=None) -> dict:
    """Every active child of ``unit`` with its report of ``period`` and ``kind`` (if
    any), whether it has submitted, and whether it is late against the deadline.
    ``period`` may be None when no such period exists yet: nobody has submitted."""
    today = today or timezone.localdate()
    children = list(Unit.objects.filter(parent=unit, is_active=True).order_by("name"))
    reports, deadline = {}, None
    if period is not None:
        reports = {
            r.unit_id: r for r in Report.objects.filter(unit__in=children, period=period, kind=kind)
        }
        deadline = ReportDeadline.objects.filter(unit=unit, period=period, kind=kind).first()
    rows = [ChildStatus(c, reports.get(c.pk), deadline, today) for c in children]
    return {
        "rows": rows,
        "deadline": deadline,
        "not_submitted": [r for r in rows if not r.submitted],
        "late": [r for r in rows if r.late],
        "approved": [r for r in rows if r.report and r.report.status == Status.APPROVED],
    }
