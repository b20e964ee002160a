"""Hand-made pipeline data for the emulation and dashboard tests: cases walked
through :mod:`uutu.pipeline.services` to a given step on given dates."""

import datetime

from uutu.people import services as people_services
from uutu.pipeline import services
from uutu.pipeline.models import Step

_counter = {"n": 0}


def member(branch, name: str, *, head_since: datetime.date | None = None):
    """A new member of ``branch``; a chi hội trưởng from ``head_since`` when given."""
    _counter["n"] += 1
    person = people_services.create_person(
        actor=None,
        branch=branch,
        full_name=name,
        birth_date=datetime.date(1985, 1, 1) + datetime.timedelta(days=37 * _counter["n"]),
        joined_hoi_on=datetime.date(2010, 1, 1),
    )
    if head_since is not None:
        people_services.start_position(
            person, kind="branch_head", unit=branch, start=head_since, actor=None
        )
    return person


def walk(person, *, cell, party_commune, until: str, on: datetime.date):
    """Open a case for ``person`` and record every step up to ``until``
    (``Step.INTRODUCED`` or ``Step.DECISION``); the introduction is on ``on`` and
    the admission decision 40 days later."""
    d = on
    case = services.open_case(person, on=d - datetime.timedelta(days=20), actor=None)
    services.start_cultivation(case, on=d - datetime.timedelta(days=10), actor=None)
    if until == Step.CULTIVATION:
        return case
    services.introduce(case, cell=cell, on=d, doc_no="01/GT-HPN", actor=None)
    if until == Step.INTRODUCED:
        return case
    services.record_hoi_comment(case, text="Gương mẫu, nhiệt tình.", on=d, actor=None)
    services.add_sympathiser(
        case, on=d + datetime.timedelta(days=1), helper_name="Lý Văn A", actor=None
    )
    klass = services.create_class(
        organiser=party_commune,
        title=f"Lớp nhận thức về Đảng {d:%d/%m/%Y} {case.pk}",
        start=d + datetime.timedelta(days=2),
        end=d + datetime.timedelta(days=4),
        actor=None,
    )
    enrolment = services.enrol(case, klass=klass, actor=None)
    services.record_result(
        enrolment,
        result="passed",
        certificate_no=f"{case.pk:03d}/GCN",
        certificate_on=d + datetime.timedelta(days=4),
        actor=None,
    )
    dossier_on = d + datetime.timedelta(days=20)
    services.complete_dossier(
        case,
        on=dossier_on,
        application_on=dossier_on - datetime.timedelta(days=10),
        history_on=dossier_on - datetime.timedelta(days=8),
        verification_on=dossier_on - datetime.timedelta(days=2),
        residence_comment_on=dossier_on - datetime.timedelta(days=2),
        introducers=[
            {"full_name": "Hoàng Văn B", "known_since": datetime.date(2015, 1, 1)},
            {"full_name": "Nông Thị C", "known_since": datetime.date(2015, 1, 1)},
        ],
        actor=None,
    )
    services.cell_resolution(
        case,
        on=d + datetime.timedelta(days=25),
        doc_no="01-NQ/CB",
        votes_for=9,
        members=10,
        actor=None,
    )
    services.committee_step(
        case,
        step=Step.COMMITTEE_RESOLUTION,
        on=d + datetime.timedelta(days=35),
        doc_no="10-NQ/ĐU",
        actor=None,
    )
    services.committee_step(
        case, step=Step.DECISION, on=d + datetime.timedelta(days=40), doc_no="11-QĐ/ĐU", actor=None
    )
    return case
