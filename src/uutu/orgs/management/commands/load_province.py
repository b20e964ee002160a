"""``manage.py load_province <code>``: create a province's two trees (Hội and Party)
from the 2025 administrative units of the ``vietnam-provinces`` package.

For the province and each of its communes (xã, phường, đặc khu) it creates the Hội
LHPN unit and the party committee, linked as counterparts, under the central roots
(created if missing). Units are found by (tree, code), so a re-run creates nothing
and changes nothing. The units are written with ``bulk_create`` (a province has up
to about 170 communes) and one summary audit row is appended.

The functions here are importable: :func:`load_province` is what the command runs
(``load_demo`` calls it), and :func:`bulk_get_or_create_units` creates any batch of
units with their paths and history rows.
"""

from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from uutu.core import audit, context
from uutu.core.text import fold
from uutu.orgs.models import Unit, UnitVersion
from uutu.orgs.services import ensure_levels

HOI_ROOT = ("Hội LHPN Việt Nam", "VN")
DANG_ROOT = ("Đảng Cộng sản Việt Nam", "VN")


@dataclass(frozen=True)
class UnitSpec:
    """A unit to get or create: its level code, name, code, parent (an existing
    :class:`Unit`) and optional area name / remote-area flag."""

    level: str
    name: str
    code: str
    parent: Unit | None
    area_name: str = ""
    remote_area: bool = False


@dataclass
class LoadResult:
    province_name: str
    hoi_province: Unit
    party_province: Unit
    hoi_communes: list[Unit] = field(default_factory=list)
    party_communes: list[Unit] = field(default_factory=list)
    created: int = 0
    existing: int = 0
    linked: int = 0
    created_communes: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.linked)


def bulk_get_or_create_units(specs: list[UnitSpec], levels=None) -> tuple[list[Unit], int]:
    """Return the units of ``specs`` (same order), creating the missing ones.

    Units are matched by (tree, code); an existing unit is returned untouched. The
    missing ones are inserted with one ``bulk_create``; their materialized paths
    are computed from the primary keys it returns, and one current
    :class:`UnitVersion` (no start date) is written for each. Every parent must
    already exist. Returns ``(units, number_created)``.
    """
    if not specs:
        return [], 0
    levels = levels or ensure_levels()
    keys = [(levels[s.level].tree, s.code) for s in specs]
    found: dict[tuple[str, str], Unit] = {}
    for tree in {k[0] for k in keys}:
        codes = [code for t, code in keys if t == tree]
        for unit in Unit.objects.filter(tree=tree, code__in=codes):
            found[(tree, unit.code)] = unit
    new_units: list[Unit] = []
    for spec, key in zip(specs, keys, strict=True):
        if key in found:
            continue
        unit = Unit(
            tree=key[0],
            level=levels[spec.level],
            name=spec.name,
            code=spec.code,
            area_name=spec.area_name,
            parent=spec.parent,
            remote_area=spec.remote_area,
            path=f"tmp-{key[0]}-{spec.code}",
        )
        found[key] = unit
        new_units.append(unit)
    if new_units:
        Unit.objects.bulk_create(new_units)
        for unit in new_units:
            if unit.pk is None:  # pragma: no cover - every supported backend returns pks
                raise RuntimeError("The database did not return the new units' ids.")
            parent = unit.parent
            unit.path = (parent.path if parent else "") + Unit.segment(unit.pk)
            unit.depth = parent.depth + 1 if parent else 0
        Unit.objects.bulk_update(new_units, ["path", "depth"])
        UnitVersion.objects.bulk_create(
            UnitVersion(unit=u, name=u.name, parent_id=u.parent_id, valid_from=None)
            for u in new_units
        )
    return [found[k] for k in keys], len(new_units)


def link_pairs(pairs: list[tuple[Unit, Unit]]) -> int:
    """Link each (Hội unit, Party unit) pair as counterparts where neither side is
    linked yet. A unit already linked elsewhere is left alone. Returns the number
    of pairs linked."""
    changed: list[Unit] = []
    for hoi, dang in pairs:
        if hoi.counterpart_id is None and dang.counterpart_id is None:
            hoi.counterpart = dang
            dang.counterpart = hoi
            changed += [hoi, dang]
    if changed:
        Unit.objects.bulk_update(changed, ["counterpart"])
    return len(changed) // 2


def find_province(value):
    """The ``vietnam_provinces`` province for a code (``4``, ``"04"``) or a code name
    (``cao_bang``), or a name with or without diacritics (``"Cao Bằng"``)."""
    from vietnam_provinces import Province

    text = str(value).strip()
    if text.isdigit():
        try:
            return Province.from_code(int(text))
        except (ValueError, KeyError, LookupError) as exc:
            raise CommandError(f"Không có tỉnh, thành phố mã {text}.") from exc
    wanted = fold(text).replace("_", " ").replace("-", " ")
    for prefix in ("tinh ", "thanh pho "):
        wanted = wanted.removeprefix(prefix)
    for province in Province.iter_all():
        name = fold(province.name).removeprefix("tinh ").removeprefix("thanh pho ")
        if wanted in (province.codename.replace("_", " "), name):
            return province
    raise CommandError(f"Không tìm thấy tỉnh, thành phố “{value}”.")


