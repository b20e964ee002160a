"""Every step of a case goes through one of these functions. Each runs in a
transaction, checks the order of the steps and the rules in force on the step's
date, writes the :class:`CaseEvent` in the unit where it happened, updates the
next deadline and appends the audit row. A refused step leaves the case as it was.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from uutu.accounts import permissions
from uutu.core import audit
from uutu.orgs.models import Tree
from uutu.people.models import Party, Person, Position, PositionKind

from . import counters
from . import rules as R
from .models import (
    EXIT_STATUSES,
    STEP_ORDER,
    AwarenessClass,
    Case,
    CaseEvent,
    Dossier,
    Enrolment,
    Introducer,
    Organisation,
    Status,
    Step,
    search_name_for,
)
from .workdays import add_months, add_working_days

# Which permission records which step, and which steps must come first.
STEP_ACTION = {
    Step.SOURCE: "pipeline.hoi",
    Step.CULTIVATION: "pipeline.hoi",
    Step.INTRODUCED: "pipeline.hoi",
    Step.SYMPATHISER: "pipeline.party",
    Step.CLASS: "pipeline.class",
    Step.DOSSIER: "pipeline.party",
    Step.CELL_RESOLUTION: "pipeline.party",
    Step.COMMITTEE_RESOLUTION: "pipeline.committee",
    Step.DECISION: "pipeline.committee",
    Step.CEREMONY: "pipeline.party",
    Step.OFFICIAL: "pipeline.committee",
}
PREREQUISITES = {
    Step.CULTIVATION: (Step.SOURCE,),
    Step.INTRODUCED: (Step.CULTIVATION,),
    Step.SYMPATHISER: (Step.INTRODUCED,),
    Step.CLASS: (Step.SOURCE,),
    Step.DOSSIER: (Step.SYMPATHISER, Step.CLASS),
    Step.CELL_RESOLUTION: (Step.DOSSIER,),
    Step.COMMITTEE_RESOLUTION: (Step.CELL_RESOLUTION,),
    Step.DECISION: (Step.COMMITTEE_RESOLUTION,),
    Step.CEREMONY: (Step.DECISION,),
    Step.OFFICIAL: (Step.CEREMONY,),
}
PARTY_STEPS = (
    Step.SYMPATHISER,
    Step.DOSSIER,
    Step.CELL_RESOLUTION,
    Step.COMMITTEE_RESOLUTION,
    Step.DECISION,
    Step.CEREMONY,
    Step.OFFICIAL,
)
ACTIVE = (Status.OPEN, Status.PAUSED)
POSITION_PRIORITY = (
    PositionKind.BRANCH_HEAD,
    PositionKind.BRANCH_DEPUTY,
    PositionKind.GROUP_HEAD,
    PositionKind.GROUP_DEPUTY,
)


def _label(step) -> str:
    return str(Step(step).label)


def step_dates(case) -> dict[str, datetime.date]:
    """The date each step was recorded (the latest if recorded again after a reopen)."""
    dates = {}
    for step, date in case.events.filter(kind=CaseEvent.Kind.STEP).values_list("step", "date"):
        dates[step] = date
    return dates


def can_record(user, case, step) -> bool:
    action = STEP_ACTION[step]
    unit = case.party_unit if step in PARTY_STEPS else case.branch
    if step in PARTY_STEPS and case.party_unit is None:
        return False
    if step == Step.CLASS:
        return any(permissions.can(user, action, u) for u in (case.branch, case.party_unit) if u)
    return unit is not None and permissions.can(user, action, unit)


def _authorise(actor, case, step) -> None:
    if actor is not None and not can_record(actor, case, step):
        if step == Step.CLASS:
            side = "đơn vị tổ chức lớp"
        else:
            side = "tổ chức Đảng" if step in PARTY_STEPS else "Hội LHPN"
        raise ValidationError(
            f"Bước “{_label(step)}” do {side} ghi nhận; tài khoản của bạn không có quyền này."
        )


def _check_date(on: datetime.date, label: str = "Ngày") -> None:
    if on is None:
        raise ValidationError("Vui lòng nhập ngày.")
    if on > datetime.date.today():
        raise ValidationError(f"{label} không được ở tương lai.")


def _require(case, step, on) -> dict:
    """Check the case is open, the step not yet recorded, its prerequisites recorded
    on or before ``on``. Returns the step dates."""
    if case.status != Status.OPEN:
        raise ValidationError(
            f"Hồ sơ đang ở trạng thái “{case.get_status_display()}”: hãy mở lại trước khi "
            "ghi bước mới."
        )
    dates = step_dates(case)
    if step in dates:
        raise ValidationError(
            f"Bước “{_label(step)}” đã được ghi nhận ngày {dates[step]:%d/%m/%Y}."
        )
    for before in PREREQUISITES.get(step, ()):
        if before not in dates:
            raise ValidationError(
                f"Chưa thể ghi “{_label(step)}”: hồ sơ chưa qua bước “{_label(before)}”."
            )
        if on < dates[before]:
            raise ValidationError(
                f"Ngày của bước “{_label(step)}” ({on:%d/%m/%Y}) không được trước ngày của "
                f"bước “{_label(before)}” ({dates[before]:%d/%m/%Y})."
            )
    return dates


def _furthest(dates: dict) -> str:
    steps = [s for s in dates if s != Step.CLASS or Step.SYMPATHISER in dates]
    return max(steps, key=lambda s: STEP_ORDER[s]) if steps else Step.SOURCE


def _update_deadline(case, dates: dict) -> None:
    """The next legal deadline: the committee's decision after the cell resolution,
    the ceremony after the decision, recognition after probation."""
    case.due_step, case.due_on = "", None
    if case.status == Status.OPEN:
        if Step.DECISION not in dates and Step.CELL_RESOLUTION in dates:
            rules = R.rules_on(dates[Step.CELL_RESOLUTION])
            case.due_step = Step.DECISION
            case.due_on = add_working_days(dates[Step.CELL_RESOLUTION], rules.decision_working_days)
        elif Step.DECISION in dates and Step.CEREMONY not in dates:
            rules = R.rules_on(dates[Step.DECISION])
            case.due_step = Step.CEREMONY
            case.due_on = add_working_days(dates[Step.DECISION], rules.ceremony_working_days)
        elif Step.CEREMONY in dates and Step.OFFICIAL not in dates:
            rules = R.rules_on(dates[Step.CEREMONY])
            probation_end = add_months(dates[Step.CEREMONY], rules.probation_months)
            case.due_step = Step.OFFICIAL
            case.due_on = add_working_days(probation_end, rules.recognition_working_days)


def _event_unit(case, step):
    if step in (Step.COMMITTEE_RESOLUTION, Step.DECISION, Step.OFFICIAL):
        cell = case.party_unit
        return cell.parent if cell and cell.level.code == "dang_cell" else cell
    if step in PARTY_STEPS:
        return case.party_unit
    return case.branch or case.party_unit


def _hoi_context(case, on):
    """The chi hội she belonged to on ``on`` and the highest position she held there
    (chi hội trưởng, chi hội phó…): the Hội's figures count the event there."""
    if case.person_id is None:
        return None, ""
    membership = (
        case.person.memberships.filter(start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gt=on))
        .order_by("-start")
        .first()
    )
    branch_id = membership.branch_id if membership else case.branch_id
    kinds = set(
        Position.objects.current(on).filter(person_id=case.person_id).values_list("kind", flat=True)
    )
    position = next((k for k in POSITION_PRIORITY if k in kinds), "")
    return branch_id, position


