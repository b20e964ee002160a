"""The pipeline services with the persona world: every step with the actor of the
side that records it, the order of the steps, exits and reopening, deadlines in
working days, classes, permissions, external candidates and where events stay
after a move or a merge.

:func:`walk` builds a case quickly; test_rules.py uses it too."""

import datetime

import holidays
import pytest
from django.core.exceptions import ValidationError

from uutu.accounts import roles
from uutu.core.models import AuditEntry
from uutu.orgs import services as org_services
from uutu.orgs.models import Unit
from uutu.people import services as people_services
from uutu.people.models import Party
from uutu.pipeline import services as S
from uutu.pipeline.models import (
    EXIT_STATUSES,
    Case,
    CaseEvent,
    Dossier,
    Enrolment,
    Introducer,
    Status,
    Step,
)
from uutu.pipeline.workdays import add_months

HOI_PIPELINE_ACTIONS = {roles.PIPELINE_VIEW, roles.PIPELINE_NOTE, roles.PIPELINE_HOI}
STEPS = list(Step)
DAY = datetime.timedelta(days=1)
# Days between a step and the one before it when a test does not give dates.
GAPS = {Step.OFFICIAL: 370}


def today() -> datetime.date:
    return datetime.date.today()


def ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def actors(w) -> dict:
    """Who records what in commune A: the Hội cadre, the cell secretary of chi bộ A1
    (counterpart of chi hội A1), the commune party committee."""
    return {
        "hoi": w.users["commune_a"],
        "cell": w.users["cell_secretary"],
        "committee": w.users["party_a"],
    }


def schedule(until, at=None, on=None, gap=15) -> dict:
    """Dates for the steps up to ``until``: ``at`` falls on ``on`` (default: ``until``
    yesterday) and the others are ``gap`` days apart (370 days of probation)."""
    steps = STEPS[: STEPS.index(until) + 1]
    if at is None:
        at, on = until, on or ago(1)
    i = steps.index(at)
    dates = {at: on}
    for j in range(i + 1, len(steps)):
        dates[steps[j]] = dates[steps[j - 1]] + GAPS.get(steps[j], gap) * DAY
    for j in range(i - 1, -1, -1):
        dates[steps[j]] = dates[steps[j + 1]] - GAPS.get(steps[j + 1], gap) * DAY
    return dates


def introducers_for(known_since, official=(True, True)) -> list[dict]:
    """Introducers (as many as ``official`` flags); ``known_since`` is one date for
    all or one date each."""
    if not isinstance(known_since, tuple | list):
        known_since = (known_since,) * len(official)
    names = ("Hoàng Văn Minh", "Nông Thị Lụa")
    return [
        {
            "full_name": name,
            "is_official": is_official,
            "party_unit_name": "Chi bộ Thôn Đông",
            "known_since": since,
        }
        for name, is_official, since in zip(names, official, known_since, strict=False)
    ]


def take_class(w, case, on, *, certificate_no=None, who=None):
    """Enrol ``case`` in a new class organised by the commune party committee and
    pass it with a certificate dated ``on``."""
    committee = (who or actors(w))["committee"]
    klass = S.create_class(
        organiser=w.party_a,
        title=f"Lớp bồi dưỡng nhận thức về Đảng {on:%m/%Y}",
        start=on - 4 * DAY,
        end=on,
        actor=committee,
    )
    enrolment = S.enrol(case, klass=klass, actor=committee)
    return S.record_result(
        enrolment,
        result=Enrolment.Result.PASSED,
        certificate_no=certificate_no or f"GCN-{case.pk}-{on:%Y%m%d}",
        certificate_on=on,
        actor=committee,
    )


