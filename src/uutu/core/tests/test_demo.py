"""The demo data set (``manage.py load_demo`` / :func:`uutu.core.demo.build_demo`)."""

import datetime
import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command

from uutu.accounts.models import RoleAssignment, User
from uutu.accounts.roles import Role
from uutu.core.demo import build_demo
from uutu.core.models import AuditEntry
from uutu.core.text import fold, sort_key
from uutu.emulation.models import Criterion, ManualScore
from uutu.emulation.services import rank
from uutu.orgs.models import Tree, Unit, UnitVersion
from uutu.people.models import Membership, Party, PartyStatusPeriod, Person, Position
from uutu.people.services import validate_person
from uutu.people.validators import validate_cccd
from uutu.pipeline.models import (
    EXIT_STATUSES,
    AwarenessClass,
    Case,
    CaseEvent,
    Enrolment,
    Organisation,
    Status,
    Step,
)
from uutu.pipeline.rules import certificate_expired
from uutu.pipeline.services import step_dates
from uutu.targets.models import ManualFigure, Period, Quota

MEMBERS = 300
COMMUNES = 3  # small builds: chi hội and members in three communes only


@pytest.fixture
def demo(db):
    """The small build, with its pipeline cases."""
    return build_demo(members=MEMBERS, seed=7, communes=COMMUNES)


@pytest.fixture
def demo_people(db):
    """The small build without pipeline cases (faster; the registry as generated)."""
    return build_demo(members=MEMBERS, seed=7, communes=COMMUNES, cases=0)


def _smallest_province():
    """The province with the fewest communes (Lai Châu, 38, in the 2025 list)."""
    from vietnam_provinces import Province

    return min(Province.iter_all(), key=lambda p: (_ward_count(p), int(p.code)))


def _ward_count(province):
    from vietnam_provinces import Ward

    return sum(1 for _ in Ward.iter_by_province(province.code))


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Unit,
            UnitVersion,
            Person,
            Membership,
            Position,
            PartyStatusPeriod,
            User,
            RoleAssignment,
            AuditEntry,
            Case,
            CaseEvent,
            AwarenessClass,
            Enrolment,
            Quota,
            ManualFigure,
            Criterion,
            ManualScore,
        )
    }


def _people():
    return list(Person.objects.order_by("id").values_list("full_name", "cccd", "branch_id"))


def _branches():
    return Unit.objects.filter(tree=Tree.HOI, level__code="hoi_branch")


def test_second_run_changes_nothing(demo):
    before = _counts()
    names_before = _people()
    out = io.StringIO()
    call_command(
        "load_demo", "--members", str(MEMBERS), "--seed", "7", "--communes", "3", stdout=out
    )
    assert _counts() == before
    assert _people() == names_before
    assert "không tạo thêm" in out.getvalue()
    assert before["Person"] == MEMBERS
    assert before["Case"] == demo.cases_created > 0


def test_every_branch_has_its_officers_and_cell(demo_people):
    demo = demo_people
    branches = list(_branches().select_related("counterpart__level", "parent__level"))
    assert len(demo.communes) == COMMUNES
    assert demo.branches == len(branches) >= 8 * COMMUNES
    assert {b.parent for b in branches} == set(demo.communes)
    current = Position.objects.current()
    for branch in branches:
        kinds = Counter(current.filter(unit=branch).values_list("kind", flat=True))
        assert kinds["branch_head"] == 1, branch
        assert 1 <= kinds["branch_deputy"] <= 2, branch
        assert branch.name.startswith(("Chi hội Xóm", "Chi hội Thôn", "Chi hội Tổ dân phố"))
        cell = branch.counterpart
        assert cell is not None and cell.level.code == "dang_cell"
        assert cell.counterpart_id == branch.pk
        assert cell.parent_id == branch.parent.counterpart_id
        assert branch.members.count() >= 3
    for position in Position.objects.select_related("person"):
        assert position.person.branch_id == position.unit_id
        assert position.person.joined_hoi_on <= position.start


def test_party_share_among_branch_officers(demo_people):
    officers = Person.objects.filter(
        positions__kind__in=["branch_head", "branch_deputy"], positions__end__isnull=True
    ).distinct()
    total = officers.count()
    party = officers.filter(party_status__in=[Party.PROBATIONARY, Party.OFFICIAL]).count()
    assert total >= 3 * 2
    assert 0.23 <= party / total <= 0.44, (party, total)
    # party_status mirrors the open PartyStatusPeriod, and the periods chain up
    for person in Person.objects.prefetch_related("party_periods"):
        periods = sorted(person.party_periods.all(), key=lambda p: p.start)
        assert [p for p in periods if p.end is None][0].status == person.party_status
        assert sum(1 for p in periods if p.end is None) == 1
        for earlier, later in zip(periods, periods[1:], strict=False):
            assert earlier.end == later.start