def _record(
    case, step, on, *, actor, doc_no="", note="", unit=None, data=None, organisation=None
) -> CaseEvent:
    before = audit.snapshot(case)
    hoi_unit, position = _hoi_context(case, on)
    event = CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.STEP,
        step=step,
        date=on,
        doc_no=doc_no or "",
        note=note or "",
        unit=unit or _event_unit(case, step),
        hoi_unit_id=hoi_unit,
        position=position,
        actor=actor,
        data=data or {},
        organisation=organisation or case.organisation,
    )
    counters.count_events([event], case=case)  # the figures' counters, same transaction
    dates = step_dates(case)
    case.step = _furthest(dates)
    _update_deadline(case, dates)
    case.save()
    audit.record(
        f"pipeline.case.{step}",
        case,
        before=before,
        after=audit.snapshot(case),
        unit=event.unit,
        user=actor,
    )
    return event


def _lock(case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related(
            "branch",
            "branch__parent",
            "party_unit",
            "party_unit__parent",
            "party_unit__level",
            "person",
        )
        .get(pk=case.pk)
    )


# --- the cases' search text ----------------------------------------------------


def search_name_changes(cases=None) -> list[Case]:
    """The cases (of ``cases``, default all) whose search text (``Case.search_name``)
    is not what their names give now, as unsaved cases holding the right text."""
    cases = Case.objects.all() if cases is None else cases
    rows = cases.values_list("pk", "full_name", "person__search_name", "search_name")
    changed = []
    for pk, full_name, member, current in rows.iterator(chunk_size=10_000):
        search_name = search_name_for(full_name, member)
        if search_name != current:
            changed.append(Case(pk=pk, search_name=search_name))
    return changed