def walk(
    w,
    person,
    until,
    *,
    at=None,
    on=None,
    gap=15,
    dates=None,
    introducers=None,
    cell_kwargs=None,
    anonymous=False,
) -> Case:
    """Open a case for ``person`` and record every step up to ``until``, each by the
    persona of the side that records it (``anonymous``: actor None, as a command).
    ``dates`` overrides single steps' dates."""
    when = schedule(until, at, on, gap)
    when.update(dates or {})
    who = {k: None for k in actors(w)} if anonymous else actors(w)
    hoi, cell, committee = who["hoi"], who["cell"], who["committee"]
    case = S.open_case(person, on=when[Step.SOURCE], actor=hoi)
    for step in STEPS[1 : STEPS.index(until) + 1]:
        day = when[step]
        if step == Step.CULTIVATION:
            S.start_cultivation(case, on=day, plan="Giao việc, kèm cặp hằng tháng", actor=hoi)
        elif step == Step.INTRODUCED:
            unit = person.branch.counterpart or S.cells_for(case).first()
            S.introduce(case, cell=unit, on=day, doc_no=f"{case.pk}/GT-HPN", actor=hoi)
            S.record_hoi_comment(case, text="Gương mẫu, nhiệt tình.", on=day, actor=hoi)
        elif step == Step.SYMPATHISER:
            S.add_sympathiser(case, on=day, helper_name="Hoàng Văn Minh", actor=cell)
        elif step == Step.CLASS:
            take_class(w, case, day, who=who)
        elif step == Step.DOSSIER:
            S.complete_dossier(
                case,
                on=day,
                application_on=day,
                history_on=day,
                verification_on=day,
                residence_comment_on=day,
                introducers=introducers or introducers_for(add_months(when[Step.SOURCE], -24)),
                actor=cell,
            )
        elif step == Step.CELL_RESOLUTION:
            S.cell_resolution(
                case,
                on=day,
                doc_no=f"{case.pk}-NQ/CB",
                votes_for=5,
                members=6,
                actor=cell,
                **(cell_kwargs or {}),
            )
        elif step in (Step.COMMITTEE_RESOLUTION, Step.DECISION):
            S.committee_step(case, step=step, on=day, doc_no=f"{case.pk}-{step}", actor=committee)
        elif step == Step.CEREMONY:
            S.ceremony(case, on=day, actor=cell)
        elif step == Step.OFFICIAL:
            S.recognise(case, on=day, doc_no=f"{case.pk}-QĐ/ĐU", actor=committee)
    case.refresh_from_db()
    return case


def member(w, name, birth, branch=None, **fields):
    """A member registered long enough ago for historical steps."""
    joined = max(birth + datetime.timedelta(days=365 * 16), datetime.date(2000, 1, 1))
    return people_services.create_person(
        actor=None,
        branch=branch or w.branch_a1,
        full_name=name,
        birth_date=birth,
        joined_hoi_on=min(joined, ago(800)),
        **fields,
    )


def state(case, *, all_audit=True) -> dict:
    """Everything a refused call must leave as it was (``all_audit``: no audit row
    at all, else none about this case)."""
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    audit = AuditEntry.objects.all()
    if not all_audit:
        audit = audit.filter(content_type__model="case", object_id=str(case.pk))
    return {
        "case": row,
        "events": list(CaseEvent.objects.filter(case=case).values_list("id", "kind", "step")),
        "audit": audit.count(),
        "introducers": Introducer.objects.filter(case=case).count(),
        "dossier": list(Dossier.objects.filter(case=case).values()),
        "enrolments": list(Enrolment.objects.filter(case=case).values()),
    }


def refused(call, case, match=None) -> str:
    """``call()`` raises a ValidationError and leaves ``case`` unchanged."""
    before = state(case)
    with pytest.raises(ValidationError) as info:
        call()
    assert state(case) == before
    text = " ".join(info.value.messages)
    if match:
        assert match in text, text
    return text


def own_working_days_after(start, count) -> datetime.date:
    """Walk the calendar day by day with the VN holiday list (independent of
    pipeline.workdays)."""
    vn = holidays.country_holidays("VN", years=range(start.year - 1, start.year + 3))
    off, worked = set(vn), set(vn.weekend_workdays)
    day = start
    while count:
        day += DAY
        if day in worked or (day.weekday() not in (5, 6) and day not in off):
            count -= 1
    return day


def test_hoi_cadres_hold_the_hoi_pipeline_actions():
    """uutu.accounts.roles must let the Hội's province and commune cadres open cases,
    cultivate, assign mentors and introduce (pipeline.hoi), see cases and write notes."""
    for role in (roles.Role.PROVINCE_CADRE, roles.Role.COMMUNE_CADRE):
        missing = HOI_PIPELINE_ACTIONS - roles.ROLE_SPECS[role].actions
        assert not missing, f"{role} lacks {sorted(missing)} in accounts/roles.py"


# --- the whole path ---------------------------------------------------------------


def test_whole_path_records_every_step_in_its_unit(world):
    case = walk(world, world.person_a1, Step.OFFICIAL)
    w = world
    assert case.status == Status.DONE and case.step == Step.OFFICIAL
    events = list(case.events.filter(kind=CaseEvent.Kind.STEP))
    assert [e.step for e in events] == STEPS
    units = {e.step: e.unit for e in events}
    for step in (Step.SOURCE, Step.CULTIVATION, Step.INTRODUCED):
        assert units[step] == w.branch_a1
    for step in (Step.SYMPATHISER, Step.DOSSIER, Step.CELL_RESOLUTION, Step.CEREMONY):
        assert units[step] == w.cell_a1
    for step in (Step.CLASS, Step.COMMITTEE_RESOLUTION, Step.DECISION, Step.OFFICIAL):
        assert units[step] == w.party_a
    people = actors(w)
    by_step = {e.step: e.actor for e in events}
    assert by_step[Step.SOURCE] == by_step[Step.INTRODUCED] == people["hoi"]
    assert by_step[Step.CELL_RESOLUTION] == by_step[Step.CEREMONY] == people["cell"]
    assert by_step[Step.DECISION] == by_step[Step.OFFICIAL] == people["committee"]
    assert case.party_unit == w.cell_a1 and case.branch == w.branch_a1
    assert case.due_on is None and case.due_step == ""
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {f"pipeline.case.{s}" for s in STEPS} <= actions
    assert "pipeline.case.opened" in actions


