"""The case pages and the Hội's steps, through the views."""

import datetime

import pytest
from django.core.paginator import Paginator
from django.urls import reverse

from uutu.people import services as people_services
from uutu.pipeline import services, views_cases
from uutu.pipeline.models import Case, CaseEvent, Status, Step
from uutu.pipeline.tests.permission_cases_hoi import introduced_case

TODAY = datetime.date.today()


def ago(days):
    return TODAY - datetime.timedelta(days=days)


def url(name, **kwargs):
    return reverse(f"pipeline:{name}", kwargs=kwargs)


def new_member(w, name, branch=None, **extra):
    return people_services.create_person(
        actor=None,
        branch=branch or w.branch_a1,
        full_name=name,
        birth_date=datetime.date(1988, 3, 4),
        joined_hoi_on=datetime.date(2008, 1, 1),
        **extra,
    )


def cultivated(person, days=60):
    case = services.open_case(person, on=ago(days), actor=None)
    services.start_cultivation(case, on=ago(days - 5), actor=None)
    return case


# --- pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "province", "commune_a", "party_a"])
def test_pages_render(world, login, persona):
    introduced_case(world)
    client = login(world.users[persona])
    for name in ("case_list", "deadlines", "branch_heads", "bulk"):
        response = client.get(url(name))
        assert response.status_code == 200, name
    response = client.get(url("case_detail", pk=world.case_a1.pk))
    assert response.status_code == 200
    assert "Nguyễn Thị Hoa" in response.content.decode()


def test_case_search_finds_the_case_by_its_own_name_and_her_current_one(world, login):
    """A member renamed after her case was opened is found by either name; a
    candidate from another organisation by her name without diacritics."""
    lua = new_member(world, "Đỗ Thị Lụa")
    case = services.open_case(lua, on=ago(3), actor=None)
    people_services.update_person(lua, actor=None, full_name="Đỗ Thị Hạnh")
    case.refresh_from_db()
    assert case.full_name == "Đỗ Thị Lụa"
    assert case.search_name == "do thi lua do thi hanh"
    external = services.open_external_case(
        cell=world.cell_a1,
        organisation="doan",
        full_name="Lò Thị Phượng",
        birth_date=datetime.date(1999, 2, 3),
        on=ago(2),
        actor=None,
    )
    assert external.search_name == "lo thi phuong"
    client = login(world.users["admin"])
    for q, expected in (
        ("hạnh", {case.pk}),
        ("lua", {case.pk}),
        ("Đỗ hanh", {case.pk}),
        ("PHUONG", {external.pk}),
        ("thi", {case.pk, external.pk}),
        ("hanh phuong", set()),
    ):
        response = client.get(url("case_list"), {"q": q})
        assert {c.pk for c in response.context["page"].object_list} == expected, q
    # a rename back to the case's own name leaves one name in the text
    people_services.update_person(lua, actor=None, full_name="Đỗ Thị Lụa")
    case.refresh_from_db()
    assert case.search_name == "do thi lua"