def write_search_names(changed: list[Case]) -> int:
    """Write the search text of :func:`search_name_changes`' cases; how many."""
    Case.objects.bulk_update(changed, ["search_name"], batch_size=1000)
    return len(changed)


def refresh_search_names(person_ids) -> int:
    """After members were renamed: their cases' search text from the cases' own
    names and the members' new ones. Derived data, like the member's own folded
    name: no event, no audit entry, ``updated_at`` kept. ``manage.py verify``
    checks every case's."""
    return write_search_names(search_name_changes(Case.objects.filter(person_id__in=person_ids)))


# --- the Hội's steps --------------------------------------------------------------


@transaction.atomic
def open_case(person, *, on: datetime.date, actor, note: str = "") -> Case:
    """Spot a member as a source (tạo nguồn)."""
    _check_date(on)
    person = Person.objects.select_for_update().select_related("branch").get(pk=person.pk)
    if person.is_archived:
        raise ValidationError("Hội viên đã được lưu trữ.")
    if person.party_status in (Party.PROBATIONARY, Party.OFFICIAL):
        raise ValidationError(f"{person.full_name} đã là đảng viên.")
    if Case.objects.filter(person=person, status__in=ACTIVE).exists():
        raise ValidationError(f"{person.full_name} đã có hồ sơ đang theo dõi.")
    left = person.party_periods.filter(status=Party.LEFT).order_by("-start").first()
    case = Case(
        person=person,
        organisation=Organisation.HOI,
        full_name=person.full_name,
        birth_date=person.birth_date,
        education=person.education,
        ethnicity=person.ethnicity,
        left_party_on=left.start if left else None,
        branch=person.branch,
        opened_on=on,
    )
    _authorise(actor, case, Step.SOURCE)
    case.save()
    audit.record("pipeline.case.opened", case, after=audit.snapshot(case), user=actor)
    _record(case, Step.SOURCE, on, actor=actor, note=note)
    return case


@transaction.atomic
def start_cultivation(case, *, on: datetime.date, plan: str = "", actor) -> Case:
    case = _lock(case)
    _authorise(actor, case, Step.CULTIVATION)
    _check_date(on)
    _require(case, Step.CULTIVATION, on)
    case.plan = plan or case.plan
    _record(case, Step.CULTIVATION, on, actor=actor)
    return case


@transaction.atomic
def assign_mentor(case, *, mentor, on: datetime.date, actor) -> Case:
    """The "1+1" pair: a woman party member cultivates the candidate."""
    case = _lock(case)
    _authorise(actor, case, Step.CULTIVATION)
    _check_date(on)
    if case.status != Status.OPEN:
        raise ValidationError(
            f"Hồ sơ đang ở trạng thái “{case.get_status_display()}”: hãy mở lại trước."
        )
    if mentor.party_status not in (Party.PROBATIONARY, Party.OFFICIAL):
        raise ValidationError(
            f"{mentor.full_name} chưa là đảng viên: người kèm cặp “1+1” phải là đảng viên nữ."
        )
    if case.person_id == mentor.pk:
        raise ValidationError("Người kèm cặp phải là một người khác.")
    before = audit.snapshot(case)
    case.mentor = mentor
    case.save(update_fields=["mentor", "updated_at"])
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.MENTOR,
        date=on,
        unit=case.branch or case.party_unit,
        actor=actor,
        note=mentor.full_name,
        data={"mentor": mentor.pk},
    )
    audit.record(
        "pipeline.case.mentor", case, before=before, after=audit.snapshot(case), user=actor
    )
    return case


