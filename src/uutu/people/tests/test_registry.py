"""The member registry: validation, search, Vietnamese sorting, moves with history,
archiving, positions, party status and the audit rows each change writes."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from uutu.core.models import AuditEntry
from uutu.core.text import fold, sort_key
from uutu.people import services
from uutu.people.models import Membership, Party, Person, PositionKind

TODAY = datetime.date.today()


def _valid(**overrides):
    data = dict(
        full_name="Hoàng Thị Lan",
        birth_date=datetime.date(1992, 4, 1),
        cccd="004192123456",
        joined_hoi_on=datetime.date(2012, 1, 1),
    )
    data.update(overrides)
    return data


def _audit_count(action):
    return AuditEntry.objects.filter(action=action).count()


# --- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field, fragment",
    [
        ({"cccd": "12345"}, "cccd", "12 chữ số"),
        ({"cccd": "00419212345a"}, "cccd", "12 chữ số"),
        ({"cccd": "999192123456"}, "cccd", "mã tỉnh"),
        ({"cccd": "004092123456"}, "cccd", "giới tính nam"),
        ({"cccd": "004185123456"}, "cccd", "không khớp ngày sinh"),
        (
            {"birth_date": TODAY + datetime.timedelta(days=1), "cccd": None},
            "birth_date",
            "tương lai",
        ),
        ({"joined_hoi_on": TODAY + datetime.timedelta(days=3)}, "joined_hoi_on", "tương lai"),
        ({"full_name": ""}, "full_name", ""),
        ({"full_name": "Lan"}, "full_name", "đầy đủ họ và tên"),
        ({"phone": "12ab"}, "phone", "điện thoại"),
        ({"is_exemplar": True}, "exemplar_citation", "thành tích"),
    ],
)
def test_invalid_input_is_refused_and_nothing_saved(world, overrides, field, fragment):
    before = (Person.objects.count(), Membership.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as err:
        services.create_person(
            actor=world.users["commune_a"], branch=world.branch_a1, **_valid(**overrides)
        )
    messages = err.value.message_dict[field]
    assert any(fragment in m for m in messages), messages
    after = (Person.objects.count(), Membership.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_duplicate_cccd_is_refused_with_a_clear_message(world):
    with pytest.raises(ValidationError) as err:
        services.create_person(
            actor=world.users["commune_a"],
            branch=world.branch_a2,
            **_valid(cccd=world.person_a1.cccd, birth_date=world.person_a1.birth_date),
        )
    assert "đã có trong hệ thống" in err.value.message_dict["cccd"][0]
    assert Person.objects.filter(cccd=world.person_a1.cccd).count() == 1


def test_missing_birth_date_through_the_form(world, login):
    client = login(world.users["commune_a"])
    n = Person.objects.count()
    response = client.post(
        reverse("people:create"),
        {
            "branch": world.branch_a1.pk,
            "full_name": "Vi Thị Thu",
            "birth_date": "",
            "ethnicity": "Tày",
            "religion": "none",
            "education": "upper_secondary",
        },
    )
    assert response.status_code == 200
    assert "Vui lòng nhập ngày sinh." in response.content.decode()
    assert Person.objects.count() == n


def test_future_birth_date_through_the_form(world, login):
    client = login(world.users["commune_a"])
    n = Person.objects.count()
    future = (TODAY + datetime.timedelta(days=30)).isoformat()
    response = client.post(
        reverse("people:create"),
        {
            "branch": world.branch_a1.pk,
            "full_name": "Vi Thị Thu",
            "birth_date": future,
            "ethnicity": "Tày",
            "religion": "none",
            "education": "upper_secondary",
        },
    )
    assert "Ngày sinh không được ở tương lai." in response.content.decode()
    assert Person.objects.count() == n


def test_double_submit_creates_one_member(world, login):
    client = login(world.users["commune_a"])
    data = {
        "branch": world.branch_a1.pk,
        "full_name": "Vi Thị Thu",
        "birth_date": "1990-02-03",
        "cccd": "004190765432",
        "ethnicity": "Tày",
        "religion": "none",
        "education": "upper_secondary",
    }
    first = client.post(reverse("people:create"), data)
    second = client.post(reverse("people:create"), data)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "đã có trong hệ thống" in second.content.decode()
    assert Person.objects.filter(cccd="004190765432").count() == 1


def test_double_submit_without_cccd_creates_one_member(world, login):
    client = login(world.users["commune_a"])
    data = {
        "branch": world.branch_a1.pk,
        "full_name": "Vi Thị Thu",
        "birth_date": "1990-02-03",
        "ethnicity": "Tày",
        "religion": "none",
        "education": "upper_secondary",
    }
    assert client.post(reverse("people:create"), data).status_code == 302
    second = client.post(reverse("people:create"), data)
    assert "cùng họ tên và ngày sinh" in second.content.decode()
    assert Person.objects.filter(full_name="Vi Thị Thu").count() == 1


def test_a_commune_cadre_cannot_create_in_another_commune(world, login):
    client = login(world.users["commune_a"])
    response = client.post(
        reverse("people:create"),
        {
            "branch": world.branch_b1.pk,
            "full_name": "Vi Thị Thu",
            "birth_date": "1990-02-03",
            "ethnicity": "Tày",
            "religion": "none",
            "education": "upper_secondary",
        },
    )
    assert response.status_code == 200  # the branch is not even a valid choice
    assert not Person.objects.filter(full_name="Vi Thị Thu").exists()


# --- search and sorting ---------------------------------------------------------


def test_fold_strips_vietnamese_marks():
    assert fold("Nguyễn Thị Hòa ĐẶNG") == "nguyen thi hoa dang"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("nguyen thi hoa", {"Nguyễn Thị Hoa"}),
        ("hoa", {"Nguyễn Thị Hoa", "Lê Thị Hòa"}),
        ("HÒA", {"Nguyễn Thị Hoa", "Lê Thị Hòa"}),
        ("thi anh", {"Trần Thị Ánh"}),
        ("hoa le", {"Lê Thị Hòa"}),
        ("xyz", set()),
    ],
)
def test_accent_insensitive_search(world, query, expected):
    found = set(Person.objects.search(query).values_list("full_name", flat=True))
    assert found == expected


def test_search_through_the_list_page(world, login):
    client = login(world.users["province"])
    html = client.get(reverse("people:list"), {"q": "hoa"}).content.decode()
    assert "Nguyễn Thị Hoa" in html and "Lê Thị Hòa" in html
    assert "Trần Thị Ánh" not in html


def test_search_by_cccd(world):
    assert list(Person.objects.search(world.person_a1.cccd)) == [world.person_a1]


def test_vietnamese_sorting_by_given_name_then_middle_then_family():
    names = [
        "Nguyễn Thị Hoa",
        "Lê Thị Hòa",
        "Trần Thị Ánh",
        "Phạm Thị Anh",
        "Đỗ Thị Ân",
        "Hoàng Thị Ăn",
        "Vũ Thị Đào",
        "Bùi Thị Dung",
        "Nông Thị An",
        "Ma Thị An",
        "Lò Văn Hoa",
    ]
    ordered = sorted(names, key=sort_key)
    assert ordered == [
        "Ma Thị An",
        "Nông Thị An",
        "Phạm Thị Anh",
        "Trần Thị Ánh",
        "Hoàng Thị Ăn",
        "Đỗ Thị Ân",
        "Bùi Thị Dung",
        "Vũ Thị Đào",
        "Nguyễn Thị Hoa",
        "Lò Văn Hoa",
        "Lê Thị Hòa",
    ]


def test_the_database_sorts_the_same_way(world):
    for name in ["Đỗ Thị Ân", "Hoàng Thị Ăn", "Bùi Thị Dung", "Vũ Thị Đào", "Phạm Thị Anh"]:
        services.create_person(
            actor=None, branch=world.branch_a1, full_name=name, birth_date=datetime.date(1980, 1, 1)
        )
    db_order = list(Person.objects.order_by("sort_key").values_list("full_name", flat=True))
    assert db_order == sorted(db_order, key=sort_key)
    assert (
        db_order.index("Phạm Thị Anh")
        < db_order.index("Hoàng Thị Ăn")
        < db_order.index("Đỗ Thị Ân")
        < db_order.index("Bùi Thị Dung")
        < db_order.index("Vũ Thị Đào")
    )


def test_the_list_goes_chi_hoi_by_chi_hoi_then_by_name(world, login):
    """The list page reads its scope chi hội by chi hội (the units' order), each
    by name the Vietnamese way; a search is by name alone."""
    w = world
    for name, branch in [
        ("Vũ Thị Đào", w.branch_a1),
        ("Bùi Thị Dung", w.branch_a2),
        ("Phạm Thị Anh", w.branch_a2),
        ("Đỗ Thị Ân", w.branch_a1),
    ]:
        services.create_person(
            actor=None, branch=branch, full_name=name, birth_date=datetime.date(1980, 1, 1)
        )
    client = login(w.users["province"])
    rows = client.get(reverse("people:list")).context["page"].object_list
    shown = [(r.branch_name, r.full_name) for r in rows]
    branches = sorted({w.branch_a1, w.branch_a2, w.branch_b1}, key=lambda b: b.path)
    expected = []
    for branch in branches:
        names = Person.objects.filter(branch=branch).values_list("full_name", flat=True)
        expected += [(branch.name, n) for n in sorted(names, key=sort_key)]
    assert shown == expected
    assert shown[0][0] == branches[0].name and len({b for b, _ in shown}) == 3
    rows = client.get(reverse("people:list"), {"q": "thi"}).context["page"].object_list
    found = [r.full_name for r in rows]
    assert found == sorted(found, key=sort_key) and "Phạm Thị Anh" in found


# --- filters --------------------------------------------------------------------


def test_filters(world, login):
    client = login(world.users["province"])
    url = reverse("people:list")

    def names(**params):
        page = client.get(url, params).context["page"]
        return {p.full_name for p in page.object_list}

    assert names(unit=world.commune_a.pk) == {"Nguyễn Thị Hoa", "Lê Thị Hòa"}
    assert names(position=PositionKind.BRANCH_HEAD) == {"Nguyễn Thị Hoa"}
    assert names(ethnicity="Tày") == {"Nguyễn Thị Hoa"}
    assert names(age="30_45") == {"Nguyễn Thị Hoa", "Lê Thị Hòa"}
    assert names(age="46_60") == {"Trần Thị Ánh"}
    services.set_party_status(world.person_b1, status=Party.PROBATIONARY, on=TODAY, actor=None)
    assert names(party="member") == {"Trần Thị Ánh"}
    assert names(party="none") == {"Nguyễn Thị Hoa", "Lê Thị Hòa"}


def test_list_shows_only_the_users_scope(world, login):
    page = login(world.users["commune_b"]).get(reverse("people:list")).context["page"]
    assert {p.full_name for p in page.object_list} == {"Trần Thị Ánh"}


# --- moves, archive, positions, party status --------------------------------------


def test_branch_move_keeps_history_and_is_audited(world):
    person = world.person_a1
    moved_on = TODAY - datetime.timedelta(days=10)
    services.move_person(
        person,
        to_branch=world.branch_a2,
        on=moved_on,
        reason="Chuyển nhà",
        actor=world.users["commune_a"],
    )
    person.refresh_from_db()
    assert person.branch == world.branch_a2
    rows = list(person.memberships.order_by("start").values_list("branch_id", "start", "end"))
    assert rows == [
        (world.branch_a1.pk, datetime.date(2010, 3, 8), moved_on),
        (world.branch_a2.pk, moved_on, None),
    ]
    entry = AuditEntry.objects.get(action="people.person.moved")
    assert entry.before == {"branch_id": world.branch_a1.pk}
    assert entry.after == {"branch_id": world.branch_a2.pk}
    assert entry.user == world.users["commune_a"]


def test_move_out_of_scope_is_refused_and_rolled_back(world):
    with pytest.raises(ValidationError):
        services.move_person(
            world.person_a1, to_branch=world.branch_b1, on=TODAY, actor=world.users["commune_a"]
        )
    world.person_a1.refresh_from_db()
    assert world.person_a1.branch == world.branch_a1
    assert world.person_a1.memberships.count() == 1
    assert not AuditEntry.objects.filter(action="people.person.moved").exists()


def test_move_before_current_membership_is_refused(world):
    with pytest.raises(ValidationError, match="Ngày chuyển phải từ"):
        services.move_person(
            world.person_a1, to_branch=world.branch_a2, on=datetime.date(2000, 1, 1), actor=None
        )


def test_archive_and_restore(world, login):
    client = login(world.users["commune_a"])
    url = reverse("people:archive", args=[world.person_a1.pk])
    assert "Vui lòng ghi lý do" in client.post(url, {"reason": ""}).content.decode()
    assert client.post(url, {"reason": "Chuyển đi tỉnh khác"}).status_code == 302
    world.person_a1.refresh_from_db()
    assert world.person_a1.is_archived
    assert Person.objects.filter(pk=world.person_a1.pk).exists()  # never hard-deleted
    assert world.person_a1 not in client.get(reverse("people:list")).context["page"].object_list
    assert client.post(reverse("people:restore", args=[world.person_a1.pk])).status_code == 302
    world.person_a1.refresh_from_db()
    assert not world.person_a1.is_archived
    assert _audit_count("people.person.archived") == 1
    assert _audit_count("people.person.restored") == 1


def test_branch_head_contact_edit_only(world, login):
    client = login(world.users["branch_head"])
    response = client.post(
        reverse("people:contact", args=[world.person_a1.pk]),
        {
            "phone": "0987654321",
            "residence": "Xóm Nà Rạo",
            "occupation": "Làm ruộng",
            "working_away": "on",
        },
    )
    assert response.status_code == 302
    world.person_a1.refresh_from_db()
    assert world.person_a1.phone == "0987654321" and world.person_a1.working_away
    assert client.get(reverse("people:edit", args=[world.person_a1.pk])).status_code == 403
    with pytest.raises(ValidationError):
        services.update_person(
            world.person_a1,
            actor=world.users["branch_head"],
            contact_only=True,
            full_name="Tên Khác Hẳn",
        )


def test_single_branch_head_per_branch(world):
    other = services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Bế Thị Nga",
        birth_date=datetime.date(1988, 8, 8),
    )
    with pytest.raises(ValidationError, match="đang có chi hội trưởng"):
        services.start_position(
            other, kind=PositionKind.BRANCH_HEAD, unit=world.branch_a1, start=TODAY, actor=None
        )
    services.end_position(world.position_a1, end=TODAY, actor=None)
    position = services.start_position(
        other, kind=PositionKind.BRANCH_HEAD, unit=world.branch_a1, start=TODAY, actor=None
    )
    assert position.unit == world.branch_a1
    assert _audit_count("people.position.ended") == 1
    assert _audit_count("people.position.started") == 2  # the world's and this one


def test_party_status_history(world):
    services.set_party_status(
        world.person_a1,
        status=Party.PROBATIONARY,
        on=datetime.date(2024, 5, 19),
        doc_no="15-QĐ/ĐU",
        actor=None,
    )
    services.set_party_status(
        world.person_a1, status=Party.OFFICIAL, on=datetime.date(2025, 5, 19), actor=None
    )
    periods = list(world.person_a1.party_periods.order_by("start").values_list("status", "end"))
    assert [p[0] for p in periods] == [Party.NONE, Party.PROBATIONARY, Party.OFFICIAL]
    assert periods[1][1] == datetime.date(2025, 5, 19)
    world.person_a1.refresh_from_db()
    assert world.person_a1.party_status == Party.OFFICIAL
    assert _audit_count("people.party_status.changed") == 2


def test_every_kind_of_change_is_audited(world, login):
    client = login(world.users["commune_a"])
    n = AuditEntry.objects.count()
    client.post(
        reverse("people:edit", args=[world.person_a2.pk]),
        {
            "full_name": "Lê Thị Hòa",
            "birth_date": "1985-01-02",
            "ethnicity": "Nùng",
            "religion": "none",
            "education": "upper_secondary",
            "joined_hoi_on": "2005-01-01",
        },
    )
    entry = AuditEntry.objects.filter(action="people.person.updated").get()
    assert entry.before == {"ethnicity": "Kinh"} and entry.after == {"ethnicity": "Nùng"}
    assert entry.request_id and entry.source == "web"
    assert entry.unit == world.branch_a2
    client.get(reverse("people:detail", args=[world.person_a2.pk]))
    assert AuditEntry.objects.filter(action="people.person.viewed").count() == 1
    assert AuditEntry.objects.count() == n + 2


# --- query-count guards ---------------------------------------------------------


def _many_members(world, n=40):
    for i in range(n):
        services.create_person(
            actor=None,
            branch=world.branch_a1 if i % 2 else world.branch_a2,
            full_name=f"Nguyễn Thị Mai {chr(65 + i % 26)}",
            birth_date=datetime.date(1980 + i % 20, 1, 1),
        )


def test_member_list_query_count_does_not_grow(world, login, django_assert_max_num_queries):
    client = login(world.users["commune_a"])
    _many_members(world)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("people:list"))
    assert len(response.context["page"].object_list) == 42


def test_member_detail_query_count(world, login, django_assert_max_num_queries):
    client = login(world.users["commune_a"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("people:detail", args=[world.person_a1.pk]))
    assert response.status_code == 200


def test_list_rows_show_every_cell_escaped(world, login):
    """The list's rows are made in Python (people.views.MemberRow): each cell holds
    what the member's record says (badges, birth date, chi hội and commune, current
    positions, party status) under its phone-layout label, and text is escaped."""
    from html.parser import HTMLParser

    from uutu.people.views import MemberRow, _RowLabels

    w = world
    p = services.create_person(
        actor=None,
        branch=w.branch_a1,
        full_name="Lò Thị Xuyến",
        birth_date=datetime.date(1985, 3, 7),
        is_core_member=True,
        working_away=True,
    )
    services.start_position(
        p,
        kind=PositionKind.BRANCH_DEPUTY,
        unit=w.branch_a1,
        start=datetime.date(2024, 1, 1),
        actor=None,
    )
    html = login(w.users["province"]).get(reverse("people:list"), {"q": "xuyen"}).content.decode()
    row = re.search(r"<tr><td><a[^>]*>Lò Thị Xuyến</a>.*?</tr>", html, re.S).group(0)

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells, self.labels = [], []

        def handle_starttag(self, tag, attrs):
            if tag == "td":
                self.cells.append("")
                self.labels.append(dict(attrs).get("data-label"))

        def handle_data(self, data):
            if self.cells:
                self.cells[-1] += data

    parsed = Cells()
    parsed.feed(row)
    assert parsed.labels == [None, "Ngày sinh", "Chi hội", "Chức vụ", "Đảng viên"]
    name, birth, branch, positions, party = (c.strip() for c in parsed.cells)
    assert "nòng cốt" in name and "đi làm ăn xa" in name and "điển hình" not in name
    assert birth == "07/03/1985"
    assert branch == w.branch_a1.name + w.branch_a1.parent.name
    assert positions == str(PositionKind.BRANCH_DEPUTY.label)
    assert party == "—"
    assert f'href="{reverse("people:detail", args=[p.pk])}"' in row
    # Whatever a name or a unit holds is escaped.
    odd = MemberRow(
        url="/hoi-vien/1/",
        full_name='A <b>"x"</b> & B',
        is_core_member=False,
        is_exemplar=False,
        working_away=False,
        birth="",
        branch_name="Thôn <i>Đông</i>",
        commune_name="Xã & Phường",
        positions=["<script>"],
        party="Đảng viên",
        labels=_RowLabels(),
    ).html
    assert "<b>" not in odd and "<i>" not in odd and "<script>" not in odd
    assert "A &lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; B" in odd and "Xã &amp; Phường" in odd