def test_people_data_is_valid_and_realistic(demo_people):
    people = list(Person.objects.all())
    assert len(people) == MEMBERS
    cccds = [p.cccd for p in people if p.cccd]
    assert len(cccds) == len(set(cccds))
    assert 0.55 <= len(cccds) / len(people) <= 0.85
    for p in people:
        if p.cccd:
            validate_cccd(p.cccd, p.birth_date)
        assert 1965 <= p.birth_date.year <= 2004
        assert p.family_name and p.middle_name and p.given_name
        assert p.full_name == f"{p.family_name} {p.middle_name} {p.given_name}"
        assert p.search_name == fold(p.full_name)
        assert p.sort_key == sort_key(p.full_name)
        assert p.branch.level.code == "hoi_branch"
        validate_person(p)  # every field rule of the registry
        assert not p.is_exemplar or p.exemplar_citation
    assert Membership.objects.filter(end__isnull=True).count() == len(people)
    ethnicities = Counter(p.ethnicity for p in people)
    assert ethnicities.most_common(1)[0][0] in ("Tày", "Nùng")
    assert Counter(p.middle_name for p in people).most_common(1)[0][0] == "Thị"
    families = Counter(p.family_name for p in people)
    assert len(families) >= 10
    assert any(p.phone for p in people) and any(not p.phone for p in people)


def test_demo_users_log_in_with_the_printed_password(db):
    out = io.StringIO()
    result = build_demo(members=MEMBERS, seed=11, communes=2, stdout=out, cases=0)
    printed = out.getvalue()
    assert result.password in printed
    expected = {
        "admin": Role.SYSADMIN,
        "tinh": Role.PROVINCE_CADRE,
        "xa": Role.COMMUNE_CADRE,
        "xa2": Role.COMMUNE_CADRE,
        "chihoi": Role.BRANCH_HEAD,
        "dangxa": Role.PARTY_COMMITTEE,
        "chibo": Role.CELL_SECRETARY,
    }
    assert {u.username for u in result.users} == set(expected)
    for username, role in expected.items():
        assert username in printed
        user = authenticate(None, username=username, password=result.password)
        assert user is not None, username
        assert authenticate(None, username=username, password="sai-mat-khau-1") is None
        assert list(user.assignments.values_list("role", flat=True)) == [role]
        validate_password(result.password, user)
    units = {a.user.username: a.unit for a in RoleAssignment.objects.select_related("user", "unit")}
    commune_a, commune_b = result.communes[0], result.communes[1]
    assert units["xa"] == commune_a and units["xa2"] == commune_b != commune_a
    assert units["chihoi"].parent == commune_a
    assert units["dangxa"] == commune_a.counterpart
    assert units["chibo"] == units["chihoi"].counterpart
    assert units["tinh"].level.code == "hoi_province"
    assert units["admin"].level.code == "hoi_central"
    head = Position.objects.current().get(unit=units["chihoi"], kind="branch_head").person
    assert User.objects.get(username="chihoi").full_name == head.full_name


def test_members_are_dense_in_the_two_demo_communes(db):
    result = build_demo(members=1200, seed=5, communes=4, cases=0)
    per_commune = Counter(Person.objects.values_list("branch__parent_id", flat=True))
    a, b, *others = result.communes
    assert sum(per_commune.values()) == 1200
    for dense in (a, b):
        assert 0.13 * 1200 <= per_commune[dense.pk] <= 0.17 * 1200, per_commune
    assert all(per_commune[c.pk] > 0 for c in others)


