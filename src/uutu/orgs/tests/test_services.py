"""The reorganisation services: history survives rename, move, merge, split and
dissolve; invalid operations are refused with Vietnamese messages."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from uutu.core.models import AuditEntry
from uutu.orgs import services
from uutu.orgs.models import OrgEvent, Unit, UnitVersion
from uutu.people import services as people_services
from uutu.people.models import Membership, Person

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)


def _reload(*units):
    return [Unit.objects.get(pk=u.pk) for u in units]


def _group(world, parent, name="Tổ phụ nữ số 1", code="TO-01"):
    return services.create_unit(
        parent=parent, level=world.levels["hoi_group"], name=name, code=code
    )


# --- rename -----------------------------------------------------------------------


def test_rename_keeps_the_old_name_before_the_date(world):
    on = TODAY - 10 * DAY
    user = world.users["commune_a"]
    services.rename_unit(
        world.branch_a1, new_name="Chi hội Thôn Đông Mới", on=on, doc_no="12/QĐ-BTV", actor=user
    )

    unit = Unit.objects.get(pk=world.branch_a1.pk)
    assert unit.name == "Chi hội Thôn Đông Mới"
    assert services.tree_as_of(on - DAY)[unit.pk][0] == "Chi hội Thôn Đông"
    assert services.tree_as_of(on)[unit.pk][0] == "Chi hội Thôn Đông Mới"
    event = OrgEvent.objects.get(kind=OrgEvent.Kind.RENAME)
    assert event.date == on and event.doc_no == "12/QĐ-BTV"
    assert list(event.sources.all()) == [unit]
    entry = AuditEntry.objects.get(action="orgs.unit.renamed")
    assert entry.user == user
    assert entry.before["name"] == "Chi hội Thôn Đông"
    assert entry.after["name"] == "Chi hội Thôn Đông Mới"


def test_rename_refuses_empty_or_same_name(world):
    with pytest.raises(ValidationError, match="không được để trống"):
        services.rename_unit(world.branch_a1, new_name="  ", on=TODAY)
    with pytest.raises(ValidationError, match="trùng với tên hiện tại"):
        services.rename_unit(world.branch_a1, new_name="Chi hội Thôn Đông", on=TODAY)
    assert not OrgEvent.objects.filter(kind=OrgEvent.Kind.RENAME).exists()


def test_rename_refuses_a_dissolved_unit(world):
    empty = services.create_unit(
        parent=world.commune_a, level=world.levels["hoi_branch"], name="Chi hội Tạm", code="TAM"
    )
    services.dissolve_unit(empty, on=TODAY)
    with pytest.raises(ValidationError, match="đã giải thể hoặc sáp nhập"):
        services.rename_unit(empty, new_name="Chi hội Khác", on=TODAY)


# --- move -------------------------------------------------------------------------


def test_move_rewrites_the_paths_of_the_whole_subtree(world):
    group = _group(world, world.branch_a1)
    on = TODAY - 5 * DAY
    services.move_unit(world.branch_a1, new_parent=world.commune_b, on=on)

    branch, group, commune_b = _reload(world.branch_a1, group, world.commune_b)
    assert branch.parent_id == commune_b.pk
    assert branch.path == commune_b.path + Unit.segment(branch.pk)
    assert group.path == branch.path + Unit.segment(group.pk)
    assert (branch.depth, group.depth) == (commune_b.depth + 1, commune_b.depth + 2)
    assert group in Unit.objects.subtree(commune_b)
    assert group not in Unit.objects.subtree(world.commune_a)
    # The tree of the day before still has the branch under commune A.
    assert services.tree_as_of(on - DAY)[branch.pk][1] == world.commune_a.pk
    assert services.tree_as_of(on)[branch.pk][1] == commune_b.pk
    before = services.tree_as_of(on - DAY, root=world.commune_a)
    assert branch.pk in before and group.pk in before
    assert group.pk in services.tree_as_of(on, root=world.commune_b)


def test_the_tree_under_a_unit_on_a_day_is_read_where_it_can_lie(world, monkeypatch):
    """The tree of a past day under a unit, read narrowed to its own subtree and to
    the subtrees of the units changed since, is the one read from every version:
    after units moved out of it and into it (with a group below), a merger, a split
    and a renaming, for every unit and every day around them."""
    group = _group(world, world.branch_a2)
    days = [TODAY - 9 * DAY, TODAY - 6 * DAY, TODAY - 3 * DAY, TODAY]
    services.move_unit(world.branch_a2, new_parent=world.commune_b, on=TODAY - 8 * DAY)
    other = services.create_unit(
        parent=world.hoi_root, level=world.levels["hoi_province"], name="Tỉnh Khác", code="98"
    )
    services.move_unit(world.commune_b, new_parent=other, on=TODAY - 5 * DAY)
    services.rename_unit(world.branch_a1, new_name="Chi hội Đổi Tên", on=TODAY - 4 * DAY)
    merged = services.merge_units(
        [world.commune_a, world.commune_b], on=TODAY - 2 * DAY, name="Xã Hợp Nhất", code="99009"
    )
    services.split_unit(
        merged,
        parts=[{"name": "Xã Một", "code": "99091", "children": [world.branch_a1]}],
        on=TODAY - DAY,
        keep_source=True,
    )
    units = Unit.objects.filter(tree="hoi")
    for day in days:
        for unit in units:
            full = services.tree_as_of(day, root=unit, narrow=False)
            assert services.tree_as_of(day, root=unit) == full, (unit.name, day)
    # Commune B's subtree six days ago was under the province, though it is not now.
    assert group.pk in services.tree_as_of(TODAY - 6 * DAY, root=world.province)
    # With too many changes to narrow, the whole tree is read.
    monkeypatch.setattr(services, "MAX_NARROWED", 1)
    assert services._where_it_can_lie(world.province, TODAY - 9 * DAY) is None
    assert group.pk in services.tree_as_of(TODAY - 6 * DAY, root=world.province)


def test_move_under_own_child_is_refused(world):
    group = _group(world, world.branch_a1)
    with pytest.raises(ValidationError) as exc:
        services.move_unit(world.branch_a1, new_parent=group, on=TODAY)
    assert "chính đơn vị cấp dưới của nó" in exc.value.messages[0]
    assert Unit.objects.get(pk=world.branch_a1.pk).parent_id == world.commune_a.pk


def test_move_to_a_party_unit_is_refused(world):
    with pytest.raises(ValidationError, match="cùng hệ thống"):
        services.move_unit(world.branch_a1, new_parent=world.party_b, on=TODAY)
    assert Unit.objects.get(pk=world.branch_a1.pk).path.startswith(world.commune_a.path)


def test_move_under_a_lower_level_is_refused(world):
    with pytest.raises(ValidationError, match="phải ở cấp cao hơn"):
        services.move_unit(world.branch_a1, new_parent=world.branch_b1, on=TODAY)


def test_move_to_the_same_parent_is_refused(world):
    with pytest.raises(ValidationError, match="đã ở dưới đơn vị cấp trên này"):
        services.move_unit(world.branch_a1, new_parent=world.commune_a, on=TODAY)
    assert not OrgEvent.objects.filter(kind=OrgEvent.Kind.MOVE).exists()


# --- merge ------------------------------------------------------------------------


def test_merge_keeps_past_records_attached(world):
    on = TODAY - 30 * DAY
    a, b = world.branch_a1, world.branch_a2
    person = people_services.create_person(
        actor=None,
        branch=a,
        full_name="Phạm Thị Thu",
        birth_date=datetime.date(1992, 4, 1),
        joined_hoi_on=datetime.date(2015, 1, 1),
    )
    c = services.merge_units(
        [a, b], on=on, name="Chi hội Thôn Đông Tây", code="99001-CH12", doc_no="05/NQ-BCH"
    )

    a, b, c = _reload(a, b, c)
    assert c.is_active and c.parent_id == world.commune_a.pk and c.code == "99001-CH12"
    for old in (a, b):
        assert not old.is_active
        assert old.successor_id == c.pk
        assert old.dissolved_on == on
    # The person's history: A until the merge, C from the merge date.
    rows = list(Membership.objects.filter(person=person).order_by("start"))
    assert [(r.branch_id, r.start, r.end) for r in rows] == [
        (a.pk, datetime.date(2015, 1, 1), on),
        (c.pk, on, None),
    ]
    assert Person.objects.get(pk=person.pk).branch_id == c.pk
    assert Person.objects.get(pk=world.person_a2.pk).branch_id == c.pk
    # The position held in A stays attached to A.
    assert world.position_a1.unit_id == a.pk
    # The tree of the day before has A and B; the tree of the merge day has C.
    before = services.tree_as_of(on - DAY, root=world.commune_a)
    assert a.pk in before and b.pk in before and c.pk not in before
    after = services.tree_as_of(on, root=world.commune_a)
    assert c.pk in after and a.pk not in after and b.pk not in after
    event = OrgEvent.objects.get(kind=OrgEvent.Kind.MERGE)
    assert set(event.sources.all()) == {a, b} and list(event.targets.all()) == [c]
    assert AuditEntry.objects.filter(action="orgs.unit.merged").count() == 2


def test_merge_into_an_existing_unit(world):
    on = TODAY - 3 * DAY
    group = _group(world, world.branch_a2)
    target = services.merge_units([world.branch_a2, world.branch_a1], into=world.branch_a1, on=on)
    a1, a2, group = _reload(world.branch_a1, world.branch_a2, group)
    assert target.pk == a1.pk and a1.is_active
    assert not a2.is_active and a2.successor_id == a1.pk
    assert group.parent_id == a1.pk and group.path.startswith(a1.path)
    assert Person.objects.get(pk=world.person_a2.pk).branch_id == a1.pk


def test_merge_refuses_different_levels_and_single_units(world):
    with pytest.raises(ValidationError, match="cùng cấp"):
        services.merge_units([world.branch_a1, world.commune_b], on=TODAY, name="X")
    with pytest.raises(ValidationError, match="ít nhất hai đơn vị"):
        services.merge_units([world.branch_a1], on=TODAY, name="X")
    assert Unit.objects.filter(is_active=False).count() == 0


def test_merge_refuses_a_unit_already_merged(world):
    services.merge_units(
        [world.branch_a1, world.branch_a2], on=TODAY - DAY, name="Chi hội Mới", code="M1"
    )
    with pytest.raises(ValidationError, match="giải thể hoặc sáp nhập trước đó"):
        services.merge_units(
            _reload(world.branch_a1, world.branch_a2), on=TODAY, name="Chi hội Mới 2", code="M2"
        )


# --- split ------------------------------------------------------------------------


def test_split_moves_members_and_retires_the_source(world):
    on = TODAY - 7 * DAY
    second = people_services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Vũ Thị Lan",
        birth_date=datetime.date(1988, 2, 2),
        joined_hoi_on=datetime.date(2012, 1, 1),
    )
    east, west = services.split_unit(
        world.branch_a1,
        on=on,
        parts=[
            {"name": "Chi hội Đông 1", "code": "D1", "members": [world.person_a1]},
            {"name": "Chi hội Đông 2", "code": "D2", "members": [second]},
        ],
    )
    source = Unit.objects.get(pk=world.branch_a1.pk)
    assert not source.is_active and source.dissolved_on == on
    assert Person.objects.get(pk=world.person_a1.pk).branch_id == east.pk
    assert Person.objects.get(pk=second.pk).branch_id == west.pk
    assert Membership.objects.get(person=second, end=on).branch_id == source.pk
    after = services.tree_as_of(on, root=world.commune_a)
    assert {east.pk, west.pk} <= set(after) and source.pk not in after
    assert source.pk in services.tree_as_of(on - DAY, root=world.commune_a)


def test_split_refuses_to_leave_members_behind(world):
    with pytest.raises(ValidationError, match="chưa được phân"):
        services.split_unit(world.branch_a1, on=TODAY, parts=[{"name": "Chi hội Mới"}])
    # Nothing was written: the transaction rolled back.
    assert not Unit.objects.filter(name="Chi hội Mới").exists()
    assert Unit.objects.get(pk=world.branch_a1.pk).is_active


def test_split_keep_source(world):
    (new,) = services.split_unit(
        world.branch_a1,
        on=TODAY,
        keep_source=True,
        parts=[{"name": "Chi hội Tách", "code": "TACH"}],
    )
    assert Unit.objects.get(pk=world.branch_a1.pk).is_active
    assert Person.objects.get(pk=world.person_a1.pk).branch_id == world.branch_a1.pk
    assert new.parent_id == world.commune_a.pk


# --- dissolve ---------------------------------------------------------------------


def test_dissolve_with_members_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.dissolve_unit(world.branch_a1, on=TODAY)
    assert "Không thể giải thể: còn 1 hội viên" in exc.value.messages[0]
    assert Unit.objects.get(pk=world.branch_a1.pk).is_active


def test_dissolve_with_child_units_is_refused(world):
    _group(world, world.branch_a1)
    Person.objects.filter(branch=world.branch_a1).update(archived_at="2025-01-01T00:00:00Z")
    with pytest.raises(ValidationError, match="1 đơn vị trực thuộc"):
        services.dissolve_unit(world.branch_a1, on=TODAY)


def test_dissolve_an_empty_unit(world):
    empty = services.create_unit(
        parent=world.commune_a,
        level=world.levels["hoi_branch"],
        name="Chi hội Tạm",
        code="TAM",
        on=TODAY - 100 * DAY,
    )
    services.dissolve_unit(empty, on=TODAY - DAY, doc_no="09/QĐ")
    empty.refresh_from_db()
    assert not empty.is_active and empty.successor is None
    assert empty.pk in services.tree_as_of(TODAY - 2 * DAY)
    assert empty.pk not in services.tree_as_of(TODAY - DAY)
    with pytest.raises(ValidationError, match="đã giải thể"):
        services.dissolve_unit(empty, on=TODAY)


# --- link -------------------------------------------------------------------------


def test_link_counterpart_both_ways_and_relink(world):
    cell = services.create_unit(
        parent=world.party_a,
        level=world.levels["dang_cell"],
        name="Chi bộ Thôn Tây",
        code="99001-CB02",
    )
    services.link_counterpart(world.branch_a2, cell)
    a2, cell = _reload(world.branch_a2, cell)
    assert a2.counterpart_id == cell.pk and cell.counterpart_id == a2.pk
    # Linking chi hội A1 to that cell takes the cell away from A2.
    services.link_counterpart(world.branch_a1, cell)
    a1, a2, cell, old_cell = _reload(world.branch_a1, world.branch_a2, cell, world.cell_a1)
    assert a1.counterpart_id == cell.pk and cell.counterpart_id == a1.pk
    assert a2.counterpart_id is None and old_cell.counterpart_id is None
    assert AuditEntry.objects.filter(action="orgs.unit.linked", object_id=str(a1.pk)).exists()


def test_unlink(world):
    services.link_counterpart(world.branch_a1, None)
    a1, cell = _reload(world.branch_a1, world.cell_a1)
    assert a1.counterpart_id is None and cell.counterpart_id is None


def test_link_needs_one_unit_of_each_tree(world):
    with pytest.raises(ValidationError, match="một đơn vị Hội với một tổ chức Đảng"):
        services.link_counterpart(world.branch_a1, world.branch_a2)
    with pytest.raises(ValidationError, match="một đơn vị Hội với một tổ chức Đảng"):
        services.link_counterpart(world.cell_a1, world.cell_b1)


# --- create -----------------------------------------------------------------------


def test_create_refuses_duplicate_code_and_cross_tree_parent(world):
    with pytest.raises(ValidationError, match="đã được dùng"):
        services.create_unit(
            parent=world.commune_a,
            level=world.levels["hoi_branch"],
            name="Chi hội Trùng",
            code="99001-CH01",
        )
    with pytest.raises(ValidationError, match="cùng hệ thống"):
        services.create_unit(
            parent=world.party_a, level=world.levels["hoi_branch"], name="Chi hội Sai", code="SAI"
        )
    assert not Unit.objects.filter(name__in=["Chi hội Trùng", "Chi hội Sai"]).exists()
    assert UnitVersion.objects.filter(unit__name="Chi hội Sai").count() == 0