@transaction.atomic
def add_note(case, *, on: datetime.date, text: str, actor) -> CaseEvent:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Vui lòng nhập nội dung ghi chép."})
    _check_date(on)
    case = _lock(case)
    if case.status not in ACTIVE:
        raise ValidationError(f"Hồ sơ đã “{case.get_status_display()}”: không ghi thêm được.")
    unit = case.branch or case.party_unit
    if actor is not None and not permissions.can(actor, "pipeline.note", unit):
        raise ValidationError("Tài khoản của bạn không ghi được ghi chép bồi dưỡng.")
    event = CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.NOTE, date=on, unit=unit, actor=actor, note=text
    )
    audit.record("pipeline.case.note", case, after={"note": text}, unit=unit, user=actor)
    return event


def cells_for(case):
    """The party cells a Hội member can be introduced to: those under her commune's
    party committee, the counterpart of her chi hội first."""
    from uutu.orgs.models import Unit

    commune = case.branch.parent if case.branch else None
    committee = commune.counterpart if commune else None
    if committee is None:
        return Unit.objects.none()
    return Unit.objects.filter(
        tree=Tree.DANG,
        level__code="dang_cell",
        is_active=True,
        path__startswith=committee.path,
    ).order_by("name")


@transaction.atomic
def introduce(case, *, cell, on: datetime.date, doc_no: str = "", actor) -> Case:
    """The Hội formally introduces her to the party cell where she lives."""
    case = _lock(case)
    _authorise(actor, case, Step.INTRODUCED)
    _check_date(on)
    if cell is None or cell.tree != Tree.DANG or cell.level.code != "dang_cell":
        raise ValidationError({"cell": "Hãy chọn một chi bộ."})
    if not cell.is_active:
        raise ValidationError({"cell": f"{cell.name} đã giải thể hoặc sáp nhập."})
    if case.branch is not None and not cells_for(case).filter(pk=cell.pk).exists():
        raise ValidationError({"cell": f"{cell.name} không thuộc Đảng bộ xã của hội viên."})
    _require(case, Step.INTRODUCED, on)
    old_party_unit = case.party_unit_id
    case.party_unit = cell
    counters.case_party_unit_changed(case, old_party_unit)
    _record(
        case,
        Step.INTRODUCED,
        on,
        actor=actor,
        doc_no=doc_no,
        unit=case.branch,
        data={"cell": cell.pk},
    )
    return case


@transaction.atomic
def record_hoi_comment(case, *, text: str, on: datetime.date, actor) -> Dossier:
    """The Hội's own comment in the 5-KNĐ summary."""
    case = _lock(case)
    _authorise(actor, case, Step.INTRODUCED)
    _check_date(on)
    if not (text or "").strip():
        raise ValidationError({"text": "Vui lòng nhập nhận xét của Hội."})
    dossier, _ = Dossier.objects.get_or_create(case=case)
    before = audit.snapshot(dossier)
    dossier.hoi_comment, dossier.hoi_comment_on = text.strip(), on
    dossier.save()
    audit.record(
        "pipeline.dossier.hoi_comment",
        case,
        before=before,
        after=audit.snapshot(dossier),
        unit=case.branch,
        user=actor,
    )
    return dossier


# --- the party's steps ------------------------------------------------------------