def test_case_search_reads_the_cases_table_alone(world, login):
    """No join to the members in the search's query: on 20 million members that
    join made PostgreSQL 15 grow one server process past 20 GB (session 9)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    introduced_case(world)
    client = login(world.users["admin"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("case_list"), {"q": "nguyen hoa"})
    assert "Nguyễn Thị Hoa" in response.content.decode()
    searches = [
        q["sql"]
        for q in queries.captured_queries
        if "search_name" in q["sql"].partition(" WHERE ")[2]  # filters on a name
    ]
    assert searches
    assert all("people_person" not in sql for sql in searches), searches


def test_case_list_pages_keep_the_order(world, login, settings):
    """The plain list finds a page's ids on the cases alone, then their rows
    (pagination.IdsFirst): the pages still follow the last change, newest first,
    without a case twice or missing."""
    settings.PAGE_SIZE = 4
    for i in range(9):
        services.open_case(new_member(world, f"Lê Thị Trang {i}"), on=ago(2), actor=None)
    client = login(world.users["commune_a"])
    seen = []
    for number in (1, 2, 3):
        page = client.get(url("case_list"), {"page": number}).context["page"]
        seen += [c.pk for c in page.object_list]
        assert page.paginator.count == 9
    expected = list(
        Case.objects.restrict(world.users["commune_a"], "pipeline.view")
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)
    )
    assert seen == expected and len(seen) == 9


def test_case_list_filters_and_search(world, login):
    introduced_case(world)
    other = services.open_case(new_member(world, "Đỗ Thị Lụa"), on=ago(3), actor=None)
    client = login(world.users["commune_a"])
    page = client.get(url("case_list")).content.decode()
    assert "Nguyễn Thị Hoa" in page and "Đỗ Thị Lụa" in page
    page = client.get(url("case_list"), {"q": "lua"}).content.decode()
    assert "Đỗ Thị Lụa" in page and "Nguyễn Thị Hoa" not in page
    page = client.get(url("case_list"), {"q": "Nguyễn hoa"}).content.decode()
    assert "Nguyễn Thị Hoa" in page and "Đỗ Thị Lụa" not in page
    page = client.get(url("case_list"), {"step": Step.INTRODUCED}).content.decode()
    assert "Nguyễn Thị Hoa" in page and "Đỗ Thị Lụa" not in page
    admin = login(world.users["admin"])
    page = admin.get(url("case_list"), {"unit": world.cell_a1.pk}).content.decode()
    assert "Nguyễn Thị Hoa" in page and "Đỗ Thị Lụa" not in page
    page = admin.get(url("case_list"), {"status": "paused"}).content.decode()
    assert "Nguyễn Thị Hoa" not in page
    assert other.pk
    # Commune B sees neither; a branch head of A1 sees both (her chi hội).
    page = login(world.users["commune_b"]).get(url("case_list")).content.decode()
    assert "Nguyễn Thị Hoa" not in page
    page = login(world.users["branch_head"]).get(url("case_list")).content.decode()
    assert "Đỗ Thị Lụa" in page


def test_branch_head_may_add_a_note_but_not_a_step(world, login):
    case = introduced_case(world)
    client = login(world.users["branch_head"])
    page = client.get(url("case_detail", pk=case.pk)).content.decode()
    assert url("case_note", pk=case.pk) in page
    assert url("case_exit", pk=case.pk) not in page
    response = client.post(
        url("case_note", pk=case.pk), {"on": TODAY.isoformat(), "text": "Đã gặp, trao đổi."}
    )
    assert response.status_code == 302
    assert case.events.filter(kind=CaseEvent.Kind.NOTE, note="Đã gặp, trao đổi.").exists()
    assert client.get(url("case_cultivate", pk=case.pk)).status_code == 403


# --- the Hội's steps through the pages -------------------------------------------------


def test_hoi_cadre_takes_a_member_to_the_party_cell(world, login):
    client = login(world.users["commune_a"])
    person = world.person_a1

    response = client.post(
        url("case_open", person_pk=person.pk), {"on": ago(40).isoformat(), "note": "Chi hội trưởng"}
    )
    case = Case.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == url("case_detail", pk=case.pk)
    assert case.step == Step.SOURCE

    response = client.post(
        url("case_cultivate", pk=case.pk),
        {"on": ago(30).isoformat(), "plan": "Học Điều lệ Đảng, kèm cặp hằng tháng"},
        follow=True,
    )
    assert "Đã ghi nhận bắt đầu bồi dưỡng." in response.content.decode()
    case.refresh_from_db()
    assert case.step == Step.CULTIVATION and "Điều lệ" in case.plan

    mentor = new_member(world, "Vi Thị Duyên", branch=world.branch_a2)
    people_services.set_party_status(mentor, status="official", on=ago(3000), actor=None)
    page = client.get(url("case_mentor", pk=case.pk)).content.decode()
    assert "Vi Thị Duyên" in page
    assert "Lê Thị Hòa" not in page  # not a party member
    response = client.post(
        url("case_mentor", pk=case.pk), {"mentor": mentor.pk, "on": ago(25).isoformat()}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.mentor == mentor

    page = client.get(url("case_introduce", pk=case.pk)).content.decode()
    assert f'<option value="{world.cell_a1.pk}" selected>' in page  # her chi hội's counterpart
    response = client.post(
        url("case_introduce", pk=case.pk),
        {"cell": world.cell_a1.pk, "on": ago(10).isoformat(), "doc_no": "12/GT-HPN"},
        follow=True,
    )
    assert "Đã giới thiệu Nguyễn Thị Hoa cho chi bộ." in response.content.decode()
    case.refresh_from_db()
    assert case.step == Step.INTRODUCED and case.party_unit == world.cell_a1
    assert case.events.filter(step=Step.INTRODUCED, doc_no="12/GT-HPN").exists()

    page = client.get(url("case_detail", pk=case.pk)).content.decode()
    for text in ("12/GT-HPN", "Vi Thị Duyên", "Chi bộ Thôn Đông", "Lương Thị Mai"):
        assert text in page

    response = client.post(
        url("case_hoi_comment", pk=case.pk),
        {"text": "Gương mẫu, nhiệt tình.", "on": ago(5).isoformat()},
    )
    assert response.status_code == 302
    assert case.dossier.hoi_comment == "Gương mẫu, nhiệt tình."

    # The party cell she was introduced to now sees her; the other commune does not.
    secretary = login(world.users["cell_secretary"])
    response = secretary.get(url("case_detail", pk=case.pk))
    assert response.status_code == 200
    assert "Gương mẫu, nhiệt tình." in response.content.decode()
    assert login(world.users["commune_b"]).get(url("case_detail", pk=case.pk)).status_code == 404


def test_open_case_with_a_future_date_is_refused(world, login):
    client = login(world.users["commune_a"])
    response = client.post(
        url("case_open", person_pk=world.person_a1.pk),
        {"on": (TODAY + datetime.timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 200
    assert "không được ở tương lai" in response.content.decode()
    assert not Case.objects.exists()


def test_introduce_before_cultivation_is_refused(world, login):
    case = services.open_case(world.person_a1, on=ago(5), actor=None)
    client = login(world.users["commune_a"])
    response = client.post(
        url("case_introduce", pk=case.pk), {"cell": world.cell_a1.pk, "on": ago(1).isoformat()}
    )
    assert response.status_code == 200
    assert "hồ sơ chưa qua bước “Bồi dưỡng”" in response.content.decode()
    case.refresh_from_db()
    assert case.step == Step.SOURCE and case.party_unit is None


def test_introduce_to_a_cell_of_another_commune_is_refused(world, login):
    case = cultivated(world.person_a1)
    client = login(world.users["commune_a"])
    response = client.post(
        url("case_introduce", pk=case.pk), {"cell": world.cell_b1.pk, "on": ago(1).isoformat()}
    )
    assert response.status_code == 200
    assert "Hãy chọn một chi bộ trong danh sách." in response.content.decode()
    case.refresh_from_db()
    assert case.step == Step.CULTIVATION


def test_open_case_outside_scope_is_404(world, login):
    client = login(world.users["commune_a"])
    assert client.get(url("case_open", person_pk=world.person_b1.pk)).status_code == 404
    response = client.post(url("case_open", person_pk=world.person_b1.pk), {"on": ago(1)})
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_exit_and_reopen(world, login):
    case = introduced_case(world)
    client = login(world.users["commune_a"])
    page = client.get(url("case_exit", pk=case.pk)).content.decode()
    assert 'value="not_admitted"' not in page  # the party side's decision
    response = client.post(
        url("case_exit", pk=case.pk), {"status": "paused", "reason": "", "on": ago(1)}
    )
    assert "Vui lòng ghi lý do." in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.OPEN
    client.post(
        url("case_exit", pk=case.pk),
        {"status": "paused", "reason": "Đi làm ăn xa", "on": ago(1).isoformat()},
    )
    case.refresh_from_db()
    assert case.status == Status.PAUSED and case.status_reason == "Đi làm ăn xa"
    page = client.get(url("case_detail", pk=case.pk)).content.decode()
    assert "Đi làm ăn xa" in page and url("case_reopen", pk=case.pk) in page
    client.post(url("case_reopen", pk=case.pk), {"on": TODAY.isoformat()})
    case.refresh_from_db()
    assert case.status == Status.OPEN


# --- branch heads, bulk, deadlines -----------------------------------------------------


def test_branch_heads_screen(world, login):
    client = login(world.users["commune_a"])
    page = client.get(url("branch_heads")).content.decode()
    assert "Nguyễn Thị Hoa" in page and "chưa có hồ sơ" in page
    assert url("case_open", person_pk=world.person_a1.pk) in page
    assert "0/1" in page
    case = services.open_case(world.person_a1, on=ago(2), actor=None)
    page = client.get(url("branch_heads")).content.decode()
    assert "chưa có hồ sơ" not in page
    assert url("case_detail", pk=case.pk) in page
    assert "1/1" in page
    # Commune B has no branch head of its own in the world.
    page = login(world.users["commune_b"]).get(url("branch_heads")).content.decode()
    assert "Nguyễn Thị Hoa" not in page


def test_a_head_who_moved_away_is_listed_only_where_her_chi_hoi_and_she_both_are(world, login):
    """The screen finds heads through the chi hội they head: a head who moved to
    commune B without her position at A being ended is no longer a head of
    commune A's (she is not its member) nor of commune B's (she heads no chi hội
    there); the province, which holds both, still lists her."""
    people_services.move_person(world.person_a1, to_branch=world.branch_b1, on=ago(3))
    for persona in ("commune_a", "commune_b"):
        response = login(world.users[persona]).get(url("branch_heads"))
        assert "Nguyễn Thị Hoa" not in response.content.decode()
        assert response.context["total"] == 0
    response = login(world.users["province"]).get(url("branch_heads"))
    assert "Nguyễn Thị Hoa" in response.content.decode() and response.context["total"] == 1
    # the unit filter asks the same of the chosen unit
    for unit, listed in ((world.commune_a, 0), (world.commune_b, 0), (world.province, 1)):
        response = login(world.users["province"]).get(url("branch_heads"), {"unit": unit.pk})
        assert response.context["total"] == listed


def test_the_head_of_two_chi_hoi_is_listed_once(world, login):
    """She moved to another chi hội of the commune and heads it, her first position
    not yet ended: both are current, she is one head."""
    moved = people_services.move_person(world.person_a1, to_branch=world.branch_a2, on=ago(20))
    people_services.start_position(
        moved, kind="branch_head", unit=world.branch_a2, start=ago(10), actor=None
    )
    response = login(world.users["commune_a"]).get(url("branch_heads"))
    assert [p.full_name for p in response.context["rows"]] == ["Nguyễn Thị Hoa"]
    assert response.context["total"] == 1


def test_the_whole_country_chooses_a_unit_before_the_branch_heads_are_listed(world, login):
    client = login(world.users["admin"])
    response = client.get(url("branch_heads"))
    page = response.content.decode()
    assert 'data-testid="choose-unit"' in page and "Nguyễn Thị Hoa" not in page
    assert reverse("reports:dashboard") in page and "rows" not in response.context
    response = client.get(url("branch_heads"), {"unit": world.commune_a.pk})
    assert 'data-testid="choose-unit"' not in response.content.decode()
    assert [p.full_name for p in response.context["rows"]] == ["Nguyễn Thị Hoa"]
    assert response.context["total"] == 1


def test_branch_heads_without_per_row_queries(world, login, django_assert_max_num_queries):
    from uutu.orgs import services as org_services

    for i in range(5):
        branch = org_services.create_unit(
            parent=world.commune_a,
            level=world.levels["hoi_branch"],
            name=f"Chi hội Xóm {i}",
            code=f"99001-X{i}",
        )
        p = new_member(world, f"Hoàng Thị Chi Hội {i}", branch=branch)
        people_services.start_position(
            p, kind="branch_head", unit=branch, start=ago(100), actor=None
        )
        if i % 2:
            services.open_case(p, on=ago(1), actor=None)
    client = login(world.users["commune_a"])
    client.get(url("branch_heads"))
    with django_assert_max_num_queries(10):
        response = client.get(url("branch_heads"))
    assert response.content.decode().count("chưa có hồ sơ") == 4
    # in the list's order: commune, chi hội, name (sorted in Python, see _in_list_order)
    assert [(p.branch.name, p.full_name) for p in response.context["rows"]] == [
        ("Chi hội Thôn Đông", "Nguyễn Thị Hoa"),
        *((f"Chi hội Xóm {i}", f"Hoàng Thị Chi Hội {i}") for i in range(5)),
    ]


def test_bulk_introduce_reports_refusals(world, login):
    ready = cultivated(world.person_a1)
    not_cultivated = services.open_case(new_member(world, "Phạm Thị Thu"), on=ago(5), actor=None)
    elsewhere = cultivated(world.person_b1)
    client = login(world.users["commune_a"])
    page = client.get(url("bulk")).content.decode()
    assert "Phạm Thị Thu" in page and "Trần Thị Ánh" not in page
    response = client.post(
        url("bulk"),
        {
            "action": "introduce",
            "case": [ready.pk, not_cultivated.pk, elsewhere.pk],
            "on": ago(1).isoformat(),
            "doc_no": "05/GT-HPN",
        },
    )
    assert response.status_code == 200
    report = response.content.decode()
    assert "đã thực hiện" in report
    assert "hồ sơ chưa qua bước “Bồi dưỡng”" in report
    assert "không tìm thấy" in report
    assert "Trần Thị Ánh" not in report
    ready.refresh_from_db()
    not_cultivated.refresh_from_db()
    elsewhere.refresh_from_db()
    assert ready.step == Step.INTRODUCED and ready.party_unit == world.cell_a1
    assert not_cultivated.step == Step.SOURCE and not_cultivated.party_unit is None
    assert elsewhere.step == Step.CULTIVATION and elsewhere.party_unit is None


def test_bulk_enrol_only_in_classes_in_scope_offering_the_newest(world, login, monkeypatch):
    monkeypatch.setattr(views_cases, "BULK_CLASSES", 1)  # the newest class is offered
    case = introduced_case(world)
    older = services.create_class(
        organiser=world.party_a, title="Lớp khóa 1", start=ago(30), end=ago(28), actor=None
    )
    services.create_class(
        organiser=world.party_a, title="Lớp khóa 2", start=ago(3), end=ago(1), actor=None
    )
    other = services.create_class(
        organiser=world.party_b, title="Lớp xã B", start=ago(2), end=ago(1), actor=None
    )
    client = login(world.users["party_a"])
    page = client.get(url("bulk")).content.decode()
    assert "Lớp khóa 2" in page and "Lớp khóa 1" not in page and "Lớp xã B" not in page
    response = client.post(url("bulk"), {"action": "enrol", "case": [case.pk], "klass": other.pk})
    assert "Hãy chọn một lớp trong danh sách." in response.content.decode()
    assert not case.enrolments.exists()
    # an older class of her scope, not in the list, is still accepted (from its link)
    response = client.post(url("bulk"), {"action": "enrol", "case": [case.pk], "klass": older.pk})
    assert "đã thực hiện" in response.content.decode()
    assert case.enrolments.get().klass == older
    client.logout()
    # the whole country's newest class, for the system administrator
    client = login(world.users["admin"])
    page = client.get(url("bulk")).content.decode()
    assert "Lớp xã B" in page and "Lớp khóa 2" not in page


def test_bulk_lists_the_cases_of_the_chosen_unit(world, login):
    mine = cultivated(world.person_a1)
    other_branch = services.open_case(
        new_member(world, "Phạm Thị Thu", branch=world.branch_a2), on=ago(5), actor=None
    )
    client = login(world.users["commune_a"])
    listed = lambda params: [  # noqa: E731
        c.pk for c in client.get(url("bulk"), params).context["page"].object_list
    ]
    assert sorted(listed({})) == sorted([mine.pk, other_branch.pk])
    assert listed({"unit": world.branch_a2.pk}) == [other_branch.pk]
    assert listed({"unit": "Chi hội Thôn Đông"}) == [mine.pk]
    response = client.get(url("bulk"), {"unit": "Chi hội Thôn Bắc"})  # commune B's
    assert "Không tìm thấy đơn vị" in response.content.decode()


def test_bulk_lists_by_chi_hoi_then_the_external_candidates_across_pages(world, login, monkeypatch):
    from uutu.pipeline.tests.test_views_party import external

    monkeypatch.setattr(views_cases, "Paginator", lambda rows, per_page: Paginator(rows, 2))
    cultivated(world.person_a1)
    for name, branch in (("Phạm Thị Thu", world.branch_a2), ("Âu Thị Vân", world.branch_a1)):
        services.open_case(new_member(world, name, branch=branch), on=ago(5), actor=None)
    external(world, "Đinh Thị Sen")
    external(world, "Bùi Thị Lan", org="ccb")
    client = login(world.users["admin"])
    listed = []
    for number in (1, 2, 3):
        page = client.get(url("bulk"), {"page": number}).context["page"]
        assert page.paginator.count == 5
        listed += [c.pk for c in page.object_list]
    cases = list(Case.objects.filter(status=Status.OPEN).select_related("branch"))
    expected = sorted(
        (c for c in cases if c.branch), key=lambda c: (c.branch.path, c.full_name, c.pk)
    ) + sorted((c for c in cases if not c.branch), key=lambda c: (c.full_name, c.pk))
    assert listed == [c.pk for c in expected]
    assert [c.branch for c in expected[-2:]] == [None, None]


def admitted_to_cell_resolution(w, start):
    """A case carried through the services up to the cell's resolution on ``start + 60``."""
    d = lambda n: start + datetime.timedelta(days=n)  # noqa: E731
    case = services.open_case(w.person_a1, on=d(0), actor=None)
    services.start_cultivation(case, on=d(1), actor=None)
    services.introduce(case, cell=w.cell_a1, on=d(5), actor=None)
    services.add_sympathiser(case, on=d(10), helper_name="Hà Văn Bình", actor=None)
    klass = services.create_class(
        organiser=w.party_a, title="Lớp nhận thức", start=d(12), end=d(16), actor=None
    )
    enrolment = services.enrol(case, klass=klass, actor=None)
    services.record_result(
        enrolment, result="passed", certificate_no="GCN-01", certificate_on=d(17), actor=None
    )
    services.record_hoi_comment(case, text="Tốt", on=d(20), actor=None)
    known = d(20) - datetime.timedelta(days=800)
    services.complete_dossier(
        case,
        on=d(40),
        application_on=d(21),
        history_on=d(22),
        verification_on=d(35),
        residence_comment_on=d(36),
        introducers=[
            {"full_name": "Hà Văn Bình", "known_since": known},
            {"full_name": "Lục Thị Nga", "known_since": known},
        ],
        actor=None,
    )
    services.cell_resolution(case, on=d(60), doc_no="03-NQ/CB", votes_for=9, members=10, actor=None)
    case.refresh_from_db()
    return case