def test_every_commune_of_a_province_gets_branches_and_officers(db):
    """All communes of the smallest province: at least 8 chi hội each, every one with
    its chi bộ and exactly one current chi hội trưởng. Asked for fewer members than
    there are officers, the demo creates the officers and says so."""
    province = _smallest_province()
    out = io.StringIO()
    result = build_demo(province_code=province.code, members=10, seed=3, stdout=out, cases=0)
    communes = list(
        Unit.objects.filter(tree=Tree.HOI, level__code="hoi_commune").select_related("counterpart")
    )
    assert len(communes) == len(result.communes) == _ward_count(province)
    branches = Unit.objects.filter(
        tree=Tree.HOI, level__code="hoi_branch", is_active=True
    ).select_related("counterpart__level")
    by_commune = Counter()
    for branch in branches:
        cell = branch.counterpart
        assert cell is not None and cell.level.code == "dang_cell"
        assert cell.parent_id == branch.parent.counterpart_id
        by_commune[branch.parent_id] += 1
    for commune in communes:
        assert 8 <= by_commune[commune.pk] <= 20, commune
        if commune.area_name.startswith("Xã"):
            prefixes = ("Chi hội Xóm", "Chi hội Thôn")
        else:
            prefixes = ("Chi hội Tổ dân phố",)
        for branch in branches:
            if branch.parent_id == commune.pk:
                assert branch.name.startswith(prefixes), branch
    heads = Counter(
        Position.objects.current()
        .filter(kind="branch_head", unit__level__code="hoi_branch")
        .values_list("unit_id", flat=True)
    )
    assert set(heads) == {b.pk for b in branches}
    assert set(heads.values()) == {1}
    deputies = Counter(
        Position.objects.current().filter(kind="branch_deputy").values_list("unit_id", flat=True)
    )
    assert set(deputies) == set(heads) and set(deputies.values()) <= {1, 2}
    # members=10 is below the floor: exactly the officers are created, and reported
    assert Person.objects.count() == Position.objects.count() == result.members_created > 10
    assert "ít hơn số tối thiểu" in out.getvalue()
    officers = Person.objects.all()
    party = officers.filter(party_status__in=[Party.PROBATIONARY, Party.OFFICIAL]).count()
    assert 0.23 <= party / officers.count() <= 0.44


def test_cases_at_every_step_exit_and_deadline(demo):
    """One build, checked in one test: the case-generation is the slow part."""
    assert not demo.case_errors
    cases = Case.objects.all()
    assert 60 <= cases.count() == demo.cases_total == demo.cases_created <= 80
    open_steps = set(cases.filter(status=Status.OPEN).values_list("step", flat=True))
    assert open_steps | {Step.OFFICIAL} == set(Step.values)
    assert cases.filter(status=Status.DONE, step=Step.OFFICIAL).exists()
    statuses = set(cases.values_list("status", flat=True))
    assert set(EXIT_STATUSES) <= statuses
    for case in cases.exclude(status=Status.OPEN).exclude(status=Status.DONE):
        assert case.status_reason and case.events.filter(kind=CaseEvent.Kind.EXIT).exists()
    # the case step is the furthest recorded step, and steps come in order
    for case in cases.prefetch_related("events"):
        dates = step_dates(case)
        assert case.step in dates
        ordered = [dates[s] for s in Step.values if s in dates and s != Step.CLASS]
        assert ordered == sorted(ordered), case
        assert max(dates.values()) <= datetime.date.today()

    # deadlines: overdue and due soon, none on closed cases
    today = datetime.date.today()
    open_cases = Case.objects.filter(status=Status.OPEN)
    overdue = open_cases.filter(due_on__lt=today)
    assert demo.cases_overdue == overdue.count() >= 3
    assert {Step.DECISION, Step.CEREMONY, Step.OFFICIAL} == set(
        overdue.values_list("due_step", flat=True)
    )
    assert open_cases.filter(
        due_on__gte=today, due_on__lte=today + datetime.timedelta(days=14)
    ).exists()
    assert not Case.objects.exclude(status=Status.OPEN).exclude(due_on=None).exists()

    # denser where the demo users work
    branch = RoleAssignment.objects.get(user__username="chihoi").unit
    cell = RoleAssignment.objects.get(user__username="chibo").unit
    commune_a, commune_b, commune_c = demo.communes
    in_commune = Counter(Case.objects.exclude(branch=None).values_list("branch__parent", flat=True))
    assert min(in_commune[commune_a.pk], in_commune[commune_b.pk]) > in_commune[commune_c.pk] > 0
    per_branch = Counter(Case.objects.exclude(branch=None).values_list("branch", flat=True))
    # (a small build has few members per chi hội: her chi hội is above the average)
    assert per_branch[branch.pk] >= 3
    assert per_branch[branch.pk] > sum(per_branch.values()) / len(per_branch)
    assert Case.objects.filter(party_unit=cell).count() >= 3
    # party-side steps of her cell's cases are recorded in that cell
    assert CaseEvent.objects.filter(unit=cell, step=Step.CELL_RESOLUTION).exists()

    # classes, certificates, mentors, notes, external candidates
    assert AwarenessClass.objects.count() >= 2
    passed = Enrolment.objects.filter(result=Enrolment.Result.PASSED)
    numbers = list(passed.values_list("klass_id", "certificate_no"))
    assert len(numbers) == len(set(numbers)) and all(no for _k, no in numbers)
    assert any(certificate_expired(e) for e in passed)  # one certificate over 60 months
    assert Enrolment.objects.filter(result=Enrolment.Result.PENDING).exists()
    assert Enrolment.objects.filter(result=Enrolment.Result.FAILED).exists()
    mentored = Case.objects.exclude(mentor=None).select_related("mentor")
    assert mentored.exists()
    for case in mentored:
        assert case.mentor.party_status == Party.OFFICIAL
        assert case.mentor.branch.parent_id == case.branch.parent_id
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.NOTE).exists()
    external = Case.objects.exclude(organisation=Organisation.HOI)
    assert {Organisation.DOAN, Organisation.NONG_DAN} <= set(
        external.values_list("organisation", flat=True)
    )
    for case in external:
        assert case.person is None and case.party_unit.level.code == "dang_cell"
        assert case.reached(Step.INTRODUCED)
    # admitted members' party status follows their ceremony
    for case in Case.objects.filter(step__in=[Step.CEREMONY, Step.OFFICIAL]).exclude(person=None):
        expected = Party.OFFICIAL if case.step == Step.OFFICIAL else Party.PROBATIONARY
        assert case.person.party_status == expected


