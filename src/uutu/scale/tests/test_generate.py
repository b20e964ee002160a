"""The synthetic data generator at a tiny size: counts, determinism, valid CCCDs,
events consistent with each case's step, officers in every chi hội, integrity, and
the site's pages rendering the generated data for the bench users."""

import datetime
from collections import Counter, defaultdict

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from uutu.accounts.models import User
from uutu.core.text import fold, normalize_name, sort_key, split_full_name
from uutu.orgs.models import Unit
from uutu.people.models import Membership, PartyStatusPeriod, Person, Position
from uutu.people.validators import validate_cccd
from uutu.people.views import LIST_ORDER
from uutu.pipeline.models import STEP_ORDER, Case, CaseEvent, Dossier, Introducer, search_name_for
from uutu.pipeline.workdays import add_months
from uutu.reports.models import Report
from uutu.scale.generator import STEPS, TODAY, Generator
from uutu.scale.writer import dangling_foreign_keys
from uutu.targets.models import ManualFigure, Quota

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _snapshot():
    return list(Person.objects.order_by("id").values_list("full_name", "cccd", "birth_date"))


@pytest.fixture
def commune(db):
    return Generator("commune", seed=7, members=500, province=12).run()


def test_counts(commune):
    assert Person.objects.count() == 500
    assert Membership.objects.filter(end__isnull=True).count() == 500
    branches = Unit.objects.filter(level__code="hoi_branch")
    cells = Unit.objects.filter(level__code="dang_cell")
    assert branches.count() >= 3
    assert cells.count() == branches.count()
    # every chi hội is linked both ways to a chi bộ under the commune's party committee
    for branch in branches.select_related("counterpart", "parent"):
        cell = branch.counterpart
        assert cell.counterpart_id == branch.pk
        assert cell.parent_id == branch.parent.counterpart_id
        assert branch.path == f"{branch.parent.path}{branch.pk:08d}."
    # 5 % of the members: Hội cases and candidates of other organisations
    assert 20 <= Case.objects.count() <= 25
    assert Case.objects.exclude(organisation="hoi").filter(person=None).exists()
    assert Quota.objects.filter(unit__level__code="hoi_commune").exists()
    assert Quota.objects.filter(unit__level__code="hoi_branch").exists()
    assert Quota.objects.filter(unit__level__code="hoi_province").exists()
    assert Quota.objects.filter(unit__level__code="hoi_central").exists()
    assert ManualFigure.objects.count() == 6 * 6  # six indicators, six years
    assert Report.objects.filter(status="approved").filter(snapshot__isnull=False).exists()
    assert set(User.objects.values_list("username", flat=True)) >= {
        "bench_national",
        "bench_province",
        "bench_commune",
        "bench_cell",
    }
    assert commune.counts["people_person"] == 500


def test_same_seed_same_data(db):
    with pytest.raises(_Rollback), transaction.atomic():
        Generator("commune", seed=11, members=300, province=12).run()
        first = _snapshot()
        raise _Rollback
    assert not Person.objects.exists()
    Generator("commune", seed=11, members=300, province=12).run()
    assert _snapshot() == first
    assert len(first) == 300


def test_other_seed_other_data(db):
    with pytest.raises(_Rollback), transaction.atomic():
        Generator("commune", seed=11, members=300, province=12).run()
        first = _snapshot()
        raise _Rollback
    Generator("commune", seed=12, members=300, province=12).run()
    assert _snapshot() != first


def test_people_fields_as_save_computes_them(commune):
    cccds = []
    for p in Person.objects.all():
        assert p.full_name == normalize_name(p.full_name)
        assert (p.family_name, p.middle_name, p.given_name) == split_full_name(p.full_name)
        assert p.search_name == fold(p.full_name)
        assert p.sort_key == sort_key(p.full_name)
        if p.cccd:
            validate_cccd(p.cccd, p.birth_date)  # raises if invalid
            cccds.append(p.cccd)
        assert p.joined_hoi_on <= TODAY
    assert len(cccds) == len(set(cccds)) > 0.5 * 500
    # party status mirrors the open party-status period
    current = dict(
        PartyStatusPeriod.objects.filter(end__isnull=True).values_list("person_id", "status")
    )
    for pk, status in Person.objects.values_list("pk", "party_status"):
        assert current[pk] == status
    assert Person.objects.exclude(party_status="none").exists()


def test_case_search_text_as_save_computes_it(commune):
    """Each generated case's ``search_name`` is what ``Case.save()`` writes: the
    case list's search reads it alone."""
    cases = Case.objects.select_related("person")
    assert cases.exists() and cases.filter(person__isnull=True).exists()
    for case in cases:
        member = case.person.search_name if case.person_id else ""
        assert case.search_name == search_name_for(case.full_name, member), case.pk


def test_positions_in_every_branch(commune):
    today = TODAY
    for branch in Unit.objects.filter(level__code="hoi_branch"):
        current = Position.objects.current(today).filter(unit=branch)
        kinds = Counter(current.values_list("kind", flat=True))
        assert kinds["branch_head"] == 1, branch
        assert 1 <= kinds["branch_deputy"] <= 2, branch
        for pos in current.select_related("person"):
            assert pos.person.branch_id == branch.pk
    assert Position.objects.filter(kind="chair").count() == 1