@transaction.atomic
def open_external_case(
    *,
    cell,
    organisation: str,
    full_name: str,
    birth_date: datetime.date,
    on: datetime.date,
    actor,
    education: str = "upper_secondary",
    ethnicity: str = "Kinh",
    doc_no: str = "",
) -> Case:
    """A candidate introduced to the cell by another mass organisation, entered by
    the party side."""
    if organisation == Organisation.HOI:
        raise ValidationError(
            {"organisation": "Ứng viên của Hội LHPN do Hội tạo nguồn và giới thiệu."}
        )
    if organisation not in Organisation.values:
        raise ValidationError({"organisation": "Tổ chức không hợp lệ."})
    if not (full_name or "").strip():
        raise ValidationError({"full_name": "Vui lòng nhập họ và tên."})
    _check_date(on)
    _check_date(birth_date, "Ngày sinh")
    if cell is None or cell.tree != Tree.DANG or cell.level.code != "dang_cell":
        raise ValidationError({"cell": "Hãy chọn một chi bộ."})
    if not cell.is_active:
        raise ValidationError({"cell": f"{cell.name} đã giải thể hoặc sáp nhập."})
    case = Case(
        organisation=organisation,
        full_name=full_name.strip(),
        birth_date=birth_date,
        education=education,
        ethnicity=ethnicity,
        party_unit=cell,
        opened_on=on,
    )
    if actor is not None and not permissions.can(actor, "pipeline.party", cell):
        raise ValidationError("Tài khoản của bạn không ghi nhận được ứng viên cho chi bộ này.")
    case.save()
    audit.record("pipeline.case.opened", case, after=audit.snapshot(case), unit=cell, user=actor)
    for step in (Step.SOURCE, Step.CULTIVATION, Step.INTRODUCED):
        _record(
            case,
            step,
            on,
            actor=actor,
            unit=cell,
            doc_no=doc_no if step == Step.INTRODUCED else "",
            organisation=organisation,
        )
    return case


@transaction.atomic
def add_sympathiser(case, *, on: datetime.date, helper_name: str, actor) -> Case:
    """The cell puts her on its sympathiser list and assigns a helping member."""
    case = _lock(case)
    _authorise(actor, case, Step.SYMPATHISER)
    _check_date(on)
    if not (helper_name or "").strip():
        raise ValidationError({"helper_name": "Hãy ghi đảng viên được phân công giúp đỡ."})
    _require(case, Step.SYMPATHISER, on)
    case.helper_name = helper_name.strip()
    case.sympathiser_review_on = on
    _record(case, Step.SYMPATHISER, on, actor=actor, note=case.helper_name)
    return case


@transaction.atomic
def review_sympathisers(cell, *, on: datetime.date, actor) -> int:
    """The cell's monthly review of its sympathiser list."""
    _check_date(on)
    if actor is not None and not permissions.can(actor, "pipeline.party", cell):
        raise ValidationError("Tài khoản của bạn không thuộc chi bộ này.")
    cases = list(
        Case.objects.filter(
            party_unit=cell,
            status=Status.OPEN,
            step__in=[Step.SYMPATHISER, Step.CLASS, Step.DOSSIER],
        )
    )
    for case in cases:
        case.sympathiser_review_on = on
        case.save(update_fields=["sympathiser_review_on", "updated_at"])
        CaseEvent.objects.create(
            case=case, kind=CaseEvent.Kind.REVIEW, date=on, unit=cell, actor=actor
        )
    audit.record(
        "pipeline.sympathisers.reviewed",
        cell,
        after={"date": on.isoformat(), "cases": len(cases)},
        user=actor,
    )
    return len(cases)


