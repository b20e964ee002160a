"""The party side of the pipeline through the views: the candidates of the cells,
the cell's and the committee's steps, the sympathiser review and the classes."""

import datetime

import pytest
from django.urls import reverse

from uutu.orgs import services as org_services
from uutu.people.models import Party
from uutu.pipeline import services
from uutu.pipeline.models import AwarenessClass, Case, Enrolment, Organisation, Status, Step
from uutu.pipeline.tests.permission_cases_party import party_case

TODAY = datetime.date.today()


def ago(days):
    return TODAY - datetime.timedelta(days=days)


def years_ago(years, days=0):
    return TODAY.replace(year=TODAY.year - years) - datetime.timedelta(days=days)


def url(name, **kwargs):
    return reverse(f"pipeline:{name}", kwargs=kwargs)


def external(w, name, *, cell=None, birth_date=datetime.date(1995, 6, 1), org="doan", days=40):
    return services.open_external_case(
        cell=cell or w.cell_a1,
        organisation=org,
        full_name=name,
        birth_date=birth_date,
        on=ago(days),
        actor=None,
    )


def certified(w, case, on):
    klass = services.create_class(
        organiser=w.party_a, title=f"Lớp {case.full_name}", start=on, end=on, actor=None
    )
    enrolment = services.enrol(case, klass=klass, actor=None)
    services.record_result(
        enrolment, result="passed", certificate_no=f"GCN-{case.pk}", certificate_on=on, actor=None
    )
    return klass


def dossier_ready(w, case, *, start=30):
    """Sympathiser, class and dossier, through the services."""
    services.add_sympathiser(case, on=ago(start), helper_name="Hà Văn Bình", actor=None)
    certified(w, case, ago(start - 1))
    if case.organisation == Organisation.HOI:
        services.record_hoi_comment(
            case, text="Gương mẫu, nhiệt tình.", on=ago(start - 1), actor=None
        )
    services.complete_dossier(
        case,
        on=ago(start - 2),
        application_on=ago(start - 2),
        history_on=ago(start - 2),
        verification_on=ago(start - 2),
        residence_comment_on=ago(start - 2),
        introducers=[
            {"full_name": "Hà Văn Bình", "is_official": True, "known_since": years_ago(3)},
            {"full_name": "Lục Thị Nga", "is_official": True, "known_since": years_ago(2)},
        ],
        actor=None,
    )
    return case


def reload(case):
    return Case.objects.get(pk=case.pk)


def dates(case):
    return services.step_dates(case)


# --- the candidates list --------------------------------------------------------------


