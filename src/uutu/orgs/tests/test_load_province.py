"""``manage.py load_province``: the two trees of a real province from vietnam-provinces."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from vietnam_provinces import Province, Ward

from uutu.core.models import AuditEntry
from uutu.orgs import services
from uutu.orgs.management.commands.load_province import load_province
from uutu.orgs.models import Tree, Unit, UnitVersion

# Lai Châu: the province with the fewest communes, which keeps the test quick.
CODE = 12


def _wards():
    return sorted(Ward.iter_by_province(Province.from_code(CODE).code), key=lambda w: int(w.code))


def _run(*args):
    out = io.StringIO()
    call_command("load_province", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    return (
        sorted(
            Unit.objects.values_list(
                "id",
                "tree",
                "code",
                "name",
                "path",
                "depth",
                "counterpart_id",
                "remote_area",
                "updated_at",
            )
        ),
        UnitVersion.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
def test_creates_every_commune_in_both_trees():
    output = _run(str(CODE))
    province = Province.from_code(CODE)
    wards = _wards()
    assert "Đã nạp" in output and province.name in output

    hoi_prov = Unit.objects.get(tree=Tree.HOI, code=f"{CODE:02d}")
    dang_prov = Unit.objects.get(tree=Tree.DANG, code=f"{CODE:02d}")
    assert hoi_prov.name == f"Hội LHPN {province.name}"
    assert hoi_prov.area_name == province.name
    assert dang_prov.name == f"Đảng bộ {province.name}"
    assert hoi_prov.level.code == "hoi_province" and dang_prov.level.code == "dang_province"
    assert hoi_prov.parent.code == "VN" and hoi_prov.parent.level.code == "hoi_central"
    assert hoi_prov.parent.name == "Hội LHPN Việt Nam"
    assert dang_prov.parent.name == "Đảng Cộng sản Việt Nam"
    assert dang_prov.parent.level.code == "dang_central"

    hoi = {u.code: u for u in Unit.objects.filter(parent=hoi_prov).select_related("level")}
    dang = {u.code: u for u in Unit.objects.filter(parent=dang_prov).select_related("level")}
    assert len(hoi) == len(wards) == len(dang)
    for ward in wards:
        code = f"{int(ward.code):05d}"
        assert len(code) == 5
        assert hoi[code].name == f"Hội LHPN {ward.name}"
        assert hoi[code].area_name == ward.name
        assert hoi[code].level.code == "hoi_commune"
        assert dang[code].name == f"Đảng bộ {ward.name}"
        assert dang[code].level.code == "dang_commune"
        assert hoi[code].remote_area is False


@pytest.mark.django_db
def test_counterparts_link_both_ways():
    load_province(CODE)
    communes = Unit.objects.filter(level__code__in=["hoi_commune", "dang_commune"])
    assert communes.count() == 2 * len(_wards())
    for unit in communes.select_related("counterpart", "level"):
        other = unit.counterpart
        assert other is not None, unit
        assert other.counterpart_id == unit.pk
        assert other.code == unit.code and other.tree != unit.tree
        assert {unit.level.code, other.level.code} == {"hoi_commune", "dang_commune"}
    hoi_prov = Unit.objects.get(tree=Tree.HOI, code=f"{CODE:02d}")
    assert hoi_prov.counterpart.code == f"{CODE:02d}"
    assert hoi_prov.counterpart.tree == Tree.DANG


@pytest.mark.django_db
def test_paths_depths_and_history_are_consistent():
    load_province(CODE)
    units = {u.pk: u for u in Unit.objects.all()}
    assert len(units) == 2 * len(_wards()) + 4
    for unit in units.values():
        parent = units.get(unit.parent_id)
        prefix = parent.path if parent else ""
        assert unit.path == prefix + Unit.segment(unit.pk)
        assert unit.depth == (parent.depth + 1 if parent else 0)
        assert unit.ancestor_ids()[-1] == unit.pk
    hoi_prov = Unit.objects.get(tree=Tree.HOI, code=f"{CODE:02d}")
    assert Unit.objects.subtree(hoi_prov).count() == len(_wards()) + 1
    versions = UnitVersion.objects.all()
    assert versions.count() == len(units)
    assert all(v.valid_from is None and v.valid_to is None for v in versions)
    assert all(v.name == units[v.unit_id].name for v in versions)
    assert all(v.parent_id == units[v.unit_id].parent_id for v in versions)


@pytest.mark.django_db
def test_second_run_creates_and_changes_nothing():
    _run(str(CODE))
    before = _snapshot()
    assert AuditEntry.objects.filter(action="orgs.province.loaded").count() == 1
    output = _run(Province.from_code(CODE).codename)  # the code name works too
    assert _snapshot() == before
    assert "không tạo thêm" in output


@pytest.mark.django_db
def test_existing_roots_are_reused_and_other_provinces_added():
    levels = services.ensure_levels()
    root = services.create_unit(
        parent=None, level=levels["hoi_central"], name="Hội LHPN Việt Nam", code="VN"
    )
    load_province(CODE)
    load_province("Cao Bằng")
    assert Unit.objects.filter(level__code="hoi_central").get() == root
    assert Unit.objects.filter(level__code="dang_central").count() == 1
    n_cao_bang = len(list(Ward.iter_by_province(Province.from_code(4).code)))
    assert Unit.objects.filter(level__code="hoi_commune").count() == len(_wards()) + n_cao_bang
    assert Unit.objects.filter(tree=Tree.HOI, parent__isnull=True).count() == 1


@pytest.mark.django_db
def test_remote_area_flag_marks_the_communes():
    result = load_province(CODE, remote_area=True)
    assert all(u.remote_area for u in result.hoi_communes + result.party_communes)
    assert Unit.objects.filter(level__code="hoi_commune", remote_area=False).count() == 0
    assert not Unit.objects.get(tree=Tree.HOI, code=f"{CODE:02d}").remote_area


@pytest.mark.django_db
def test_unknown_province_is_refused():
    with pytest.raises(CommandError):
        _run("99")
    with pytest.raises(CommandError):
        _run("khong_co_tinh_nay")
    assert Unit.objects.count() == 0