@transaction.atomic
def complete_dossier(
    case,
    *,
    on: datetime.date,
    application_on,
    history_on,
    verification_on,
    residence_comment_on,
    introducers: list[dict],
    actor,
) -> Case:
    """Record the dossier as complete: 1-KNĐ, 2-KNĐ with verification, 3-KNĐ two
    introducers, 5-KNĐ comments including the Hội's own."""
    case = _lock(case)
    _authorise(actor, case, Step.DOSSIER)
    _check_date(on)
    _require(case, Step.DOSSIER, on)
    dossier, _ = Dossier.objects.get_or_create(case=case)
    missing = []
    for value, label in (
        (application_on, "đơn xin vào Đảng (1-KNĐ)"),
        (history_on, "lý lịch (2-KNĐ)"),
        (verification_on, "kết quả thẩm tra lý lịch"),
        (residence_comment_on, "nhận xét của chi bộ nơi cư trú (5-KNĐ)"),
    ):
        if value is None:
            missing.append(label)
        elif value > on:
            raise ValidationError(f"Ngày của {label} không được sau ngày hoàn thiện hồ sơ.")
    if case.organisation == Organisation.HOI and not dossier.hoi_comment:
        missing.append("nhận xét của Hội LHPN (5-KNĐ) — do Hội ghi")
    introducers = [i for i in introducers if (i.get("full_name") or "").strip()]
    for row in introducers:
        known = row.get("known_since")
        if known is None:
            raise ValidationError(
                f"Người giới thiệu {row['full_name'].strip()}: hãy ghi ngày bắt đầu cùng công "
                "tác, sinh hoạt."
            )
        if known > on:
            raise ValidationError(
                f"Người giới thiệu {row['full_name'].strip()}: ngày cùng công tác không được "
                "sau ngày hoàn thiện hồ sơ."
            )
    if len(introducers) < 2:
        missing.append("hai người giới thiệu (3-KNĐ)")
    if missing:
        raise ValidationError("Hồ sơ còn thiếu: " + "; ".join(missing) + ".")
    before = audit.snapshot(dossier)
    dossier.application_on, dossier.history_on = application_on, history_on
    dossier.verification_on, dossier.residence_comment_on = verification_on, residence_comment_on
    dossier.save()
    case.introducers.all().delete()  # replaced as a whole (never audited rows)
    for row in introducers:
        Introducer.objects.create(
            case=case,
            full_name=row["full_name"].strip(),
            is_official=bool(row.get("is_official", True)),
            party_unit_name=row.get("party_unit_name", ""),
            known_since=row["known_since"],
        )
    audit.record(
        "pipeline.dossier.completed",
        case,
        before=before,
        after={**audit.snapshot(dossier), "introducers": [i["full_name"] for i in introducers]},
        unit=case.party_unit,
        user=actor,
    )
    _record(case, Step.DOSSIER, on, actor=actor)
    return case


@transaction.atomic
def cell_resolution(
    case,
    *,
    on: datetime.date,
    doc_no: str,
    votes_for: int,
    members: int,
    actor,
    age_approval: str = "",
    education_exception: str = "",
) -> Case:
    """6-KNĐ: the cell proposes admission. Every eligibility rule is checked here."""
    case = _lock(case)
    _authorise(actor, case, Step.CELL_RESOLUTION)
    _check_date(on)
    _require(case, Step.CELL_RESOLUTION, on)
    if members <= 0 or votes_for < 0 or votes_for > members:
        raise ValidationError("Số phiếu tán thành và số đảng viên chính thức không hợp lệ.")
    error = R.check_votes(votes_for, members, R.rules_on(on))
    if error:
        raise ValidationError(error)
    if case.person_id:  # check her registry data as it is now, not as it was when spotted
        person = case.person
        case.full_name, case.birth_date = person.full_name, person.birth_date
        case.education, case.ethnicity = person.education, person.ethnicity
    if age_approval:
        case.age_approval = age_approval.strip()
    if education_exception:
        case.education_exception = education_exception.strip()
    R.enforce(case, on, R.CELL_RESOLUTION_CHECKS)
    _record(
        case,
        Step.CELL_RESOLUTION,
        on,
        actor=actor,
        doc_no=doc_no,
        data={"votes_for": votes_for, "members": members},
    )
    return case


@transaction.atomic
def committee_step(case, *, step: str, on: datetime.date, doc_no: str, actor) -> Case:
    """8-KNĐ (the committee's resolution) or 9-KNĐ (the admission decision)."""
    if step not in (Step.COMMITTEE_RESOLUTION, Step.DECISION):
        raise ValidationError("Bước không hợp lệ.")
    case = _lock(case)
    _authorise(actor, case, step)
    _check_date(on)
    _require(case, step, on)
    if not (doc_no or "").strip():
        raise ValidationError({"doc_no": "Vui lòng nhập số văn bản."})
    _record(case, step, on, actor=actor, doc_no=doc_no)
    return case


@transaction.atomic
def ceremony(case, *, on: datetime.date, actor) -> Case:
    """The admission ceremony: she becomes a probationary member from this day."""
    from uutu.people.services import set_party_status

    case = _lock(case)
    _authorise(actor, case, Step.CEREMONY)
    _check_date(on)
    _require(case, Step.CEREMONY, on)
    _record(case, Step.CEREMONY, on, actor=actor)
    if case.person_id:
        decision = case.events.filter(step=Step.DECISION).last()
        set_party_status(
            case.person, status=Party.PROBATIONARY, on=on, doc_no=decision.doc_no, actor=actor
        )
    return case