def test_probation_and_official_status_follow_the_ceremony(world):
    case = walk(world, world.person_a1, Step.CEREMONY, on=ago(400))
    ceremony = ago(400)
    person = world.person_a1
    person.refresh_from_db()
    assert person.party_status == Party.PROBATIONARY
    probation = person.party_periods.get(status=Party.PROBATIONARY)
    assert probation.start == ceremony
    assert probation.doc_no == case.events.get(step=Step.DECISION).doc_no
    ends = add_months(ceremony, 12)
    committee = actors(world)["committee"]
    text = refused(
        lambda: S.recognise(case, on=ends - DAY, doc_no="9-QĐ/ĐU", actor=committee), case
    )
    assert "Quy định 294-QĐ/TW" in text and "12 tháng" in text
    S.recognise(case, on=ends, doc_no="9-QĐ/ĐU", actor=committee)
    case.refresh_from_db()
    person.refresh_from_db()
    assert case.status == Status.DONE and case.step == Step.OFFICIAL
    official = case.events.get(step=Step.OFFICIAL)
    assert official.date == ends and official.data["effective"] == ends.isoformat()
    assert person.party_status == Party.OFFICIAL
    assert person.party_periods.get(status=Party.OFFICIAL).start == ends
    probation.refresh_from_db()
    assert probation.end == ends


def test_recognition_effective_when_twelve_months_end_even_if_voted_later(world):
    ceremony = ago(500)
    case = walk(world, world.person_a1, Step.CEREMONY, on=ceremony)
    S.recognise(case, on=ago(20), doc_no="10-QĐ/ĐU", actor=actors(world)["committee"])
    world.person_a1.refresh_from_db()
    period = world.person_a1.party_periods.get(status=Party.OFFICIAL)
    assert period.start == add_months(ceremony, 12) < ago(20)


# --- order of the steps -----------------------------------------------------------


def _committee(step):
    return lambda w, case: S.committee_step(
        case, step=step, on=ago(1), doc_no="1-NQ/ĐU", actor=actors(w)["committee"]
    )


ORDER_CASES = [
    # (case reached, refused call, missing step)
    (
        Step.SOURCE,
        lambda w, c: S.introduce(c, cell=w.cell_a1, on=ago(1), actor=actors(w)["hoi"]),
        Step.CULTIVATION,
    ),
    (
        Step.CULTIVATION,
        lambda w, c: S.add_sympathiser(c, on=ago(1), helper_name="X Y", actor=None),
        Step.INTRODUCED,
    ),
    (
        Step.SYMPATHISER,
        lambda w, c: S.complete_dossier(
            c,
            on=ago(1),
            application_on=ago(2),
            history_on=ago(2),
            verification_on=ago(2),
            residence_comment_on=ago(2),
            introducers=introducers_for(ago(900)),
            actor=actors(w)["cell"],
        ),
        Step.CLASS,
    ),
    (
        Step.CLASS,
        lambda w, c: S.cell_resolution(
            c, on=ago(1), doc_no="1", votes_for=3, members=3, actor=actors(w)["cell"]
        ),
        Step.DOSSIER,
    ),
    (Step.DOSSIER, _committee(Step.COMMITTEE_RESOLUTION), Step.CELL_RESOLUTION),
    (Step.DOSSIER, _committee(Step.DECISION), Step.COMMITTEE_RESOLUTION),
    (Step.CELL_RESOLUTION, _committee(Step.DECISION), Step.COMMITTEE_RESOLUTION),
    (
        Step.COMMITTEE_RESOLUTION,
        lambda w, c: S.ceremony(c, on=ago(1), actor=actors(w)["cell"]),
        Step.DECISION,
    ),
    (
        Step.DECISION,
        lambda w, c: S.recognise(c, on=ago(1), doc_no="1", actor=actors(w)["committee"]),
        Step.CEREMONY,
    ),
]


@pytest.mark.parametrize(("reached", "call", "missing"), ORDER_CASES)
def test_a_step_needs_the_step_before(world, reached, call, missing):
    case = walk(world, world.person_a1, reached, on=ago(30))
    text = refused(lambda: call(world, case), case)
    assert "chưa qua bước" in text and str(Step(missing).label) in text


