"""The admission rules at their boundaries, checked through the services (the cell
resolution, the recognition), with messages that name the regulation; and a rule
set with a later effective date applying from that date only."""

import datetime

import pytest

from uutu.orgs.models import Unit
from uutu.people import services as people_services
from uutu.people.models import Party
from uutu.pipeline import rules as R
from uutu.pipeline import services as S
from uutu.pipeline.models import Case, RuleSet, Step
from uutu.pipeline.workdays import add_months

from .test_services import (
    actors,
    ago,
    introducers_for,
    member,
    own_working_days_after,
    refused,
    take_class,
    walk,
)

RULE = "Quy định 294-QĐ/TW"
RESOLUTION_AGO = 40  # the cell resolution in these tests: 40 days ago


def resolution_day() -> datetime.date:
    return ago(RESOLUTION_AGO)


def propose(w, case, on=None, votes_for=5, members=6, **extra):
    return S.cell_resolution(
        case,
        on=on or resolution_day(),
        doc_no="3-NQ/CB",
        votes_for=votes_for,
        members=members,
        actor=actors(w)["cell"],
        **extra,
    )


def ready(w, person, **kwargs) -> Case:
    """A case with a complete dossier, ready for the cell resolution."""
    return walk(
        w,
        person,
        Step.DOSSIER,
        at=Step.DOSSIER,
        on=resolution_day() - datetime.timedelta(days=5),
        **kwargs,
    )


def accepted(w, case, on=None, **extra):
    propose(w, case, on=on, **extra)
    case.refresh_from_db()
    assert case.step == Step.CELL_RESOLUTION
    assert case.events.filter(step=Step.CELL_RESOLUTION, date=on or resolution_day()).exists()


def rejected(w, case, *words, **extra) -> str:
    text = refused(lambda: propose(w, case, **extra), case)
    assert RULE in text, text
    for word in words:
        assert word in text, text
    return text


# --- age, counted in months at the cell resolution ----------------------------------


@pytest.mark.parametrize(("months", "ok"), [(18 * 12 - 1, False), (18 * 12, True)])
def test_minimum_age_in_months(world, months, ok):
    birth = add_months(resolution_day(), -months)
    case = ready(world, member(world, "Đinh Thị Ngọc", birth))
    if ok:
        accepted(world, case)
    else:
        rejected(world, case, "đủ 18 tuổi", "17 tuổi 11 tháng")


@pytest.mark.parametrize("months", [60 * 12, 60 * 12 + 1])
def test_over_sixty_needs_an_approval(world, months):
    birth = add_months(resolution_day(), -months)
    case = ready(world, member(world, "Lục Thị Mến", birth))
    if months == 60 * 12:
        accepted(world, case)
        return
    rejected(world, case, "trên 60 tuổi", "60 tuổi 1 tháng")
    accepted(world, case, age_approval="Công văn 112-CV/TU đồng ý")
    case.refresh_from_db()
    assert case.age_approval == "Công văn 112-CV/TU đồng ý"


def test_age_is_read_from_the_registry_at_the_resolution(world):
    """Her birth date corrected in the registry after she was spotted counts."""
    person = member(world, "Đinh Thị Ngọc", add_months(resolution_day(), -30 * 12))
    case = ready(world, person)
    people_services.update_person(
        person, actor=None, birth_date=add_months(resolution_day(), -17 * 12)
    )
    rejected(world, case, "đủ 18 tuổi")


# --- the awareness class certificate: 60 months ---------------------------------------


@pytest.mark.parametrize(("months", "ok"), [(60, True), (61, False)])
def test_certificate_valid_for_sixty_months(world, months, ok):
    issued = add_months(resolution_day(), -months)
    dates = {Step.SOURCE: issued - datetime.timedelta(days=30), Step.CLASS: issued}
    case = ready(world, world.person_a1, dates=dates)
    certificate = R.latest_certificate(case)
    assert certificate.certificate_on == issued
    assert R.certificate_expired(certificate, resolution_day()) is (not ok)
    if ok:
        accepted(world, case)
        return
    rejected(world, case, "60 tháng", "61 tháng", certificate.certificate_no)
    # a new class renews it
    take_class(world, case, resolution_day() - datetime.timedelta(days=2))
    accepted(world, case)