@transaction.atomic
def recognise(case, *, on: datetime.date, doc_no: str, actor) -> Case:
    """Recognition as an official member, effective when the 12 months end."""
    from uutu.people.services import set_party_status

    case = _lock(case)
    _authorise(actor, case, Step.OFFICIAL)
    _check_date(on)
    dates = _require(case, Step.OFFICIAL, on)
    # The probation she entered at the ceremony is the one of the rules then in force
    # (the deadline in _update_deadline is computed the same way).
    rules = R.rules_on(dates[Step.CEREMONY])
    error = R.check_probation(case, dates[Step.CEREMONY], on, rules)
    if error:
        raise ValidationError(error)
    effective = add_months(dates[Step.CEREMONY], rules.probation_months)
    _record(
        case,
        Step.OFFICIAL,
        on,
        actor=actor,
        doc_no=doc_no,
        data={"effective": effective.isoformat()},
    )
    case.status = Status.DONE
    case.save(update_fields=["status", "updated_at"])
    if case.person_id:
        set_party_status(
            case.person, status=Party.OFFICIAL, on=effective, doc_no=doc_no, actor=actor
        )
    return case


# --- exits ------------------------------------------------------------------------


@transaction.atomic
def exit_case(case, *, status: str, reason: str, on: datetime.date, actor) -> Case:
    """Take the case off the path: paused (e.g. working away), withdrawn, not
    eligible, not admitted. The reason is kept and the case can be reopened."""
    if status not in EXIT_STATUSES:
        raise ValidationError({"status": "Trạng thái không hợp lệ."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Vui lòng ghi lý do."})
    _check_date(on)
    case = _lock(case)
    if case.status not in ACTIVE:
        raise ValidationError(f"Hồ sơ đang ở trạng thái “{case.get_status_display()}”.")
    if case.status == status:
        raise ValidationError("Hồ sơ đã ở trạng thái này.")
    if actor is not None:
        party_side = case.party_unit and permissions.can(actor, "pipeline.party", case.party_unit)
        hoi_side = case.branch and permissions.can(actor, "pipeline.hoi", case.branch)
        if status == Status.NOT_ADMITTED and not party_side:
            raise ValidationError("Chỉ tổ chức Đảng ghi nhận “không được kết nạp”.")
        if not (party_side or hoi_side):
            raise ValidationError("Tài khoản của bạn không thay đổi được hồ sơ này.")
    before = audit.snapshot(case)
    case.status, case.status_reason = status, reason.strip()
    _update_deadline(case, {})
    case.save()
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.EXIT,
        status=status,
        date=on,
        unit=case.party_unit or case.branch,
        actor=actor,
        note=reason.strip(),
    )
    audit.record(
        "pipeline.case.exited", case, before=before, after=audit.snapshot(case), user=actor
    )
    return case


@transaction.atomic
def reopen_case(case, *, on: datetime.date, note: str = "", actor) -> Case:
    _check_date(on)
    case = _lock(case)
    if case.status not in EXIT_STATUSES:
        raise ValidationError("Chỉ mở lại được hồ sơ đang tạm dừng hoặc đã dừng.")
    if (
        case.person_id
        and Case.objects.filter(person=case.person, status__in=ACTIVE).exclude(pk=case.pk).exists()
    ):
        raise ValidationError("Hội viên đã có một hồ sơ khác đang theo dõi.")
    if actor is not None and not any(
        permissions.can(actor, action, unit)
        for action, unit in (("pipeline.hoi", case.branch), ("pipeline.party", case.party_unit))
        if unit
    ):
        raise ValidationError("Tài khoản của bạn không mở lại được hồ sơ này.")
    before = audit.snapshot(case)
    if case.person_id:
        case.branch = case.person.branch
    case.status, case.status_reason = Status.OPEN, ""
    _update_deadline(case, step_dates(case))
    case.save()
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.REOPEN,
        date=on,
        unit=case.party_unit or case.branch,
        actor=actor,
        note=note,
    )
    audit.record(
        "pipeline.case.reopened", case, before=before, after=audit.snapshot(case), user=actor
    )
    return case


# --- classes ----------------------------------------------------------------------