def test_no_dossier_without_sympathiser_even_with_the_class(world):
    case = walk(world, world.person_a1, Step.CULTIVATION, on=ago(60))
    # before her introduction only the Hội's side could send her; recorded as a command
    take_class(world, case, ago(40), who={"committee": None})
    case.refresh_from_db()
    assert case.step == Step.CULTIVATION  # the class alone does not move her forward
    text = refused(
        lambda: S.complete_dossier(
            case,
            on=ago(1),
            application_on=ago(2),
            history_on=ago(2),
            verification_on=ago(2),
            residence_comment_on=ago(2),
            introducers=introducers_for(ago(900)),
            actor=None,
        ),
        case,
    )
    assert str(Step.SYMPATHISER.label) in text


def test_a_date_before_the_previous_step_is_refused(world):
    case = walk(world, world.person_a1, Step.COMMITTEE_RESOLUTION, on=ago(10))
    text = refused(
        lambda: S.committee_step(
            case, step=Step.DECISION, on=ago(11), doc_no="9-QĐ", actor=actors(world)["committee"]
        ),
        case,
    )
    assert ago(11).strftime("%d/%m/%Y") in text and ago(10).strftime("%d/%m/%Y") in text
    source = walk(world, world.person_a2, Step.SOURCE, on=ago(5))
    refused(
        lambda: S.start_cultivation(source, on=ago(6), actor=actors(world)["hoi"]),
        source,
        "không được trước",
    )


def test_future_dates_are_refused(world):
    hoi = actors(world)["hoi"]
    with pytest.raises(ValidationError, match="tương lai"):
        S.open_case(world.person_a1, on=today() + DAY, actor=hoi)
    assert not Case.objects.exists()
    case = walk(world, world.person_a1, Step.DOSSIER, on=ago(3))
    refused(
        lambda: S.cell_resolution(
            case, on=today() + DAY, doc_no="1", votes_for=3, members=3, actor=actors(world)["cell"]
        ),
        case,
        "tương lai",
    )
    refused(lambda: S.add_note(case, on=today() + DAY, text="x", actor=hoi), case, "tương lai")


def test_a_step_is_recorded_once(world):
    case = walk(world, world.person_a1, Step.CULTIVATION, on=ago(3))
    refused(
        lambda: S.start_cultivation(case, on=ago(2), actor=actors(world)["hoi"]),
        case,
        "đã được ghi nhận",
    )


def test_dossier_needs_its_papers_and_the_hoi_comment(world):
    case = walk(world, world.person_a1, Step.CLASS, on=ago(10))
    Dossier.objects.filter(case=case).update(hoi_comment="")
    text = refused(
        lambda: S.complete_dossier(
            case,
            on=ago(1),
            application_on=ago(2),
            history_on=None,
            verification_on=ago(2),
            residence_comment_on=ago(2),
            introducers=introducers_for(ago(900))[:1],
            actor=actors(world)["cell"],
        ),
        case,
    )
    assert "2-KNĐ" in text and "Hội LHPN" in text and "hai người giới thiệu" in text


# --- exits and reopening ----------------------------------------------------------


@pytest.mark.parametrize("status", EXIT_STATUSES)
def test_every_exit_keeps_the_reason_and_can_be_reopened(world, status):
    case = walk(world, world.person_a1, Step.CELL_RESOLUTION, on=ago(20))
    assert case.due_step == Step.DECISION
    people = actors(world)
    who = people["cell"] if status == Status.NOT_ADMITTED else people["hoi"]
    S.exit_case(case, status=status, reason="Đi làm ăn xa tại Bình Dương", on=ago(5), actor=who)
    case.refresh_from_db()
    assert case.status == status and case.status_reason == "Đi làm ăn xa tại Bình Dương"
    assert case.due_on is None and case.due_step == ""
    exit_event = case.events.get(kind=CaseEvent.Kind.EXIT)
    assert exit_event.status == status and exit_event.date == ago(5)
    # no step while off the path
    refused(
        lambda: S.committee_step(
            case, step=Step.COMMITTEE_RESOLUTION, on=ago(1), doc_no="8", actor=people["committee"]
        ),
        case,
        "mở lại",
    )
    S.reopen_case(case, on=ago(2), note="Đã về địa phương", actor=people["hoi"])
    case.refresh_from_db()
    assert case.status == Status.OPEN and case.status_reason == ""
    assert case.step == Step.CELL_RESOLUTION and case.due_step == Step.DECISION
    assert case.events.filter(kind=CaseEvent.Kind.REOPEN).count() == 1
    S.committee_step(
        case, step=Step.COMMITTEE_RESOLUTION, on=ago(1), doc_no="8-NQ/ĐU", actor=people["committee"]
    )