def test_cell_secretary_sees_the_hoi_introduction_and_records_the_cell_steps(world, login):
    case = party_case(world)  # introduced by the Hội to chi bộ A1, 10 days ago
    client = login(world.users["cell_secretary"])
    page = client.get(url("party_candidates")).content.decode()
    assert "Nguyễn Thị Hoa" in page
    assert "Hội Liên hiệp Phụ nữ" in page
    assert url("case_sympathiser", pk=case.pk) in page  # the next step, linked

    response = client.post(
        url("case_sympathiser", pk=case.pk),
        {"on": ago(9).isoformat(), "helper_name": "Hà Văn Bình"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("case_detail", pk=case.pk)
    case = reload(case)
    assert case.step == Step.SYMPATHISER and case.helper_name == "Hà Văn Bình"
    assert case.sympathiser_review_on == ago(9)

    certified(world, case, ago(8))
    services.record_hoi_comment(case, text="Gương mẫu, nhiệt tình.", on=ago(8), actor=None)
    day = ago(6).isoformat()
    response = client.post(
        url("case_dossier", pk=case.pk),
        {
            "on": ago(5).isoformat(),
            "application_on": day,
            "history_on": day,
            "verification_on": day,
            "residence_comment_on": day,
            "intro1_name": "Hà Văn Bình",
            "intro1_official": "on",
            "intro1_unit": "Chi bộ Thôn Đông",
            "intro1_since": years_ago(3).isoformat(),
            "intro2_name": "Lục Thị Nga",
            "intro2_official": "on",
            "intro2_since": years_ago(2).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    case = reload(case)
    assert case.step == Step.DOSSIER
    assert sorted(case.introducers.values_list("full_name", flat=True)) == [
        "Hà Văn Bình",
        "Lục Thị Nga",
    ]

    page = client.get(url("case_cell_resolution", pk=case.pk)).content.decode()
    assert "Tuổi hôm nay" in page and "tháng" in page
    assert "Người giới thiệu đủ điều kiện" in page
    response = client.post(
        url("case_cell_resolution", pk=case.pk),
        {"on": ago(4).isoformat(), "doc_no": "12-NQ/CB", "votes_for": 5, "members": 6},
    )
    assert response.status_code == 302, response.content.decode()
    case = reload(case)
    assert case.step == Step.CELL_RESOLUTION
    assert case.due_step == Step.DECISION and case.due_on > ago(4)

    # the committee's steps are not hers
    assert client.get(url("case_committee", pk=case.pk, step="decision")).status_code == 403


def test_party_committee_records_resolution_decision_and_ceremony(world, login):
    case = dossier_ready(world, party_case(world), start=9)
    case = reload(case)
    assert case.step == Step.DOSSIER
    services.cell_resolution(case, on=ago(5), doc_no="12-NQ/CB", votes_for=5, members=6, actor=None)
    client = login(world.users["party_a"])
    page = client.get(url("party_candidates")).content.decode()
    assert url("case_committee", pk=case.pk, step="committee_resolution") in page

    response = client.post(
        url("case_committee", pk=case.pk, step="committee_resolution"),
        {"on": ago(4).isoformat(), "doc_no": "45-NQ/ĐU"},
    )
    assert response.status_code == 302
    response = client.post(
        url("case_committee", pk=case.pk, step="decision"),
        {"on": ago(3).isoformat(), "doc_no": "46-QĐ/ĐU"},
    )
    assert response.status_code == 302
    case = reload(case)
    assert case.step == Step.DECISION and case.due_step == Step.CEREMONY
    page = client.get(url("case_ceremony", pk=case.pk)).content.decode()
    assert "ngày làm việc" in page  # the deadline rule is shown
    response = client.post(url("case_ceremony", pk=case.pk), {"on": ago(1).isoformat()})
    assert response.status_code == 302
    case = reload(case)
    assert case.step == Step.CEREMONY and case.due_step == Step.OFFICIAL
    world.person_a1.refresh_from_db()
    assert world.person_a1.party_status == Party.PROBATIONARY
    # recognition cannot come before the 12 months of probation: the rule is on the form
    response = client.post(
        url("case_recognise", pk=case.pk), {"on": TODAY.isoformat(), "doc_no": "50-QĐ/ĐU"}
    )
    assert response.status_code == 200
    assert "thời gian dự bị là 12 tháng" in response.content.decode()


def test_a_missing_doc_no_and_a_bad_step_are_refused(world, login):
    case = party_case(world)
    client = login(world.users["party_a"])
    assert client.get(url("case_committee", pk=case.pk, step="ceremony")).status_code == 404
    response = client.post(
        url("case_committee", pk=case.pk, step="committee_resolution"),
        {"on": TODAY.isoformat(), "doc_no": "45"},
    )
    assert response.status_code == 200
    assert "chưa qua bước" in response.content.decode()


PARTY_STEP_URLS = [
    ("case_sympathiser", {}),
    ("case_dossier", {}),
    ("case_cell_resolution", {}),
    ("case_committee", {"step": "committee_resolution"}),
    ("case_committee", {"step": "decision"}),
    ("case_ceremony", {}),
    ("case_recognise", {}),
]


@pytest.mark.parametrize("name, extra", PARTY_STEP_URLS)
def test_hoi_cadre_gets_403_and_commune_b_404_on_every_party_step(world, login, name, extra):
    case = party_case(world)
    target = url(name, pk=case.pk, **extra)
    client = login(world.users["commune_a"])
    assert client.get(target).status_code == 403
    assert client.post(target, {"on": TODAY.isoformat(), "helper_name": "X"}).status_code == 403
    client.logout()
    client = login(world.users["commune_b"])
    assert client.get(target).status_code == 404
    assert reload(case).step == Step.INTRODUCED


def test_a_cell_secretary_does_not_see_a_case_of_another_cell(world, login):
    cell_a2 = org_services.create_unit(
        parent=world.party_a,
        level=world.levels["dang_cell"],
        name="Chi bộ Thôn Tây",
        code="99001-CB02",
    )
    other = external(world, "Vi Thị Thu", cell=cell_a2)
    mine = external(world, "Hoàng Thị Ngọc")
    client = login(world.users["cell_secretary"])
    page = client.get(url("party_candidates")).content.decode()
    assert "Hoàng Thị Ngọc" in page and "Vi Thị Thu" not in page
    assert client.get(url("case_sympathiser", pk=other.pk)).status_code == 404
    assert client.get(url("case_sympathiser", pk=mine.pk)).status_code == 200
    assert client.get(url("sympathiser_review", pk=cell_a2.pk)).status_code == 404
    client.logout()
    page = login(world.users["party_a"]).get(url("party_candidates")).content.decode()
    assert "Hoàng Thị Ngọc" in page and "Vi Thị Thu" in page
    assert "Chi bộ Thôn Tây" in page


def test_the_list_filters_by_cell_and_organisation_and_counts_them(world, login):
    party_case(world)
    external(world, "Hoàng Thị Ngọc", org="doan")
    external(world, "Đinh Thị Sen", org="nong_dan")
    client = login(world.users["party_a"])
    response = client.get(url("party_candidates"), {"organisation": "doan"})
    page = response.content.decode()
    assert "Hoàng Thị Ngọc" in page and "Đinh Thị Sen" not in page
    cell = next(c for c in response.context["cells"] if c.pk == world.cell_a1.pk)
    assert cell.total == 3
    assert sorted((org, n) for org, _label, n in cell.orgs) == [
        ("doan", 1),
        ("hoi", 1),
        ("nong_dan", 1),
    ]
    response = client.get(url("party_candidates"), {"cell": world.cell_a1.pk})
    assert response.context["page"].paginator.count == 3


def test_external_candidate_created_by_the_cell_secretary_appears_with_her_organisation(
    world, login
):
    client = login(world.users["cell_secretary"])
    page = client.get(url("external_create")).content.decode()
    assert 'value="hoi"' not in page  # the Hội introduces its own members
    assert "Đoàn Thanh niên" in page
    response = client.post(
        url("external_create"),
        {
            "cell": world.cell_a1.pk,
            "organisation": "doan",
            "full_name": "Nông Thị Hằng",
            "birth_date": "1998-02-03",
            "education": "upper_secondary",
            "ethnicity": "Kinh",
            "on": ago(2).isoformat(),
            "doc_no": "05-GT/ĐTN",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(full_name="Nông Thị Hằng")
    assert case.organisation == Organisation.DOAN and case.step == Step.INTRODUCED
    assert case.party_unit == world.cell_a1 and case.person is None
    response = client.get(url("party_candidates"))
    row = next(c for c in response.context["page"].object_list if c.pk == case.pk)
    assert row.get_organisation_display() == "Đoàn Thanh niên"
    assert "Nông Thị Hằng" in response.content.decode()
    # a cell outside her scope is not offered
    response = client.post(
        url("external_create"),
        {
            "cell": world.cell_b1.pk,
            "organisation": "doan",
            "full_name": "Ma Thị Lý",
            "birth_date": "1998-02-03",
            "education": "upper_secondary",
            "ethnicity": "Kinh",
            "on": ago(2).isoformat(),
        },
    )
    assert response.status_code == 200
    assert not Case.objects.filter(full_name="Ma Thị Lý").exists()


# --- the sympathiser review -------------------------------------------------------------


def test_the_cell_reviews_its_sympathiser_list(world, login):
    case = external(world, "Hoàng Thị Ngọc", days=80)
    services.add_sympathiser(case, on=ago(70), helper_name="Hà Văn Bình", actor=None)
    client = login(world.users["cell_secretary"])
    page = client.get(url("sympathiser_review", pk=world.cell_a1.pk)).content.decode()
    assert "Hoàng Thị Ngọc" in page and "quá 1 tháng" in page
    response = client.post(
        url("sympathiser_review", pk=world.cell_a1.pk), {"on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    assert reload(case).sympathiser_review_on == TODAY
    # the branch head sees the cell as a counterpart but does not review it
    client.logout()
    client = login(world.users["branch_head"])
    assert (
        client.post(
            url("sympathiser_review", pk=world.cell_a1.pk), {"on": TODAY.isoformat()}
        ).status_code
        == 403
    )


# --- rules on the cell-resolution form --------------------------------------------------


def test_rule_errors_appear_on_the_cell_resolution_form_in_vietnamese(world, login):
    young = external(world, "Lò Thị Mai", birth_date=years_ago(17, days=40), days=60)
    dossier_ready(world, young, start=50)
    client = login(world.users["cell_secretary"])
    page = client.get(url("case_cell_resolution", pk=young.pk)).content.decode()
    assert "mới 17 tuổi" in page  # shown before she submits
    response = client.post(
        url("case_cell_resolution", pk=young.pk),
        {"on": TODAY.isoformat(), "doc_no": "13-NQ/CB", "votes_for": 6, "members": 6},
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("phải đủ 18 tuổi" in e for e in errors), errors
    assert "phải đủ 18 tuổi" in response.content.decode()
    assert reload(young).step == Step.DOSSIER

    response = client.post(
        url("case_cell_resolution", pk=young.pk),
        {"on": TODAY.isoformat(), "doc_no": "13-NQ/CB", "votes_for": 3, "members": 6},
    )
    assert "2/3" in response.content.decode()


def test_an_expired_certificate_is_shown_before_the_cell_resolution(world, login):
    case = external(world, "Lý Thị Thanh", days=2200)
    services.add_sympathiser(case, on=ago(2190), helper_name="Hà Văn Bình", actor=None)
    certified(world, case, ago(2180))  # about six years ago
    client = login(world.users["cell_secretary"])
    page = client.get(url("case_cell_resolution", pk=case.pk)).content.decode()
    assert "cần học lại" in page


# --- classes -------------------------------------------------------------------------------


def test_class_create_enrol_many_with_a_refusal_then_certificates(world, login):
    hoa = party_case(world)
    ngoc = external(world, "Hoàng Thị Ngọc")
    paused = external(world, "Đinh Thị Sen")
    services.exit_case(paused, status=Status.PAUSED, reason="Đi làm ăn xa", on=ago(1), actor=None)
    client = login(world.users["party_a"])
    page = client.get(url("class_create")).content.decode()
    assert "Đảng bộ Xã An Bình" in page
    response = client.post(
        url("class_create"),
        {
            "organiser": world.party_a.pk,
            "title": "Lớp nhận thức về Đảng khóa II",
            "start": ago(6).isoformat(),
            "end": ago(2).isoformat(),
            "place": "Hội trường xã",
        },
    )
    assert response.status_code == 302
    klass = AwarenessClass.objects.get(title="Lớp nhận thức về Đảng khóa II")
    page = client.get(url("class_detail", pk=klass.pk)).content.decode()
    assert "Hoàng Thị Ngọc" in page and "Nguyễn Thị Hoa" in page
    assert "Đinh Thị Sen" not in page  # only open cases are offered

    response = client.post(url("class_enrol", pk=klass.pk), {"cases": [hoa.pk, ngoc.pk, paused.pk]})
    assert response.status_code == 200
    report = dict((c.pk, error) for c, error in response.context["report"])
    assert report[hoa.pk] is None and report[ngoc.pk] is None
    assert "Tạm dừng" in report[paused.pk]
    assert "Đinh Thị Sen" in response.content.decode()
    assert set(klass.enrolments.values_list("case_id", flat=True)) == {hoa.pk, ngoc.pk}

    page = client.get(url("class_certify", pk=klass.pk)).content.decode()
    assert f"GCN-{klass.start.year}/001" in page
    enrolments = list(klass.enrolments.order_by("case__full_name"))
    response = client.post(
        url("class_certify", pk=klass.pk),
        {
            "prefix": "25/GCN-",
            "start_no": 7,
            "width": 2,
            "certificate_on": ago(1).isoformat(),
            "enrolments": [e.pk for e in enrolments],
        },
    )
    assert response.status_code == 200
    assert all(error is None for _e, _n, error in response.context["report"])
    numbers = dict(Enrolment.objects.filter(klass=klass).values_list("case_id", "certificate_no"))
    assert numbers == {ngoc.pk: "25/GCN-07", hoa.pk: "25/GCN-08"}  # in list order
    assert dates(hoa)[Step.CLASS] == ago(1)
    assert dates(ngoc)[Step.CLASS] == ago(1)
    # a second run has nothing left to certify; the next number is suggested
    response = client.get(url("class_certify", pk=klass.pk))
    assert response.context["preview"] == []


def test_one_result_at_a_time_and_errors_on_the_form(world, login):
    case = party_case(world)
    klass = services.create_class(
        organiser=world.party_a, title="Lớp khóa III", start=ago(5), end=ago(1), actor=None
    )
    enrolment = services.enrol(case, klass=klass, actor=None)
    client = login(world.users["party_a"])
    response = client.post(
        url("class_result", pk=enrolment.pk),
        {"result": "passed", "certificate_no": "", "certificate_on": ""},
    )
    assert response.status_code == 200
    assert "cần số và ngày cấp giấy chứng nhận" in response.content.decode()
    response = client.post(
        url("class_result", pk=enrolment.pk),
        {"result": "passed", "certificate_no": "GCN-1", "certificate_on": ago(1).isoformat()},
    )
    assert response.status_code == 302
    assert dates(case)[Step.CLASS] == ago(1)
    client.logout()
    assert (
        login(world.users["commune_b"]).get(url("class_result", pk=enrolment.pk)).status_code == 404
    )


def test_an_expired_certificate_is_flagged_in_the_class(world, login):
    case = external(world, "Lý Thị Thanh", days=2200)
    klass = certified(world, case, ago(2180))
    page = login(world.users["party_a"]).get(url("class_detail", pk=klass.pk)).content.decode()
    assert "hết hạn" in page


# --- query counts ---------------------------------------------------------------------------


def _many_cases(w, n, start=0):
    for i in range(start, start + n):
        case = external(w, f"Hoàng Thị Ứng Viên {i}", org=["doan", "ccb", "mttq"][i % 3])
        if i % 2:
            services.add_sympathiser(case, on=ago(30), helper_name="Hà Văn Bình", actor=None)


def test_candidates_query_count_does_not_grow_with_the_cases(
    world, login, django_assert_max_num_queries
):
    client = login(world.users["party_a"])
    _many_cases(world, 3)
    with django_assert_max_num_queries(13) as few:
        client.get(url("party_candidates"))
    _many_cases(world, 12, start=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("party_candidates"))
    assert response.context["page"].paginator.count == 15


def test_class_detail_query_count_does_not_grow_with_the_enrolments(
    world, login, django_assert_max_num_queries
):
    klass = services.create_class(
        organiser=world.party_a, title="Lớp khóa IV", start=ago(5), end=ago(1), actor=None
    )
    client = login(world.users["party_a"])

    def enrol_new(n, start):
        _many_cases(world, n, start=start)
        for case in Case.objects.filter(enrolments__isnull=True, full_name__contains="Ứng Viên"):
            e = services.enrol(case, klass=klass, actor=None)
            services.record_result(
                e, result="passed", certificate_no=f"N{e.pk}", certificate_on=ago(1), actor=None
            )

    enrol_new(2, 0)
    with django_assert_max_num_queries(14) as few:
        client.get(url("class_detail", pk=klass.pk))
    enrol_new(10, 2)
    _many_cases(world, 5, start=20)  # candidates not enrolled yet
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("class_detail", pk=klass.pk))
    assert len(response.context["enrolments"]) == 12
    assert len(response.context["candidates"]) == 5


# --- the cells above the candidates, at scale ------------------------------------------


def _cells_under(w, n, start=0):
    return [
        org_services.create_unit(
            parent=w.party_a,
            level=w.levels["dang_cell"],
            name=f"Chi bộ Tổ {i:02d}",
            code=f"99001-CBX{i:02d}",
        )
        for i in range(start, start + n)
    ]


def test_the_cells_come_a_page_at_a_time_with_their_own_counts(world, login, monkeypatch):
    from uutu.pipeline import views_party

    monkeypatch.setattr(views_party, "CELLS_PER_PAGE", 2)
    extra = _cells_under(world, 3)
    external(world, "Hoàng Thị Ngọc", cell=extra[2], org="ccb")
    external(world, "Đinh Thị Sen", cell=world.cell_a1)
    client = login(world.users["party_a"])
    seen = []
    for number in (1, 2):
        response = client.get(url("party_candidates"), {"cells_page": number})
        cells = response.context["cells"]
        assert len(cells) == 2
        seen += [(c.name, c.total) for c in cells]
        # the candidates' table is not paged by the cells
        assert response.context["page"].paginator.count == 2
    assert seen == [
        ("Chi bộ Thôn Đông", 1),
        ("Chi bộ Tổ 00", 0),
        ("Chi bộ Tổ 01", 0),
        ("Chi bộ Tổ 02", 1),
    ]
    page = client.get(url("party_candidates"), {"cells_page": 1}).content.decode()
    assert "cells_page=2" in page and 'data-testid="cells-hint"' in page


def test_the_cells_query_count_does_not_grow_with_the_cells(
    world, login, django_assert_max_num_queries
):
    client = login(world.users["party_a"])
    for cell in _cells_under(world, 2):
        external(world, f"Hoàng Thị {cell.name}", cell=cell)
    with django_assert_max_num_queries(14) as few:
        client.get(url("party_candidates"))
    for cell in _cells_under(world, 12, start=2):
        external(world, f"Hoàng Thị {cell.name}", cell=cell)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("party_candidates"))
    assert len(response.context["cells"]) == 15
    assert sum(c.total for c in response.context["cells"]) == 14


def test_many_cells_are_chosen_by_typing_and_a_hoi_cadre_finds_her_members_cells(
    world, login, monkeypatch
):
    from uutu.orgs import forms as org_forms

    monkeypatch.setattr(org_forms, "DROPDOWN_MAX", 1)
    party_case(world)  # a member of chi hội Thôn Đông, introduced to chi bộ Thôn Đông
    external(world, "Đinh Thị Sen", cell=world.cell_b1)
    _cells_under(world, 1)
    client = login(world.users["party_a"])
    page = client.get(url("party_candidates")).content.decode()
    assert "for=candidate_cells" in page and '<select name="cell"' not in page
    response = client.get(
        url("party_candidates"), {"cell": "Chi bộ Thôn Đông (Đảng bộ Xã An Bình)"}
    )
    assert [c.pk for c in response.context["cells"]] == [world.cell_a1.pk]
    assert response.context["page"].paginator.count == 1
    client.logout()
    # chi bộ Thôn Đông is outside the Hội cadre's scope, but her member's case is there
    client = login(world.users["commune_a"])
    found = client.get(reverse("orgs:unit_search"), {"for": "candidate_cells", "q": "chi bo thon"})
    options = found.content.decode()
    assert "Chi bộ Thôn Đông" in options and "Chi bộ Thôn Bắc" not in options
    response = client.get(url("party_candidates"), {"cell": "Chi bộ Thôn Bắc"})
    assert "Không tìm thấy đơn vị" in response.content.decode()
    assert response.context["page"].paginator.count == 1  # the filter is ignored, not widened


def test_the_candidates_cells_are_the_scopes_active_cells_and_those_of_her_cases(world):
    """candidate_cells against its definition, cell by cell, for every persona
    (the sysadmin's whole-country form differs from the scoped one): the active
    cells she may see, and any cell, even one dissolved, holding a case she sees,
    whatever its status."""
    from uutu.accounts import permissions
    from uutu.orgs.models import Unit
    from uutu.pipeline.views_party import candidate_cells

    party_case(world)  # a member of chi hội Thôn Đông, introduced to chi bộ Thôn Đông
    external(world, "Đinh Thị Sen", cell=world.cell_b1)
    kept, empty = _cells_under(world, 2)
    withdrawn = external(world, "Hoàng Thị Ngọc", cell=kept)
    services.exit_case(
        withdrawn, status=Status.WITHDRAWN, reason="Chuyển nơi cư trú", on=ago(2), actor=None
    )
    for cell in (kept, empty):
        org_services.dissolve_unit(cell, on=ago(1), actor=None)
    cells = list(Unit.objects.filter(tree="dang", level__code="dang_cell"))
    assert len(cells) == 4
    for persona, user in world.users.items():
        cases = Case.objects.restrict(user, "pipeline.view")
        expected = {
            c.pk
            for c in cells
            if c.is_active
            and permissions.can(user, "pipeline.view", c)
            or cases.filter(party_unit=c).exists()
        }
        assert set(candidate_cells(user).values_list("pk", flat=True)) == expected, persona
        if persona == "admin":
            assert kept.pk in expected and empty.pk not in expected


@pytest.mark.parametrize("persona", ["party_a", "admin", "commune_a"])
def test_the_kept_counts_follow_every_change_of_a_case_or_a_cell(world, login, persona):
    """The cells' count and the totals by organisation are kept in the cache
    (counters.scope_cached); each change below must show on the next view."""
    client = login(world.users[persona])

    def seen(**params):
        context = client.get(url("party_candidates"), params).context
        totals = {org: n for org, _label, n in context["org_totals"]}
        return context["cell_page"].paginator.count, totals

    hoi_case = party_case(world)  # a member of chi hội Thôn Đông, introduced to chi bộ Thôn Đông
    cells, totals = seen()
    assert totals == {"hoi": 1} and seen() == (cells, totals)  # read again: the same
    other = external(world, "Đinh Thị Sen", org="ccb")
    if persona == "commune_a":  # the Party's own candidates are not the Hội cadre's
        assert seen() == (cells, {"hoi": 1})
        second = services.open_case(world.person_a2, on=ago(30), actor=None)
        services.start_cultivation(second, on=ago(20), actor=None)
        services.introduce(second, cell=world.cell_a1, on=ago(10), actor=None)
        assert seen() == (cells, {"hoi": 2})
        services.exit_case(
            second, status=Status.WITHDRAWN, reason="Chuyển đi", on=ago(1), actor=None
        )
        assert seen() == (cells, {"hoi": 1})
    else:
        assert seen() == (cells, {"hoi": 1, "ccb": 1})
        services.exit_case(
            other, status=Status.WITHDRAWN, reason="Chuyển đi", on=ago(1), actor=None
        )
        assert seen() == (cells, {"hoi": 1})
        _cells_under(world, 1)  # a new cell of commune A's party committee
        cells += 1
        assert seen() == (cells, {"hoi": 1})
    services.exit_case(hoi_case, status=Status.PAUSED, reason="Sinh con", on=ago(1), actor=None)
    assert seen() == (cells, {"hoi": 1})  # the default list keeps the paused ones
    assert seen(status="open") == (cells, {})
    assert seen(status="paused") == (cells, {"hoi": 1})


def test_the_class_list_counts_each_page_class_enrolments_newest_first(
    world, login, django_assert_max_num_queries
):
    older = services.create_class(
        organiser=world.party_a, title="Lớp khóa I", start=ago(60), end=ago(58), actor=None
    )
    newer = certified(world, external(world, "Hoàng Thị Ngọc"), ago(10))
    services.enrol(external(world, "Đinh Thị Sen"), klass=newer, actor=None)
    services.create_class(
        organiser=world.party_b, title="Lớp xã Bình Minh", start=ago(5), end=ago(4), actor=None
    )
    client = login(world.users["party_a"])
    with django_assert_max_num_queries(12):
        response = client.get(url("class_list"))
    rows = [(k.pk, k.n, k.passed, k.certified) for k in response.context["page"].object_list]
    assert rows == [(newer.pk, 2, 1, 1), (older.pk, 0, 0, 0)]
    assert response.context["page"].paginator.count == 2
