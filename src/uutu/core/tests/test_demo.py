"""The demo data set (``manage.py load_demo`` / :func:`uutu.core.demo.build_demo`)."""

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
from uutu.orgs.models import Tree, Unit, UnitVersion
from uutu.people.models import Membership, Party, PartyStatusPeriod, Person, Position
from uutu.people.services import validate_person
from uutu.people.validators import validate_cccd

MEMBERS = 300
COMMUNES = 3  # small builds: chi hội and members in three communes only


@pytest.fixture
def demo(db):
    return build_demo(members=MEMBERS, seed=7, communes=COMMUNES)


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


def test_every_branch_has_its_officers_and_cell(demo):
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


def test_party_share_among_branch_officers(demo):
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


def test_people_data_is_valid_and_realistic(demo):
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
    result = build_demo(members=MEMBERS, seed=11, communes=2, stdout=out)
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
    result = build_demo(members=1200, seed=5, communes=4)
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
    result = build_demo(province_code=province.code, members=10, seed=3, stdout=out)
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