def test_quotas_figures_emulation_and_reports(demo_people, client):
    """The province's quotas for this year are handed down to every commune and, in
    the populated communes, to their chi hội; the seeds' split (150 chi hội trưởng +
    350 others of 500) is kept; every commune has manual figures; the province and
    commune A have emulation criteria; one report is approved and one submitted; the
    dashboard and the ranking show them."""
    demo = demo_people
    period = Period.year(datetime.date.today().year)
    province = Unit.objects.get(level__code="hoi_province")
    communes = list(Unit.objects.filter(parent=province, is_active=True))
    quotas = {(q.unit_id, q.indicator): q.value for q in Quota.objects.filter(period=period)}
    own = quotas[(province.pk, "introduced")]
    assert own == sum(quotas[(c.pk, "introduced")] for c in communes)  # fully allocated
    assert (
        own
        == quotas[(province.pk, "introduced_branch_heads")]
        + quotas[(province.pk, "introduced_others")]
    )
    assert 0.25 <= quotas[(province.pk, "introduced_branch_heads")] / own <= 0.35
    assert quotas[(province.pk, "admitted")] < own
    for code in ("branch_heads_party_pct", "new_members_per_cell", "propaganda_sessions"):
        assert (province.pk, code) in quotas
    for commune in demo.communes[:2]:  # second level: the chi hội of the demo communes
        branch_ids = list(
            Unit.objects.filter(parent=commune, level__code="hoi_branch").values_list(
                "pk", flat=True
            )
        )
        for code in ("introduced", "admitted"):
            assert sum(quotas.get((b, code), 0) for b in branch_ids) == quotas[(commune.pk, code)]
    assert set(ManualFigure.objects.filter(period=period).values_list("unit_id", flat=True)) == {
        c.pk for c in communes
    }
    assert demo.quotas_created and demo.figures_created and demo.criteria_created == 12

    ranking = rank(province, period.start.year)
    assert ranking.max_points == 100 and len(ranking.rows) == len(communes)
    assert ManualScore.objects.exists()

    from uutu.reports.models import Report

    statuses = set(Report.objects.values_list("status", flat=True))
    assert {"submitted", "approved"} <= statuses and demo.reports_created == 2
    approved = Report.objects.get(status="approved")
    assert approved.unit == demo.communes[0] and approved.snapshot

    client.force_login(User.objects.get(username="tinh"))
    response = client.get("/bao-cao/bang-dieu-khien/")
    assert response.status_code == 200
    rows = {p["code"] for p in response.context["progress_rows"]}
    assert {"introduced", "admitted", "branch_heads_party_pct"} <= rows
    assert response.context["children_count"] == len(communes)
    all_children = client.get("/bao-cao/bang-dieu-khien/", {"con": "tat-ca"})
    assert len(all_children.context["children"]) == len(communes)
    client.force_login(User.objects.get(username="xa"))
    response = client.get("/thi-dua/xep-hang/")
    assert response.status_code == 200 and response.context["ranking"].rows
