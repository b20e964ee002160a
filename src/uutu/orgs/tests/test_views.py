"""The organisation pages, as the personas see them."""

import datetime

import pytest
from django.urls import reverse

from uutu.core.models import AuditEntry
from uutu.orgs import services
from uutu.orgs.models import OrgEvent, Unit
from uutu.people import services as people_services
from uutu.people.models import Membership, Person

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)


def _url(name, unit=None):
    return reverse(f"orgs:{name}", args=[unit.pk] if unit is not None else [])


def _text(response):
    return response.content.decode()


@pytest.fixture
def cadre_a(world, login):
    return login(world.users["commune_a"])


# --- rendering --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["detail", "rename", "move", "merge", "split", "dissolve", "link", "tree_as_of"]
)
def test_unit_pages_render_for_the_commune_a_cadre(world, cadre_a, name):
    response = cadre_a.get(_url(name, world.branch_a1))
    assert response.status_code == 200
    assert "Chi hội Thôn Đông" in _text(response)


def test_list_shows_her_units_only_top_first(world, cadre_a):
    response = cadre_a.get(_url("list"))
    html = _text(response)
    assert response.status_code == 200
    assert html.index("Hội LHPN Xã An Bình") < html.index("Chi hội Thôn Đông")
    assert "Chi hội Thôn Tây" in html
    assert "Chi hội Thôn Bắc" not in html  # commune B
    assert "Hội LHPN Tỉnh Thử Nghiệm" not in html  # above her


def test_list_search_ignores_accents_and_case(world, cadre_a):
    html = _text(cadre_a.get(_url("list"), {"q": "THON dong"}))
    assert "Chi hội Thôn Đông" in html
    assert "Chi hội Thôn Tây" not in html
    html = _text(cadre_a.get(_url("list"), {"q": "99001-CH02"}))
    assert "Chi hội Thôn Tây" in html and "Chi hội Thôn Đông" not in html


def test_list_filters_by_tree_and_hides_inactive_units(world, login):
    client = login(world.users["admin"])
    empty = services.create_unit(
        parent=world.commune_a, level=world.levels["hoi_branch"], name="Chi hội Giải Thể", code="GT"
    )
    services.dissolve_unit(empty, on=TODAY)
    html = _text(client.get(_url("list"), {"tree": "dang"}))
    assert "Chi bộ Thôn Đông" in html and "Chi hội Thôn Đông" not in html
    assert "Chi hội Giải Thể" not in _text(client.get(_url("list")))
    assert "Chi hội Giải Thể" in _text(client.get(_url("list"), {"inactive": "1"}))
    level = world.levels["hoi_commune"].pk
    html = _text(client.get(_url("list"), {"level": level}))
    assert "Hội LHPN Xã Bình Minh" in html and "Chi hội Thôn Đông" not in html


def test_detail_shows_children_with_member_counts_and_actions(world, cadre_a):
    people_services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Phạm Thị Thu",
        birth_date=datetime.date(1992, 4, 1),
        joined_hoi_on=datetime.date(2015, 1, 1),
    )
    response = cadre_a.get(_url("detail", world.commune_a))
    html = _text(response)
    children = {c.pk: c.member_count for c in response.context["children"]}
    assert children == {world.branch_a1.pk: 2, world.branch_a2.pk: 1}
    assert response.context["total_members"] == 3
    assert _url("rename", world.commune_a) in html
    assert "Đảng bộ Xã An Bình" in html  # counterpart, in her scope
    # She may not view the party unit, so it is not a link.
    assert _url("detail", world.party_a) not in html


def test_detail_shows_no_action_buttons_without_orgs_change(world, login):
    client = login(world.users["branch_head"])
    html = _text(client.get(_url("detail", world.branch_a1)))
    assert "Chi hội Thôn Đông" in html
    assert _url("rename", world.branch_a1) not in html


def test_detail_of_a_merged_unit_links_its_successor(world, cadre_a):
    target = services.merge_units(
        [world.branch_a1, world.branch_a2], on=TODAY - DAY, name="Chi hội Đông Tây", code="DT"
    )
    html = _text(cadre_a.get(_url("detail", world.branch_a1)))
    assert "Đã sáp nhập" in html
    assert _url("detail", target) in html
    assert _url("rename", world.branch_a1) not in html


# --- scope and permissions ----------------------------------------------------------


@pytest.mark.parametrize("name", ["detail", "rename", "merge", "tree_as_of"])
def test_commune_b_cadre_gets_404_on_commune_a_units(world, login, name):
    client = login(world.users["commune_b"])
    assert client.get(_url(name, world.branch_a1)).status_code == 404
    assert client.get(_url(name, world.commune_a)).status_code == 404