def test_events_match_each_case(commune):
    cases = Case.objects.select_related("person", "branch")
    events = defaultdict(list)
    for ev in CaseEvent.objects.order_by("date", "id"):
        events[ev.case_id].append(ev)
    seen_status = set()
    for case in cases:
        seen_status.add(case.status)
        steps = [e for e in events[case.pk] if e.kind == "step"]
        # one event for every step up to the case's step, in order, dates not going back
        assert [e.step for e in steps] == STEPS[: STEP_ORDER[case.step] + 1], case
        dates = [e.date for e in steps]
        assert dates == sorted(dates)
        assert case.opened_on == dates[0]
        assert all(e.organisation == case.organisation for e in steps)
        exits = [e for e in events[case.pk] if e.kind == "exit"]
        if case.status in ("paused", "withdrawn", "not_eligible", "not_admitted"):
            assert [e.status for e in exits] == [case.status]
            assert exits[0].date >= dates[-1]
        else:
            assert exits == []
        if case.status == "done":
            assert case.step == "official"
        by_step = {e.step: e for e in steps}
        if case.person_id:
            assert all(e.hoi_unit_id == case.branch_id for e in steps)
            if "cell_resolution" in by_step:
                age_days = (by_step["cell_resolution"].date - case.birth_date).days
                assert age_days >= 18 * 365
            if "ceremony" in by_step:
                assert case.person.party_status in ("probationary", "official")
        if "introduced" in by_step:
            assert case.party_unit.level.code == "dang_cell"
            assert by_step["introduced"].data == {"cell": case.party_unit_id}
        if "official" in by_step:
            assert by_step["official"].date >= add_months(by_step["ceremony"].date, 12)
        if "dossier" in by_step:
            assert Introducer.objects.filter(case=case).count() == 2
            assert Dossier.objects.get(case=case).application_on <= by_step["dossier"].date
        if case.status == "open" and case.step == "cell_resolution":
            assert case.due_step == "decision" and case.due_on > by_step["cell_resolution"].date
    assert "open" in seen_status


def test_integrity(commune):
    connection.check_constraints()  # every foreign key points at a row
    assert dangling_foreign_keys(apps.get_app_config("people").get_models()) == []
    assert dangling_foreign_keys(apps.get_app_config("pipeline").get_models()) == []
    call_command("check")


def test_dangling_keys_are_found(commune):
    # the foreign keys are deferred: the broken row is found before the check at commit
    with transaction.atomic():
        Membership.objects.filter(pk=Membership.objects.first().pk).update(branch_id=99_999_999)
        assert dangling_foreign_keys([Membership]) == [("people_membership", "branch_id", 1)]
        transaction.set_rollback(True)


def test_province_scale_small(db):
    result = Generator("province", seed=3, members=900, communes=3, province=12).run()
    assert result.communes == 3
    assert Person.objects.count() == 900
    communes = Unit.objects.filter(level__code="hoi_commune", children__isnull=False).distinct()
    assert communes.count() == 3
    province = Unit.objects.get(level__code="hoi_province")
    year = Quota.objects.filter(unit=province, indicator="introduced", period__kind="year")
    per_commune = Quota.objects.filter(
        unit__in=communes, indicator="introduced", period=year.first().period
    )
    assert year.first().value == sum(q.value for q in per_commune)


def test_refuses_a_database_with_members(commune):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="đã có hội viên"):
        Generator("commune", seed=7, members=500, province=12).run()


def test_pages_render_for_bench_users(commune, client):
    users = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
    person = Person.objects.order_by(*LIST_ORDER).first()  # the list's first row
    case = Case.objects.filter(person__isnull=False, step="dossier").first() or Case.objects.first()
    for username in ("bench_national", "bench_province", "bench_commune"):
        client.force_login(users[username])
        page = client.get(reverse("people:list"))
        assert page.status_code == 200, username
        assert person.full_name in page.content.decode()
        assert client.get(reverse("people:detail", args=[person.pk])).status_code == 200
        detail = client.get(reverse("pipeline:case_detail", args=[case.pk]))
        assert detail.status_code == 200
        assert case.full_name in detail.content.decode()
        assert client.get(reverse("reports:dashboard")).status_code == 200
    client.force_login(users["bench_cell"])
    assert client.get(reverse("reports:dashboard")).status_code == 200
    cell_case = Case.objects.filter(
        party_unit__in=Unit.objects.filter(
            counterpart__in=[users["bench_cell"].assignments.get().unit.counterpart_id]
        )
    ).first()
    if cell_case is not None:
        assert client.get(reverse("pipeline:case_detail", args=[cell_case.pk])).status_code == 200


def test_command(db, capsys):
    call_command(
        "generate", "--scale", "commune", "--seed", "5", "--members", "200", "--province", "12"
    )
    out = capsys.readouterr().out
    assert "people_person" in out and "200" in out
    assert Person.objects.count() == 200
    assert datetime.date(2026, 11, 21) == TODAY


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the table of name words is PostgreSQL's"
)
def test_every_name_word_is_listed_for_the_search(commune):
    """The load writes members with the name-word trigger off, then lists their
    words once (uutu.people.namewords): none is missing, and the trigger is on
    again for the members written afterwards."""
    from uutu.people import namewords
    from uutu.people import services as people_services
    from uutu.people.models import NameWord

    with connection.cursor() as cursor:
        assert namewords.missing(cursor) == []
    words = {
        w for name in Person.objects.values_list("search_name", flat=True) for w in name.split()
    }
    assert words and set(NameWord.objects.values_list("word", flat=True)) >= words
    branch = Person.objects.first().branch
    people_services.create_person(
        actor=None, branch=branch, full_name="Giàng Thị Xuyzq", birth_date=datetime.date(1990, 1, 1)
    )
    assert NameWord.objects.filter(word="xuyzq").exists()