def test_deadlines_list_an_overdue_case(world, login):
    case = admitted_to_cell_resolution(world, ago(400))
    assert case.due_step == Step.DECISION and case.due_on < TODAY
    for persona in ("party_a", "commune_a", "cell_secretary"):
        page = login(world.users[persona]).get(url("deadlines")).content.decode()
        assert "Nguyễn Thị Hoa" in page and "quá hạn" in page, persona
    page = login(world.users["commune_b"]).get(url("deadlines")).content.decode()
    assert "Nguyễn Thị Hoa" not in page
    page = (
        login(world.users["admin"])
        .get(url("deadlines"), {"unit": world.party_b.pk})
        .content.decode()
    )
    assert "Nguyễn Thị Hoa" not in page
    # The case page shows the deadline and the certificate, still valid.
    page = login(world.users["party_a"]).get(url("case_detail", pk=case.pk)).content.decode()
    assert "quá hạn" in page and "GCN-01" in page and "hết giá trị" not in page
    assert "Lục Thị Nga" in page
    # The party side's next step is offered to the commune's party committee only.
    committee = reverse(
        "pipeline:case_committee", kwargs={"pk": case.pk, "step": Step.COMMITTEE_RESOLUTION}
    )
    assert committee in page
    page = login(world.users["commune_a"]).get(url("case_detail", pk=case.pk)).content.decode()
    assert committee not in page