def test_exit_rules(world):
    people = actors(world)
    case = walk(world, world.person_a1, Step.INTRODUCED, on=ago(10))
    refused(
        lambda: S.exit_case(
            case, status=Status.WITHDRAWN, reason=" ", on=ago(1), actor=people["hoi"]
        ),
        case,
        "lý do",
    )
    refused(
        lambda: S.exit_case(
            case, status=Status.NOT_ADMITTED, reason="x", on=ago(1), actor=people["hoi"]
        ),
        case,
        "tổ chức Đảng",
    )
    refused(
        lambda: S.exit_case(case, status=Status.DONE, reason="x", on=ago(1), actor=people["hoi"]),
        case,
    )
    refused(
        lambda: S.exit_case(
            case, status=Status.PAUSED, reason="x", on=ago(1), actor=world.users["commune_b"]
        ),
        case,
    )
    refused(lambda: S.reopen_case(case, on=ago(1), actor=people["hoi"]), case)
    S.exit_case(case, status=Status.PAUSED, reason="Đi làm ăn xa", on=ago(3), actor=people["hoi"])
    S.exit_case(case, status=Status.WITHDRAWN, reason="Xin rút", on=ago(2), actor=people["hoi"])
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN


def test_one_open_case_per_person(world):
    people = actors(world)
    case = walk(world, world.person_a1, Step.SOURCE, on=ago(30))
    with pytest.raises(ValidationError, match="đang theo dõi"):
        S.open_case(world.person_a1, on=ago(1), actor=people["hoi"])
    S.exit_case(case, status=Status.PAUSED, reason="Đi làm ăn xa", on=ago(20), actor=people["hoi"])
    with pytest.raises(ValidationError, match="đang theo dõi"):
        S.open_case(world.person_a1, on=ago(1), actor=people["hoi"])
    S.exit_case(case, status=Status.WITHDRAWN, reason="Xin rút", on=ago(19), actor=people["hoi"])
    second = S.open_case(world.person_a1, on=ago(10), actor=people["hoi"])
    assert second.pk != case.pk
    refused(lambda: S.reopen_case(case, on=ago(1), actor=people["hoi"]), case, "hồ sơ khác")
    assert Case.objects.filter(person=world.person_a1, status=Status.OPEN).count() == 1


def test_party_members_are_not_sources(world):
    people_services.set_party_status(
        world.person_a2, status=Party.OFFICIAL, on=datetime.date(2015, 3, 1), actor=None
    )
    with pytest.raises(ValidationError, match="đã là đảng viên"):
        S.open_case(world.person_a2, on=ago(1), actor=actors(world)["hoi"])


# --- deadlines in working days ----------------------------------------------------


def test_decision_deadline_skips_weekends_and_tet(world):
    resolution = datetime.date(2026, 2, 13)  # Friday before Tết Bính Ngọ (16–20 Feb 2026)
    assert own_working_days_after(resolution, 1) == datetime.date(2026, 2, 23)
    case = walk(world, world.person_a1, Step.CELL_RESOLUTION, on=resolution)
    expected = own_working_days_after(resolution, 60)
    assert case.due_step == Step.DECISION and case.due_on == expected
    # 60 working days are more than 60 weekdays here: Tết and the April/May holidays
    weekdays, day = 0, resolution
    while day < expected:
        day += DAY
        weekdays += day.weekday() < 5
    assert weekdays > 60

    committee = actors(world)["committee"]
    S.committee_step(
        case,
        step=Step.COMMITTEE_RESOLUTION,
        on=datetime.date(2026, 3, 2),
        doc_no="8-NQ/ĐU",
        actor=committee,
    )
    case.refresh_from_db()
    assert case.due_step == Step.DECISION and case.due_on == expected
    decision = datetime.date(2026, 3, 9)
    S.committee_step(case, step=Step.DECISION, on=decision, doc_no="9-QĐ/ĐU", actor=committee)
    case.refresh_from_db()
    assert case.due_step == Step.CEREMONY
    assert case.due_on == own_working_days_after(decision, 30)
    ceremony = datetime.date(2026, 4, 3)
    S.ceremony(case, on=ceremony, actor=actors(world)["cell"])
    case.refresh_from_db()
    assert case.due_step == Step.OFFICIAL
    assert case.due_on == own_working_days_after(datetime.date(2027, 4, 3), 30)


def test_recognition_deadline_and_cleared_when_done(world):
    ceremony = ago(380)
    case = walk(world, world.person_a1, Step.CEREMONY, on=ceremony)
    assert case.due_step == Step.OFFICIAL
    assert case.due_on == own_working_days_after(add_months(ceremony, 12), 30)
    S.recognise(case, on=ago(1), doc_no="1-QĐ/ĐU", actor=actors(world)["committee"])
    case.refresh_from_db()
    assert case.due_on is None and case.due_step == ""