def test_commune_b_cadre_cannot_rename_commune_a_units_by_post(world, login):
    client = login(world.users["commune_b"])
    response = client.post(
        _url("rename", world.branch_a1), {"new_name": "Bị đổi", "on": TODAY.isoformat()}
    )
    assert response.status_code == 404
    assert Unit.objects.get(pk=world.branch_a1.pk).name == "Chi hội Thôn Đông"


def test_branch_head_gets_403_on_rename_of_her_own_branch(world, login):
    client = login(world.users["branch_head"])
    assert client.get(_url("rename", world.branch_a1)).status_code == 403
    response = client.post(
        _url("rename", world.branch_a1), {"new_name": "Bị đổi", "on": TODAY.isoformat()}
    )
    assert response.status_code == 403
    assert Unit.objects.get(pk=world.branch_a1.pk).name == "Chi hội Thôn Đông"


def test_move_offers_only_parents_in_her_change_scope(world, login):
    client = login(world.users["province"])
    choices = client.get(_url("move", world.branch_a1)).context["form"].fields["new_parent"]
    # Not commune A (her current parent) nor anything of her own level or below.
    assert set(choices.queryset) == {world.commune_b, world.province}
    cadre = login(world.users["commune_a"])
    response = cadre.post(
        _url("move", world.branch_a1), {"new_parent": world.commune_b.pk, "on": TODAY.isoformat()}
    )
    assert response.status_code == 200
    assert (
        "Hãy chọn một lựa chọn hợp lệ" in _text(response)
        or response.context["form"].errors["new_parent"]
    )
    assert Unit.objects.get(pk=world.branch_a1.pk).parent_id == world.commune_a.pk


def test_link_offers_party_units_in_her_scope_only(world, cadre_a):
    form = cadre_a.get(_url("link", world.branch_a2)).context["form"]
    offered = set(form.fields["counterpart"].queryset)
    assert world.cell_a1 in offered and world.party_a in offered
    assert world.cell_b1 not in offered and world.party_b not in offered


# --- actions ----------------------------------------------------------------------