def test_expired_certificate_is_flagged(world):
    case = walk(
        world, world.person_a1, Step.CLASS, at=Step.CLASS, on=add_months(datetime.date.today(), -61)
    )
    certificate = R.latest_certificate(case)
    assert R.certificate_expired(certificate) is True
    assert R.certificate_expired(certificate, add_months(certificate.certificate_on, 60)) is False
    assert R.certificate_expired(None) is False


# --- education --------------------------------------------------------------------


def test_primary_education_refused_in_an_ordinary_commune(world):
    person = member(world, "Ma Thị Dung", datetime.date(1985, 3, 3), education="primary")
    case = ready(world, person)
    rejected(world, case, "trung học cơ sở")


def test_primary_education_accepted_with_a_recorded_exception(world):
    person = member(world, "Ma Thị Dung", datetime.date(1985, 3, 3), education="primary")
    case = ready(world, person)
    accepted(world, case, education_exception="Xã vùng đồng bào dân tộc thiểu số")
    case.refresh_from_db()
    assert case.education_exception == "Xã vùng đồng bào dân tộc thiểu số"


def test_primary_education_accepted_in_a_remote_commune(world):
    person = member(world, "Ma Thị Dung", datetime.date(1985, 3, 3), education="primary")
    case = ready(world, person)
    Unit.objects.filter(pk=world.commune_a.pk).update(remote_area=True)
    accepted(world, case)


def test_no_education_refused_even_in_a_remote_commune(world):
    person = member(world, "Ma Thị Dung", datetime.date(1985, 3, 3), education="none")
    case = ready(world, person)
    Unit.objects.filter(pk=world.commune_a.pk).update(remote_area=True)
    rejected(world, case, "tiểu học")


def test_remote_party_committee_counts_for_an_external_candidate(world):
    case = S.open_external_case(
        cell=world.cell_a1,
        organisation="doan",
        full_name="Vi Thị Lan",
        birth_date=datetime.date(2000, 1, 1),
        on=ago(100),
        actor=None,
        education="primary",
    )
    assert not R.education_exception_applies(case)
    Unit.objects.filter(pk=world.party_a.pk).update(remote_area=True)
    case = Case.objects.select_related("party_unit__parent").get(pk=case.pk)
    assert R.education_exception_applies(case)


# --- introducers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("official", "months", "ok"),
    [((True, True), 12, True), ((True, False), 24, False), ((True, True), 11, False)],
)
def test_two_official_introducers_known_twelve_months(world, official, months, ok):
    # the first has known her for years; the second for ``months``
    known = (add_months(resolution_day(), -36), add_months(resolution_day(), -months))
    case = ready(world, world.person_a1, introducers=introducers_for(known, official))
    if ok:
        accepted(world, case)
    else:
        rejected(world, case, "2 đảng viên chính thức", "12 tháng", "Hiện có 1 người")


def test_dossier_wants_two_introducers(world):
    case = walk(world, world.person_a1, Step.CLASS, on=ago(10))
    refused(
        lambda: S.complete_dossier(
            case,
            on=ago(1),
            application_on=ago(2),
            history_on=ago(2),
            verification_on=ago(2),
            residence_comment_on=ago(2),
            introducers=introducers_for(ago(1000), (True,)),
            actor=actors(world)["cell"],
        ),
        case,
        "hai người giới thiệu",
    )


# --- re-admission -----------------------------------------------------------------


def test_readmission_after_thirty_six_months(world):
    person = world.person_a1
    left = add_months(resolution_day(), -36)
    people_services.set_party_status(
        person, status=Party.OFFICIAL, on=datetime.date(2012, 1, 1), actor=None
    )
    people_services.set_party_status(person, status=Party.LEFT, on=left, actor=None)
    person.refresh_from_db()
    case = walk(
        world,
        person,
        Step.DOSSIER,
        at=Step.DOSSIER,
        on=add_months(left, 35) - datetime.timedelta(days=3),
    )
    assert case.left_party_on == left
    rejected(world, case, "36 tháng", f"{left:%d/%m/%Y}", on=add_months(left, 35))
    accepted(world, case, on=add_months(left, 36))