def test_deadline_cleared_on_exit_and_back_on_reopen(world):
    case = walk(world, world.person_a1, Step.DECISION, on=ago(40))
    due = case.due_on
    assert case.due_step == Step.CEREMONY and due == own_working_days_after(ago(40), 30)
    S.exit_case(case, status=Status.PAUSED, reason="Ốm", on=ago(30), actor=None)
    case.refresh_from_db()
    assert case.due_on is None
    S.reopen_case(case, on=ago(10), actor=None)
    case.refresh_from_db()
    assert case.due_on == due and case.due_step == Step.CEREMONY


def test_no_deadline_before_the_cell_resolution(world):
    case = walk(world, world.person_a1, Step.DOSSIER, on=ago(3))
    assert case.due_on is None and case.due_step == ""


# --- classes ----------------------------------------------------------------------


def test_class_pass_gives_the_step_and_fail_does_not(world):
    committee = actors(world)["committee"]
    passed = walk(world, world.person_a1, Step.SYMPATHISER, on=ago(30))
    failed = walk(world, world.person_a2, Step.SYMPATHISER, on=ago(30))
    klass = S.create_class(
        organiser=world.party_a, title="Lớp tháng 10", start=ago(20), end=ago(15), actor=committee
    )
    e1 = S.enrol(passed, klass=klass, actor=committee)
    e2 = S.enrol(failed, klass=klass, actor=committee)
    refused(lambda: S.enrol(passed, klass=klass, actor=committee), passed, "đã có tên")
    S.record_result(
        e1, result="passed", certificate_no="125-GCN/TTCT", certificate_on=ago(14), actor=committee
    )
    S.record_result(e2, result="failed", actor=committee)
    passed.refresh_from_db()
    failed.refresh_from_db()
    assert passed.step == Step.CLASS
    event = passed.events.get(step=Step.CLASS)
    assert event.doc_no == "125-GCN/TTCT" and event.date == ago(14)
    assert event.unit == world.party_a
    assert failed.step == Step.SYMPATHISER
    assert not failed.events.filter(step=Step.CLASS).exists()
    e2.refresh_from_db()
    assert e2.result == "failed" and e2.certificate_no == ""


def test_certificate_rules(world):
    committee = actors(world)["committee"]
    one = walk(world, world.person_a1, Step.SYMPATHISER, on=ago(30))
    two = walk(world, world.person_a2, Step.SYMPATHISER, on=ago(30))
    klass = S.create_class(
        organiser=world.party_a, title="Lớp", start=ago(20), end=ago(15), actor=committee
    )
    e1, e2 = (S.enrol(c, klass=klass, actor=committee) for c in (one, two))
    S.record_result(
        e1, result="passed", certificate_no="7-GCN", certificate_on=ago(14), actor=committee
    )
    refused(
        lambda: S.record_result(
            e2, result="passed", certificate_no="7-GCN", certificate_on=ago(14), actor=committee
        ),
        two,
        "7-GCN",
    )
    refused(
        lambda: S.record_result(
            e2, result="passed", certificate_no="", certificate_on=ago(14), actor=committee
        ),
        two,
    )
    refused(
        lambda: S.record_result(
            e2, result="passed", certificate_no="8-GCN", certificate_on=ago(21), actor=committee
        ),
        two,
        "khai giảng",
    )
    refused(lambda: S.record_result(e2, result="maybe", actor=committee), two)
    refused(
        lambda: S.record_result(
            e1, result="passed", certificate_no="9-GCN", certificate_on=ago(14), actor=committee
        ),
        one,
        "đã được cấp",
    )


def test_bulk_reports_each_case_and_leaves_refused_ones_unchanged(world):
    committee = actors(world)["committee"]
    ok1 = walk(world, world.person_a1, Step.SYMPATHISER, on=ago(30))
    ok2 = walk(world, world.person_a2, Step.SYMPATHISER, on=ago(30))
    third = member(world, "Hà Thị Thu", datetime.date(1992, 4, 4))
    gone = walk(world, third, Step.SYMPATHISER, on=ago(30))
    S.exit_case(gone, status=Status.WITHDRAWN, reason="Xin rút", on=ago(25), actor=None)
    klass = S.create_class(
        organiser=world.party_a, title="Lớp", start=ago(20), end=ago(15), actor=committee
    )
    before = state(gone, all_audit=False)
    results = S.bulk([ok1, gone, ok2], S.enrol, klass=klass, actor=committee)
    assert [(c.pk, err is None) for c, err in results] == [
        (ok1.pk, True),
        (gone.pk, False),
        (ok2.pk, True),
    ]
    assert "Rút khỏi danh sách" in results[1][1]
    assert state(gone, all_audit=False) == before
    assert set(klass.enrolments.values_list("case_id", flat=True)) == {ok1.pk, ok2.pk}