def test_the_probed_scope_selects_the_same_cases_as_the_bitmap_one(world):
    """restrict(probe=True) (a hashed set of unit ids, for the due-date index) and
    the default (arrays for the foreign keys' bitmaps) are the same scope."""
    from django.db import connection

    admitted_to_cell_resolution(world, ago(400))
    services.open_case(world.person_b1, on=ago(3), actor=None)
    services.open_external_case(  # a party-side case: in scope by its cell only
        cell=world.cell_b1,
        organisation="doan",
        full_name="Vi Thị Thu",
        birth_date=datetime.date(1996, 3, 1),
        on=ago(20),
        actor=None,
    )
    for persona, user in world.users.items():
        for action in ("pipeline.view", "pipeline.party", None):
            plain = set(Case.objects.restrict(user, action).values_list("pk", flat=True))
            probed = Case.objects.restrict(user, action, probe=True)
            assert set(probed.values_list("pk", flat=True)) == plain, (persona, action)
    sql = str(Case.objects.restrict(world.users["commune_a"], "pipeline.view", probe=True).query)
    if connection.vendor == "postgresql":
        assert '"branch_id" IN (SELECT id FROM orgs_unit WHERE path LIKE' in sql
        assert "ANY(ARRAY" not in sql


def test_expired_certificate_is_flagged(world, login):
    case = admitted_to_cell_resolution(world, ago(2100))
    page = login(world.users["party_a"]).get(url("case_detail", pk=case.pk)).content.decode()
    assert "hết giá trị" in page