def load_province(value, *, remote_area: bool = False) -> LoadResult:
    """Create the province ``value`` (code or code name) and its communes in both
    trees; see the module docstring. Runs in one transaction."""
    from vietnam_provinces import Ward

    province = find_province(value)
    code = f"{int(province.code):02d}"
    wards = sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code))
    with transaction.atomic():
        levels = ensure_levels()
        (hoi_root, dang_root), n_roots = bulk_get_or_create_units(
            [
                UnitSpec("hoi_central", HOI_ROOT[0], HOI_ROOT[1], None),
                UnitSpec("dang_central", DANG_ROOT[0], DANG_ROOT[1], None),
            ],
            levels,
        )
        (hoi_prov, dang_prov), n_prov = bulk_get_or_create_units(
            [
                UnitSpec(
                    "hoi_province",
                    f"Hội LHPN {province.name}",
                    code,
                    hoi_root,
                    area_name=province.name,
                ),
                UnitSpec(
                    "dang_province",
                    f"Đảng bộ {province.name}",
                    code,
                    dang_root,
                    area_name=province.name,
                ),
            ],
            levels,
        )
        hoi_specs, dang_specs = [], []
        for ward in wards:
            ward_code = f"{int(ward.code):05d}"
            hoi_specs.append(
                UnitSpec(
                    "hoi_commune",
                    f"Hội LHPN {ward.name}",
                    ward_code,
                    hoi_prov,
                    area_name=ward.name,
                    remote_area=remote_area,
                )
            )
            dang_specs.append(
                UnitSpec(
                    "dang_commune",
                    f"Đảng bộ {ward.name}",
                    ward_code,
                    dang_prov,
                    area_name=ward.name,
                    remote_area=remote_area,
                )
            )
        hoi_units, n_hoi = bulk_get_or_create_units(hoi_specs, levels)
        dang_units, n_dang = bulk_get_or_create_units(dang_specs, levels)
        linked = link_pairs([(hoi_prov, dang_prov), *zip(hoi_units, dang_units, strict=True)])
        if remote_area:
            flagged = [u for u in (*hoi_units, *dang_units) if not u.remote_area]
            for unit in flagged:
                unit.remote_area = True
            if flagged:
                Unit.objects.bulk_update(flagged, ["remote_area"])
        created = n_roots + n_prov + n_hoi + n_dang
        result = LoadResult(
            province_name=province.name,
            hoi_province=hoi_prov,
            party_province=dang_prov,
            hoi_communes=hoi_units,
            party_communes=dang_units,
            created=created,
            existing=2 * len(wards) + 4 - created,
            linked=linked,
            created_communes=n_hoi,
        )
        if result.changed:
            from uutu.pipeline import counters

            counters.figures_changed([hoi_prov.path, dang_prov.path])  # bulk: no signals
            audit.record(
                "orgs.province.loaded",
                hoi_prov,
                after={
                    "province": province.name,
                    "code": code,
                    "communes": len(wards),
                    "units_created": created,
                    "pairs_linked": linked,
                    "remote_area": remote_area,
                },
                repr_text=f"Nạp danh mục đơn vị {province.name}",
            )
    return result


def summary(result: LoadResult) -> str:
    n = len(result.hoi_communes)
    if not result.changed:
        return (
            f"{result.province_name}: đã có đủ {n} đơn vị hành chính cấp xã trong cả hai hệ "
            "thống; không tạo thêm đơn vị nào."
        )
    return (
        f"Đã nạp {result.province_name}: {n} đơn vị hành chính cấp xã "
        f"({result.created_communes} Hội LHPN cấp xã mới). Tạo mới {result.created} đơn vị "
        f"(Hội và Đảng), {result.existing} đơn vị đã có từ trước; "
        f"liên kết {result.linked} cặp Hội – Đảng."
    )


class Command(BaseCommand):
    help = (
        "Tạo Hội LHPN và Đảng bộ của một tỉnh, thành phố và của mọi xã, phường, đặc khu "
        "thuộc tỉnh (theo danh mục đơn vị hành chính 2025)."
    )

    def add_arguments(self, parser):
        parser.add_argument("province", help="Mã tỉnh (ví dụ 4) hoặc tên mã (ví dụ cao_bang).")
        parser.add_argument(
            "--remote-area",
            action="store_true",
            help="Đánh dấu mọi xã, phường là vùng đặc biệt khó khăn.",
        )

    def handle(self, *args, province, remote_area, **options):
        with context.acting(source="command"):
            result = load_province(province, remote_area=remote_area)
        self.stdout.write(self.style.SUCCESS(summary(result)))