# --- permissions ------------------------------------------------------------------


def test_hoi_cadre_cannot_record_party_steps(world):
    hoi = actors(world)["hoi"]
    case = walk(world, world.person_a1, Step.INTRODUCED, on=ago(20))
    refused(
        lambda: S.add_sympathiser(case, on=ago(1), helper_name="X Y", actor=hoi),
        case,
        "không có quyền",
    )
    case = Case.objects.get(pk=case.pk)
    S.exit_case(case, status=Status.WITHDRAWN, reason="x", on=ago(19), actor=None)
    full = walk(world, world.person_a2, Step.DOSSIER, on=ago(10))
    refused(
        lambda: S.cell_resolution(full, on=ago(1), doc_no="1", votes_for=3, members=3, actor=hoi),
        full,
        "không có quyền",
    )
    S.cell_resolution(full, on=ago(5), doc_no="1", votes_for=3, members=3, actor=None)
    refused(
        lambda: S.committee_step(
            full, step=Step.COMMITTEE_RESOLUTION, on=ago(1), doc_no="8", actor=hoi
        ),
        full,
        "không có quyền",
    )


def test_cell_secretary_cannot_record_committee_steps(world):
    cell = actors(world)["cell"]
    case = walk(world, world.person_a1, Step.CELL_RESOLUTION, on=ago(10))
    refused(
        lambda: S.committee_step(
            case, step=Step.COMMITTEE_RESOLUTION, on=ago(1), doc_no="8", actor=cell
        ),
        case,
        "không có quyền",
    )
    case = walk(world, world.person_a2, Step.CEREMONY, on=ago(400))
    refused(lambda: S.recognise(case, on=ago(1), doc_no="1", actor=cell), case, "không có quyền")


def test_hoi_steps_belong_to_the_hoi_of_her_commune(world):
    with pytest.raises(ValidationError, match="không có quyền"):
        S.open_case(world.person_a1, on=ago(1), actor=world.users["commune_b"])
    with pytest.raises(ValidationError):
        S.open_case(world.person_a1, on=ago(1), actor=world.users["party_a"])
    with pytest.raises(ValidationError):
        S.open_case(world.person_a1, on=ago(1), actor=world.users["branch_head"])
    assert not Case.objects.exists()
    case = S.open_case(world.person_a1, on=ago(5), actor=world.users["commune_a"])
    refused(lambda: S.start_cultivation(case, on=ago(1), actor=world.users["branch_head"]), case)
    # a branch head writes cultivation notes
    note = S.add_note(
        case, on=ago(1), text="Đã gặp, trao đổi về kế hoạch", actor=world.users["branch_head"]
    )
    assert note.unit == world.branch_a1
    refused(lambda: S.add_note(case, on=ago(1), text="  ", actor=world.users["branch_head"]), case)


def test_cell_secretary_only_for_her_cell(world):
    case = walk(world, world.person_b1, Step.INTRODUCED, on=ago(10), anonymous=True)
    assert case.party_unit == world.cell_b1
    refused(
        lambda: S.add_sympathiser(case, on=ago(1), helper_name="X Y", actor=actors(world)["cell"]),
        case,
        "không có quyền",
    )


def test_mentor_must_be_a_party_member(world):
    hoi = actors(world)["hoi"]
    case = walk(world, world.person_a1, Step.CULTIVATION, on=ago(10))
    refused(
        lambda: S.assign_mentor(case, mentor=world.person_a2, on=ago(1), actor=hoi),
        case,
        "đảng viên",
    )
    people_services.set_party_status(
        world.person_a2, status=Party.OFFICIAL, on=datetime.date(2012, 5, 1), actor=None
    )
    world.person_a2.refresh_from_db()
    S.assign_mentor(case, mentor=world.person_a2, on=ago(1), actor=hoi)
    case.refresh_from_db()
    assert case.mentor == world.person_a2
    event = case.events.get(kind=CaseEvent.Kind.MENTOR)
    assert event.unit == world.branch_a1 and event.data == {"mentor": world.person_a2.pk}


# --- candidates of other organisations --------------------------------------------