@transaction.atomic
def create_class(*, organiser, title: str, start, end, place: str = "", actor) -> AwarenessClass:
    if not (title or "").strip():
        raise ValidationError({"title": "Vui lòng nhập tên lớp."})
    if end < start:
        raise ValidationError({"end": "Ngày kết thúc phải sau ngày bắt đầu."})
    if actor is not None and not permissions.can(actor, "pipeline.class", organiser):
        raise ValidationError({"organiser": "Đơn vị tổ chức ngoài phạm vi của bạn."})
    klass = AwarenessClass.objects.create(
        organiser=organiser, title=title.strip(), start=start, end=end, place=place
    )
    audit.record("pipeline.class.created", klass, after=audit.snapshot(klass), user=actor)
    return klass


@transaction.atomic
def enrol(case, *, klass, actor) -> Enrolment:
    case = _lock(case)
    _authorise(actor, case, Step.CLASS)
    if case.status != Status.OPEN:
        raise ValidationError(f"Hồ sơ đang “{case.get_status_display()}”.")
    if Step.SOURCE not in step_dates(case):
        raise ValidationError("Hồ sơ chưa được tạo nguồn.")
    if klass.enrolments.filter(case=case).exists():
        raise ValidationError(f"{case.full_name} đã có tên trong lớp này.")
    enrolment = Enrolment.objects.create(klass=klass, case=case)
    audit.record(
        "pipeline.class.enrolled",
        case,
        after={"class": str(klass)},
        unit=klass.organiser,
        user=actor,
    )
    return enrolment


@transaction.atomic
def record_result(
    enrolment,
    *,
    result: str,
    certificate_no: str = "",
    certificate_on: datetime.date | None = None,
    actor,
) -> Enrolment:
    """Record a class result; a passed result with a certificate moves the case to
    the class step."""
    enrolment = (
        Enrolment.objects.select_for_update().select_related("klass", "case").get(pk=enrolment.pk)
    )
    klass, case = enrolment.klass, enrolment.case
    if result not in Enrolment.Result.values:
        raise ValidationError({"result": "Kết quả không hợp lệ."})
    if actor is not None and not permissions.can(actor, "pipeline.class", klass.organiser):
        raise ValidationError("Tài khoản của bạn không quản lý lớp này.")
    if enrolment.result == Enrolment.Result.PASSED and enrolment.certificate_no:
        raise ValidationError(f"{case.full_name} đã được cấp giấy chứng nhận.")
    if result == Enrolment.Result.PASSED:
        if not (certificate_no or "").strip() or certificate_on is None:
            raise ValidationError("Hoàn thành lớp cần số và ngày cấp giấy chứng nhận.")
        _check_date(certificate_on, "Ngày cấp giấy chứng nhận")
        if certificate_on < klass.start:
            raise ValidationError("Ngày cấp giấy chứng nhận không được trước ngày khai giảng.")
        if (
            Enrolment.objects.filter(certificate_no=certificate_no.strip(), klass=klass)
            .exclude(pk=enrolment.pk)
            .exists()
        ):
            raise ValidationError(f"Số giấy chứng nhận {certificate_no} đã được dùng trong lớp.")
    before = audit.snapshot(enrolment)
    enrolment.result = result
    enrolment.certificate_no = (certificate_no or "").strip()
    enrolment.certificate_on = certificate_on
    enrolment.save()
    audit.record(
        "pipeline.class.result",
        case,
        before=before,
        after=audit.snapshot(enrolment),
        unit=klass.organiser,
        user=actor,
    )
    if result == Enrolment.Result.PASSED:
        case = _lock(case)
        if Step.CLASS not in step_dates(case):  # a renewed certificate needs no re-check
            _require(case, Step.CLASS, certificate_on)
        _record(
            case,
            Step.CLASS,
            certificate_on,
            actor=actor,
            doc_no=enrolment.certificate_no,
            unit=klass.organiser,
            data={"class": klass.pk},
        )
    return enrolment


# --- bulk -------------------------------------------------------------------------


def bulk(cases, action, **kwargs) -> list[tuple[Case, str | None]]:
    """Apply ``action`` to each case in its own transaction. Returns (case, error)
    pairs: a refused case is left unchanged and the others go through."""
    results = []
    for case in cases:
        try:
            action(case, **kwargs)
        except ValidationError as exc:
            results.append((case, " ".join(exc.messages)))
        else:
            results.append((case, None))
    return results