# --- the vote ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes_for", "members", "ok"), [(2, 3, True), (4, 6, True), (3, 5, False), (5, 8, False)]
)
def test_two_thirds_of_official_members(world, votes_for, members, ok):
    case = ready(world, world.person_a1)
    if ok:
        accepted(world, case, votes_for=votes_for, members=members)
    else:
        rejected(world, case, "2/3", f"{votes_for}/{members}", votes_for=votes_for, members=members)


def test_invalid_vote_counts(world):
    case = ready(world, world.person_a1)
    refused(lambda: propose(world, case, votes_for=7, members=6), case, "không hợp lệ")
    refused(lambda: propose(world, case, votes_for=0, members=0), case, "không hợp lệ")


def test_every_failing_rule_is_listed(world):
    person = member(
        world, "Đinh Thị Ngọc", add_months(resolution_day(), -17 * 12), education="primary"
    )
    case = ready(world, person, introducers=introducers_for(add_months(resolution_day(), -6)))
    text = rejected(world, case, "đủ 18 tuổi", "trung học cơ sở", "Hiện có 0 người")
    assert text.count(RULE) == 3


# --- a new regulation is a new row ----------------------------------------------------


@pytest.fixture
def rules_2026(db):
    R.ensure_rule_sets()
    return RuleSet.objects.create(
        code="quy-dinh-moi-2026",
        name="Quy định mới 2026 (thử nghiệm)",
        effective_from=datetime.date(2026, 1, 1),
        min_age_years=20,
        decision_working_days=45,
        probation_months=18,
    )


def test_rules_on_picks_the_rule_set_in_force(rules_2026):
    old = RuleSet.objects.get(code="qd294-hd06-2025")
    assert R.rules_on(datetime.date(2025, 12, 31)) == old
    assert R.rules_on(datetime.date(2026, 1, 1)) == rules_2026
    assert R.rules_on(datetime.date(2020, 1, 1)) == old  # older dates: the earliest set


def test_later_rule_set_applies_from_its_date_only(world, rules_2026):
    birth = datetime.date(2006, 6, 1)  # 19 years and 7 months at the turn of 2026
    before = walk(
        world, member(world, "Hà Thị Xuân", birth), Step.DOSSIER, on=datetime.date(2025, 12, 20)
    )
    after = walk(
        world,
        member(world, "Hà Thị Thu", birth, branch=world.branch_a2),
        Step.DOSSIER,
        on=datetime.date(2025, 12, 20),
    )
    S.cell_resolution(
        before,
        on=datetime.date(2025, 12, 31),
        doc_no="1",
        votes_for=3,
        members=3,
        actor=actors(world)["cell"],
    )
    text = refused(
        lambda: S.cell_resolution(
            after,
            on=datetime.date(2026, 1, 2),
            doc_no="2",
            votes_for=3,
            members=3,
            actor=actors(world)["cell"],
        ),
        after,
    )
    assert "Quy định mới 2026" in text and "20 tuổi" in text and RULE not in text
    before.refresh_from_db()
    # the deadline of a 2025 resolution keeps the 2025 numbers (60 working days)
    assert before.due_on == own_working_days_after(datetime.date(2025, 12, 31), 60)


def test_later_rule_set_deadlines_and_probation(world, rules_2026):
    case = walk(world, world.person_a1, Step.CELL_RESOLUTION, on=datetime.date(2026, 1, 5))
    assert case.due_on == own_working_days_after(datetime.date(2026, 1, 5), 45)
    # a ceremony held under the 2026 rules: 18 months of probation
    case = walk(world, world.person_a2, Step.CEREMONY, on=datetime.date(2026, 2, 2))
    assert case.due_on == own_working_days_after(datetime.date(2027, 8, 2), 30)


def test_probation_follows_the_rules_at_the_ceremony(world, rules_2026):
    """Admitted under the 2025 rules (12 months), recognised after the 2026 set
    (18 months) came into force: her 12 months count."""
    ceremony = datetime.date(2025, 9, 3)
    case = walk(world, world.person_a1, Step.CEREMONY, on=ceremony)
    assert case.due_on == own_working_days_after(datetime.date(2026, 9, 3), 30)
    S.recognise(
        case, on=datetime.date(2026, 9, 3), doc_no="5-QĐ/ĐU", actor=actors(world)["committee"]
    )
    world.person_a1.refresh_from_db()
    assert world.person_a1.party_status == Party.OFFICIAL