def test_no_deadline_yet_is_not_listed(world, login):
    introduced_case(world)
    page = login(world.users["commune_a"]).get(url("deadlines")).content.decode()
    assert "Nguyễn Thị Hoa" not in page


# --- the person panel ------------------------------------------------------------------


def test_person_panel_renders_cases_with_timelines(world, rf):
    from django.template.loader import render_to_string

    from uutu.pipeline.views_cases import person_cases

    case = introduced_case(world)
    cases = person_cases(world.users["commune_a"], world.person_a1)
    html = render_to_string("pipeline/case_person_panel.html", {"person_cases": cases})
    assert url("case_detail", pk=case.pk) in html
    assert "Giới thiệu cho chi bộ" in html
    assert person_cases(world.users["commune_b"], world.person_a1) == []


# --- query counts ----------------------------------------------------------------------


def test_case_list_query_count(world, login, django_assert_max_num_queries):
    introduced_case(world)
    for i in range(6):
        services.open_case(new_member(world, f"Mã Thị Số {i}"), on=ago(2), actor=None)
    client = login(world.users["commune_a"])
    client.get(url("case_list"))
    with django_assert_max_num_queries(8):
        response = client.get(url("case_list"), {"q": "thi"})
    assert response.content.decode().count("Mã Thị Số") == 6