def test_rename_by_post_writes_history_and_audit(world, cadre_a):
    on = TODAY - 2 * DAY
    response = cadre_a.post(
        _url("rename", world.branch_a1),
        {
            "new_name": "Chi hội Thôn Đông Mới",
            "on": on.isoformat(),
            "doc_no": "15/QĐ",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == _url("detail", world.branch_a1)
    assert "Đã đổi tên" in _text(response)
    assert Unit.objects.get(pk=world.branch_a1.pk).name == "Chi hội Thôn Đông Mới"
    entry = AuditEntry.objects.get(action="orgs.unit.renamed")
    assert entry.user == world.users["commune_a"]
    assert entry.object_id == str(world.branch_a1.pk)
    assert entry.request_id  # written inside the web request
    # The page shows the version history and the audit row.
    assert "Chi hội Thôn Đông Mới" in _text(response)
    assert response.context["versions"][0].name == "Chi hội Thôn Đông"


def test_rename_with_the_same_name_shows_a_vietnamese_error_and_saves_nothing(world, cadre_a):
    response = cadre_a.post(
        _url("rename", world.branch_a1), {"new_name": "Chi hội Thôn Đông", "on": TODAY.isoformat()}
    )
    assert response.status_code == 200
    assert "Tên mới trùng với tên hiện tại." in _text(response)
    assert not OrgEvent.objects.filter(kind=OrgEvent.Kind.RENAME).exists()
    assert not AuditEntry.objects.filter(action="orgs.unit.renamed").exists()


def test_rename_with_a_future_date_is_refused(world, cadre_a):
    response = cadre_a.post(
        _url("rename", world.branch_a1),
        {"new_name": "Chi hội Mới", "on": (TODAY + DAY).isoformat()},
    )
    assert response.status_code == 200
    assert "không được ở tương lai" in _text(response)
    assert Unit.objects.get(pk=world.branch_a1.pk).name == "Chi hội Thôn Đông"


def test_create_child_and_double_submit(world, cadre_a):
    data = {
        "level": world.levels["hoi_branch"].pk,
        "name": "Chi hội Thôn Nam",
        "code": "99001-CH03",
        "area_name": "Thôn Nam",
        "on": TODAY.isoformat(),
    }
    response = cadre_a.post(_url("create_child", world.commune_a), data)
    unit = Unit.objects.get(code="99001-CH03", tree="hoi")
    assert response.status_code == 302 and response["Location"] == _url("detail", unit)
    assert unit.parent_id == world.commune_a.pk and unit.path.startswith(world.commune_a.path)
    again = cadre_a.post(_url("create_child", world.commune_a), data)
    assert again.status_code == 200
    assert "Mã đơn vị “99001-CH03” đã được dùng." in _text(again)
    assert Unit.objects.filter(name="Chi hội Thôn Nam").count() == 1


def test_create_child_offers_only_lower_levels_of_the_same_tree(world, cadre_a):
    levels = cadre_a.get(_url("create_child", world.commune_a)).context["form"].fields["level"]
    codes = {lv.code for lv in levels.queryset}
    assert codes == {"hoi_branch", "hoi_group"}


def test_move_by_post(world, login):
    client = login(world.users["province"])
    response = client.post(
        _url("move", world.branch_a1), {"new_parent": world.commune_b.pk, "on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    unit = Unit.objects.get(pk=world.branch_a1.pk)
    assert unit.parent_id == world.commune_b.pk
    assert unit.path.startswith(world.commune_b.path)


def test_merge_by_post_into_a_new_unit(world, cadre_a):
    on = TODAY - 5 * DAY
    response = cadre_a.post(
        _url("merge", world.branch_a1),
        {
            "others": [world.branch_a2.pk],
            "mode": "new",
            "name": "Chi hội Thôn Đông Tây",
            "code": "99001-CH12",
            "on": on.isoformat(),
        },
    )
    new = Unit.objects.get(code="99001-CH12")
    assert response.status_code == 302 and response["Location"] == _url("detail", new)
    assert Person.objects.get(pk=world.person_a1.pk).branch_id == new.pk
    assert Membership.objects.get(person=world.person_a1, end=on).branch_id == world.branch_a1.pk
    assert not Unit.objects.get(pk=world.branch_a1.pk).is_active
    # A second submit does nothing more: the unit has ended.
    again = cadre_a.post(
        _url("merge", world.branch_a1),
        {
            "others": [world.branch_a2.pk],
            "mode": "new",
            "name": "Chi hội Thôn Đông Tây",
            "code": "99001-CH13",
            "on": on.isoformat(),
        },
    )
    assert again.status_code == 302
    assert not Unit.objects.filter(code="99001-CH13").exists()


def test_merge_needs_a_name_or_a_target(world, cadre_a):
    response = cadre_a.post(
        _url("merge", world.branch_a1),
        {
            "others": [world.branch_a2.pk],
            "mode": "new",
            "name": "",
            "on": TODAY.isoformat(),
        },
    )
    assert "Vui lòng nhập tên đơn vị mới." in _text(response)
    response = cadre_a.post(
        _url("merge", world.branch_a1),
        {
            "others": [world.branch_a2.pk],
            "mode": "existing",
            "on": TODAY.isoformat(),
        },
    )
    assert "Vui lòng chọn đơn vị tiếp nhận." in _text(response)
    assert Unit.objects.filter(is_active=False).count() == 0


def test_merge_by_post_into_an_existing_unit(world, cadre_a):
    response = cadre_a.post(
        _url("merge", world.branch_a2),
        {
            "others": [world.branch_a1.pk],
            "mode": "existing",
            "target": world.branch_a1.pk,
            "on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 302
    a2 = Unit.objects.get(pk=world.branch_a2.pk)
    assert not a2.is_active and a2.successor_id == world.branch_a1.pk
    assert Person.objects.get(pk=world.person_a2.pk).branch_id == world.branch_a1.pk


def test_split_by_post(world, cadre_a):
    second = people_services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Vũ Thị Lan",
        birth_date=datetime.date(1988, 2, 2),
        joined_hoi_on=datetime.date(2012, 1, 1),
    )
    on = TODAY - DAY
    data = {
        "name_1": "Chi hội Đông 1",
        "code_1": "D1",
        "name_2": "Chi hội Đông 2",
        "code_2": "D2",
        f"member_{world.person_a1.pk}": "1",
        f"member_{second.pk}": "2",
        "on": on.isoformat(),
    }
    response = cadre_a.post(_url("split", world.branch_a1), data)
    assert response.status_code == 302
    d1, d2 = Unit.objects.get(code="D1"), Unit.objects.get(code="D2")
    assert Person.objects.get(pk=world.person_a1.pk).branch_id == d1.pk
    assert Person.objects.get(pk=second.pk).branch_id == d2.pk
    assert not Unit.objects.get(pk=world.branch_a1.pk).is_active


def test_split_with_unassigned_members_is_refused(world, cadre_a):
    response = cadre_a.post(
        _url("split", world.branch_a1), {"name_1": "Chi hội Đông 1", "on": TODAY.isoformat()}
    )
    assert response.status_code == 200
    assert "Còn 1 mục chưa được phân về đơn vị mới" in _text(response)
    assert not Unit.objects.filter(name="Chi hội Đông 1").exists()


def test_dissolve_with_members_shows_the_error(world, cadre_a):
    response = cadre_a.post(
        _url("dissolve", world.branch_a1), {"on": TODAY.isoformat(), "confirm": "on"}
    )
    assert response.status_code == 200
    assert "Không thể giải thể: còn 1 hội viên" in _text(response)
    assert Unit.objects.get(pk=world.branch_a1.pk).is_active


def test_dissolve_needs_confirmation_then_works(world, cadre_a):
    empty = services.create_unit(
        parent=world.commune_a, level=world.levels["hoi_branch"], name="Chi hội Tạm", code="TAM"
    )
    response = cadre_a.post(_url("dissolve", empty), {"on": TODAY.isoformat()})
    assert response.status_code == 200 and Unit.objects.get(pk=empty.pk).is_active
    response = cadre_a.post(_url("dissolve", empty), {"on": TODAY.isoformat(), "confirm": "on"})
    assert response.status_code == 302
    assert not Unit.objects.get(pk=empty.pk).is_active


def test_link_by_post(world, cadre_a):
    cell = services.create_unit(
        parent=world.party_a,
        level=world.levels["dang_cell"],
        name="Chi bộ Thôn Tây",
        code="99001-CB02",
    )
    response = cadre_a.post(_url("link", world.branch_a2), {"counterpart": cell.pk})
    assert response.status_code == 302
    assert Unit.objects.get(pk=world.branch_a2.pk).counterpart_id == cell.pk
    assert Unit.objects.get(pk=cell.pk).counterpart_id == world.branch_a2.pk
    # Commune B's cell is not hers to pick.
    response = cadre_a.post(_url("link", world.branch_a2), {"counterpart": world.cell_b1.pk})
    assert response.status_code == 200
    assert Unit.objects.get(pk=world.branch_a2.pk).counterpart_id == cell.pk


def test_link_page_is_for_hoi_units_only(world, login):
    client = login(world.users["admin"])
    assert client.get(_url("link", world.cell_a1)).status_code == 404


# --- tree as of -------------------------------------------------------------------


def test_tree_as_of_shows_the_old_names(world, cadre_a):
    on = TODAY - 10 * DAY
    services.rename_unit(world.branch_a1, new_name="Chi hội Thôn Đông Mới", on=on)
    before = (on - DAY).strftime("%d/%m/%Y")
    html = _text(cadre_a.get(_url("tree_as_of", world.commune_a), {"ngay": before}))
    assert "Chi hội Thôn Đông<" in html.replace("</a>", "<")
    assert "Chi hội Thôn Đông Mới" not in html
    assert "Chi hội Thôn Tây" in html
    html = _text(cadre_a.get(_url("tree_as_of", world.commune_a), {"ngay": on.isoformat()}))
    assert "Chi hội Thôn Đông Mới" in html


def test_tree_as_of_a_future_date_says_so(world, cadre_a):
    future = (TODAY + 30 * DAY).isoformat()
    response = cadre_a.get(_url("tree_as_of", world.commune_a), {"ngay": future})
    assert response.status_code == 200
    assert "ở tương lai: chỉ xem được cơ cấu tổ chức đến hôm nay" in _text(response)
    assert response.context["rows"] == []


def test_tree_as_of_before_the_unit_existed(world, cadre_a):
    new = services.create_unit(
        parent=world.commune_a,
        level=world.levels["hoi_branch"],
        name="Chi hội Mới Lập",
        code="ML",
        on=TODAY - DAY,
    )
    response = cadre_a.get(_url("tree_as_of", new), {"ngay": (TODAY - 2 * DAY).isoformat()})
    assert "chưa được thành lập" in _text(response)


# --- query counts -----------------------------------------------------------------


def _grow(world, n=12):
    for i in range(n):
        unit = services.create_unit(
            parent=world.commune_a,
            level=world.levels["hoi_branch"],
            name=f"Chi hội Số {i}",
            code=f"X{i}",
        )
        people_services.create_person(
            actor=None,
            branch=unit,
            full_name=f"Nguyễn Thị Số {i}",
            birth_date=datetime.date(1980, 1, 1),
            joined_hoi_on=datetime.date(2000, 1, 1),
        )


def test_list_query_count_does_not_grow_with_the_units(
    world, cadre_a, django_assert_max_num_queries
):
    _grow(world)
    with django_assert_max_num_queries(8):
        response = cadre_a.get(_url("list"))
    assert len(response.context["units"]) == 15
    with django_assert_max_num_queries(8):
        cadre_a.get(_url("list"), {"q": "so"})


def test_detail_query_count_does_not_grow_with_the_children(
    world, cadre_a, django_assert_max_num_queries
):
    _grow(world)
    services.rename_unit(world.commune_a, new_name="Hội LHPN Xã An Bình Mới", on=TODAY)
    with django_assert_max_num_queries(14):
        response = cadre_a.get(_url("detail", world.commune_a))
    assert len(response.context["children"]) == 14
    assert response.context["total_members"] == 14