def test_external_candidate_is_introduced_to_the_cell(world):
    cell = actors(world)["cell"]
    case = S.open_external_case(
        cell=world.cell_a1,
        organisation="doan",
        full_name="Vi Thị Hằng",
        birth_date=datetime.date(2001, 9, 2),
        on=ago(20),
        actor=cell,
        doc_no="05/GT-ĐTN",
    )
    assert case.step == Step.INTRODUCED and case.status == Status.OPEN
    assert case.person is None and case.branch is None and case.party_unit == world.cell_a1
    events = list(case.events.all())
    assert [e.step for e in events] == [Step.SOURCE, Step.CULTIVATION, Step.INTRODUCED]
    assert {e.unit for e in events} == {world.cell_a1}
    assert {e.organisation for e in events} == {"doan"}
    assert events[-1].doc_no == "05/GT-ĐTN"
    S.add_sympathiser(case, on=ago(10), helper_name="Lý Văn Tài", actor=cell)
    case.refresh_from_db()
    assert case.step == Step.SYMPATHISER


def test_external_candidate_rules(world):
    base = {"full_name": "Vi Thị Hằng", "birth_date": datetime.date(2001, 9, 2), "on": ago(2)}
    with pytest.raises(ValidationError):
        S.open_external_case(cell=world.cell_a1, organisation="hoi", actor=None, **base)
    with pytest.raises(ValidationError):
        S.open_external_case(cell=world.party_a, organisation="doan", actor=None, **base)
    with pytest.raises(ValidationError):
        S.open_external_case(
            cell=world.cell_a1, organisation="nong_dan", actor=world.users["commune_a"], **base
        )
    with pytest.raises(ValidationError):
        S.open_external_case(
            cell=world.cell_b1, organisation="nong_dan", actor=world.users["cell_secretary"], **base
        )
    assert not Case.objects.exists()
    case = S.open_external_case(
        cell=world.cell_a1, organisation="nong_dan", actor=world.users["party_a"], **base
    )
    assert case.organisation == "nong_dan"


# --- where events stay ------------------------------------------------------------


def test_events_stay_in_the_branch_after_a_move_and_a_merge(world):
    w = world
    case = walk(w, w.person_a1, Step.SYMPATHISER, on=ago(60))
    hoi_steps = case.events.filter(step__in=[Step.SOURCE, Step.CULTIVATION, Step.INTRODUCED])
    assert set(hoi_steps.values_list("unit_id", flat=True)) == {w.branch_a1.pk}
    people_services.move_person(w.person_a1, to_branch=w.branch_a2, on=ago(30), actor=None)
    case.refresh_from_db()
    assert case.branch == w.branch_a2
    note = S.add_note(case, on=ago(25), text="Sau khi chuyển", actor=actors(w)["hoi"])
    assert note.unit == w.branch_a2
    assert set(hoi_steps.values_list("unit_id", flat=True)) == {w.branch_a1.pk}

    merged = org_services.merge_units(
        [w.branch_a1, w.branch_a2], on=ago(10), name="Chi hội Thôn Đông Tây", code="99001-CH09"
    )
    case.refresh_from_db()
    assert case.branch == merged
    assert set(hoi_steps.values_list("unit_id", flat=True)) == {w.branch_a1.pk}
    note.refresh_from_db()
    assert note.unit == w.branch_a2
    assert Unit.objects.get(pk=w.branch_a1.pk).successor == merged
    # the next Hội event is counted in the merged chi hội
    later = S.add_note(case, on=ago(1), text="Sau sáp nhập", actor=actors(w)["hoi"])
    assert later.unit == merged


def test_reopen_follows_her_current_branch(world):
    w = world
    case = walk(w, w.person_a1, Step.CULTIVATION, on=ago(60))
    S.exit_case(case, status=Status.WITHDRAWN, reason="Xin rút", on=ago(50), actor=None)
    people_services.move_person(w.person_a1, to_branch=w.branch_a2, on=ago(40), actor=None)
    case.refresh_from_db()
    assert case.branch == w.branch_a1  # a closed case stays where it was
    S.reopen_case(case, on=ago(30), actor=actors(w)["hoi"])
    case.refresh_from_db()
    assert case.branch == w.branch_a2


def test_dossier_introducer_without_date_is_a_clear_error(world):
    case = walk(world, world.person_a1, Step.CLASS)
    with pytest.raises(ValidationError, match="hãy ghi ngày bắt đầu cùng công tác"):
        S.complete_dossier(
            case,
            on=today(),
            application_on=today(),
            history_on=today(),
            verification_on=today(),
            residence_comment_on=today(),
            introducers=[
                {"full_name": "Bế Văn A", "known_since": None},
                {"full_name": "Lý Văn B", "known_since": datetime.date(2020, 1, 1)},
            ],
            actor=None,
        )
    assert not case.introducers.exists()


def test_no_note_on_a_closed_case(world):
    case = S.open_case(world.person_a2, on=today(), actor=None)
    S.exit_case(case, status="withdrawn", reason="Xin rút", on=today(), actor=None)
    with pytest.raises(ValidationError, match="không ghi thêm được"):
        S.add_note(case, on=today(), text="Ghi chép", actor=None)