def test_case_detail_query_count(world, login, django_assert_max_num_queries):
    case = admitted_to_cell_resolution(world, ago(400))
    for i in range(5):
        services.add_note(case, on=ago(i + 1), text=f"Ghi chép {i}", actor=None)
    client = login(world.users["commune_a"])
    client.get(url("case_detail", pk=case.pk))
    with django_assert_max_num_queries(9):
        response = client.get(url("case_detail", pk=case.pk))
    assert response.status_code == 200
    assert response.content.decode().count("Ghi chép ") >= 5


def test_the_migration_fills_every_case_search_text(world):
    """Migration pipeline 0010 writes what ``save()`` would, for members' cases
    (renamed or not) and other organisations' candidates."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from uutu.pipeline.models import search_name_for

    migration = importlib.import_module("uutu.pipeline.migrations.0010_case_search_name")
    introduced_case(world)
    lua = new_member(world, "Đỗ Thị Lụa")
    services.open_case(lua, on=ago(3), actor=None)
    people_services.update_person(lua, actor=None, full_name="Đỗ Thị Hạnh")
    wanted = {
        c.pk: search_name_for(c.full_name, c.person.search_name if c.person_id else "")
        for c in Case.objects.select_related("person")
    }
    assert "do thi lua do thi hanh" in wanted.values()
    Case.objects.update(search_name="")
    migration.BATCH = 1  # several batches
    migration.fill(apps, SimpleNamespace(connection=connection))
    assert dict(Case.objects.values_list("pk", "search_name")) == wanted


def test_verify_reports_a_stale_case_search_text_and_fix_mends_it(world, capsys):
    from django.core.management import CommandError, call_command

    case = introduced_case(world)
    call_command("verify")
    assert "Chữ tìm kiếm của các hồ sơ khớp với họ tên" in capsys.readouterr().out
    Case.objects.filter(pk=case.pk).update(search_name="sai")  # as a raw write would leave it
    with pytest.raises(CommandError, match="1 hồ sơ có chữ tìm kiếm không khớp"):
        call_command("verify")
    assert f"#{case.pk}" in capsys.readouterr().out
    assert Case.objects.get(pk=case.pk).search_name == "sai"  # without --fix nothing is written
    call_command("verify", "--fix")
    assert "Đã ghi lại chữ tìm kiếm của 1 hồ sơ" in capsys.readouterr().out
    assert Case.objects.get(pk=case.pk).search_name == "nguyen thi hoa"
    call_command("verify")
