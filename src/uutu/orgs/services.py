"""Service functions for the organisation trees. Every change goes through here:
each runs in one transaction, checks the rules, writes a dated :class:`OrgEvent`,
keeps :class:`UnitVersion` history and appends the audit row."""

import datetime
import functools
import operator

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr

from uutu.core import audit

from .models import Level, OrgEvent, Tree, Unit, UnitVersion

DEFAULT_LEVELS = [
    # code, name, tree, rank
    ("hoi_central", "Trung ương Hội LHPN Việt Nam", Tree.HOI, 0),
    ("hoi_province", "Hội LHPN tỉnh, thành phố", Tree.HOI, 1),
    ("hoi_district", "Hội LHPN huyện, thị xã (trước 7/2025)", Tree.HOI, 2),
    ("hoi_commune", "Hội LHPN xã, phường, đặc khu", Tree.HOI, 3),
    ("hoi_affiliate", "Đơn vị Hội trực thuộc", Tree.HOI, 3),
    ("hoi_branch", "Chi hội phụ nữ", Tree.HOI, 4),
    ("hoi_group", "Tổ phụ nữ", Tree.HOI, 5),
    ("dang_central", "Trung ương Đảng", Tree.DANG, 0),
    ("dang_province", "Đảng bộ tỉnh, thành phố", Tree.DANG, 1),
    ("dang_district", "Đảng bộ huyện (trước 7/2025)", Tree.DANG, 2),
    ("dang_commune", "Đảng bộ xã, phường, đặc khu", Tree.DANG, 3),
    ("dang_cell", "Chi bộ", Tree.DANG, 4),
]


def ensure_levels() -> dict[str, Level]:
    """Create the standard levels if missing; return them by code."""
    existing = {lv.code: lv for lv in Level.objects.all()}
    missing = [
        Level(code=code, name=name, tree=tree, rank=rank)
        for code, name, tree, rank in DEFAULT_LEVELS
        if code not in existing
    ]
    if missing:
        Level.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {lv.code: lv for lv in Level.objects.all()}
    return existing


def _check_parent(level: Level, parent: Unit | None, tree: str) -> None:
    if parent is None:
        return
    if parent.tree != tree:
        raise ValidationError("Đơn vị cấp trên phải thuộc cùng hệ thống (Hội hoặc Đảng).")
    if parent.level.rank >= level.rank:
        raise ValidationError(
            f"Đơn vị cấp trên ({parent.level.name}) phải ở cấp cao hơn {level.name}."
        )
    if not parent.is_active:
        raise ValidationError(f"Đơn vị cấp trên “{parent.name}” đã giải thể hoặc sáp nhập.")


def _check_active(unit: Unit) -> None:
    if not unit.is_active:
        raise ValidationError(f"Đơn vị “{unit.name}” đã giải thể hoặc sáp nhập.")


def _new_event(kind, on, doc_no, note, actor, **details) -> OrgEvent:
    return OrgEvent.objects.create(
        kind=kind,
        date=on,
        doc_no=doc_no or "",
        note=note or "",
        created_by=actor,
        details=details,
    )


def _open_version(unit: Unit, on, event=None) -> None:
    UnitVersion.objects.create(
        unit=unit, name=unit.name, parent_id=unit.parent_id, valid_from=on, event=event
    )


def _close_version(unit: Unit, on) -> None:
    UnitVersion.objects.filter(unit=unit, valid_to__isnull=True).update(valid_to=on)


@transaction.atomic
def create_unit(
    *,
    parent: Unit | None,
    level: Level,
    name: str,
    code: str,
    area_name: str = "",
    on: datetime.date | None = None,
    doc_no: str = "",
    actor=None,
    remote_area: bool = False,
    record_event: bool = True,
) -> Unit:
    """Found a unit under ``parent``."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Tên đơn vị không được để trống.")
    tree = level.tree
    _check_parent(level, parent, tree)
    if Unit.objects.filter(tree=tree, code=code).exists():
        raise ValidationError(f"Mã đơn vị “{code}” đã được dùng.")
    unit = Unit(
        tree=tree,
        level=level,
        name=name,
        area_name=area_name,
        code=code,
        parent=parent,
        path=f"tmp-{tree}-{code}",
        remote_area=remote_area,
        established_on=on,
    )
    unit.save()
    unit.path = (parent.path if parent else "") + Unit.segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    Unit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
    from uutu.pipeline import counters

    counters.figures_changed([unit.path])  # a new child, perhaps a new commune
    event = None
    if record_event:
        event = _new_event(
            OrgEvent.Kind.CREATE,
            on or datetime.date.today(),
            doc_no,
            "",
            actor,
            name=name,
            parent=parent.pk if parent else None,
        )
        event.targets.add(unit)
    _open_version(unit, on, event)
    audit.record("orgs.unit.created", unit, after=audit.snapshot(unit), user=actor)
    return unit


@transaction.atomic
def rename_unit(
    unit: Unit, *, new_name: str, on: datetime.date, doc_no: str = "", note: str = "", actor=None
) -> Unit:
    new_name = (new_name or "").strip()
    _check_active(unit)
    if not new_name:
        raise ValidationError("Tên mới không được để trống.")
    if new_name == unit.name:
        raise ValidationError("Tên mới trùng với tên hiện tại.")
    before = audit.snapshot(unit)
    event = _new_event(
        OrgEvent.Kind.RENAME, on, doc_no, note, actor, old_name=unit.name, new_name=new_name
    )
    event.sources.add(unit)
    event.targets.add(unit)
    _close_version(unit, on)
    unit.name = new_name
    unit.save(update_fields=["name", "updated_at"])
    _open_version(unit, on, event)
    audit.record("orgs.unit.renamed", unit, before=before, after=audit.snapshot(unit), user=actor)
    return unit


def _reparent(unit: Unit, new_parent: Unit, on, event) -> None:
    """Move ``unit`` and its whole subtree under ``new_parent`` (paths rewritten)."""
    # The subtree check comes first: a unit below is also of a lower level, and
    # "cannot move under its own child" is the message that tells the user why.
    if new_parent.path.startswith(unit.path):
        raise ValidationError("Không thể chuyển một đơn vị vào chính đơn vị cấp dưới của nó.")
    _check_parent(unit.level, new_parent, unit.tree)
    old_prefix = unit.path
    new_prefix = new_parent.path + Unit.segment(unit.pk)
    delta = new_parent.depth + 1 - unit.depth
    Unit.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
        depth=F("depth") + delta,
    )
    # The figures' counters: the moved subtree now counts under its new ancestors.
    from uutu.pipeline import counters

    counters.unit_moved(unit.pk, old_prefix, new_prefix)
    _close_version(unit, on)
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    _open_version(unit, on, event)


@transaction.atomic
def move_unit(
    unit: Unit, *, new_parent: Unit, on: datetime.date, doc_no: str = "", note: str = "", actor=None
) -> Unit:
    _check_active(unit)
    if unit.parent_id == new_parent.pk:
        raise ValidationError("Đơn vị đã ở dưới đơn vị cấp trên này.")
    before = audit.snapshot(unit)
    event = _new_event(
        OrgEvent.Kind.MOVE,
        on,
        doc_no,
        note,
        actor,
        old_parent=unit.parent_id,
        new_parent=new_parent.pk,
    )
    event.sources.add(unit)
    event.targets.add(unit)
    _reparent(unit, new_parent, on, event)
    audit.record("orgs.unit.moved", unit, before=before, after=audit.snapshot(unit), user=actor)
    return unit


def _transfer_contents(
    source: Unit, target: Unit, on, event, actor, reason: str, children=None, members=None
) -> None:
    """Move children units and members of ``source`` into ``target``."""
    from uutu.people.services import move_person

    child_qs = source.children.filter(is_active=True)
    if children is not None:
        child_qs = child_qs.filter(pk__in=[c.pk for c in children])
    for child in child_qs:
        _reparent(child, target, on, event)
    from uutu.people.models import Person

    member_qs = Person.objects.filter(branch=source, archived_at__isnull=True)
    if members is not None:
        member_qs = member_qs.filter(pk__in=[m.pk for m in members])
    for person in member_qs:
        move_person(person, to_branch=target, on=on, reason=reason, actor=actor, check_scope=False)


def _retire(unit: Unit, on, successor: Unit | None) -> None:
    _close_version(unit, on)
    unit.is_active = False
    unit.dissolved_on = on
    unit.successor = successor
    unit.save(update_fields=["is_active", "dissolved_on", "successor", "updated_at"])


def _active_contents(unit: Unit) -> tuple[int, int]:
    from uutu.people.models import Person

    return (
        unit.children.filter(is_active=True).count(),
        Person.objects.filter(branch=unit, archived_at__isnull=True).count(),
    )


@transaction.atomic
def merge_units(
    sources: list[Unit],
    *,
    on: datetime.date,
    into: Unit | None = None,
    name: str = "",
    code: str = "",
    doc_no: str = "",
    note: str = "",
    actor=None,
) -> Unit:
    """Merge ``sources`` (A, B…) into ``into`` or into a new unit named ``name``.

    Children and members move to the target; each source stays, inactive, with the
    target as its successor, so its past records keep pointing at it.
    """
    sources = list(sources)
    if len(sources) < 2 and into is None:
        raise ValidationError("Cần chọn ít nhất hai đơn vị để hợp nhất.")
    levels = {s.level_id for s in sources} | ({into.level_id} if into else set())
    if len(levels) != 1:
        raise ValidationError("Chỉ hợp nhất được các đơn vị cùng cấp.")
    if any(not s.is_active for s in sources) or (into is not None and not into.is_active):
        raise ValidationError("Có đơn vị đã giải thể hoặc sáp nhập trước đó.")
    if into is None:
        first = sources[0]
        into = create_unit(
            parent=first.parent,
            level=first.level,
            name=name,
            code=code or f"{first.code}-M{on:%Y%m%d}",
            on=on,
            doc_no=doc_no,
            actor=actor,
            area_name=first.area_name,
            remote_area=any(s.remote_area for s in sources),
            record_event=False,
        )
    elif into in sources:
        sources.remove(into)
    event = _new_event(
        OrgEvent.Kind.MERGE,
        on,
        doc_no,
        note,
        actor,
        sources=[s.pk for s in sources],
        target=into.pk,
        source_names=[s.name for s in sources],
    )
    event.sources.add(*sources)
    event.targets.add(into)
    for source in sources:
        before = audit.snapshot(source)
        _transfer_contents(source, into, on, event, actor, reason=f"Sáp nhập vào {into.name}")
        _retire(source, on, into)
        audit.record(
            "orgs.unit.merged", source, before=before, after=audit.snapshot(source), user=actor
        )
    return into


@transaction.atomic
def split_unit(
    unit: Unit,
    *,
    parts: list[dict],
    on: datetime.date,
    keep_source: bool = False,
    doc_no: str = "",
    note: str = "",
    actor=None,
) -> list[Unit]:
    """Split ``unit`` into new units. Each part is a dict with ``name``, ``code`` and
    optionally ``children`` (units) and ``members`` (persons) that move to it.
    Unless ``keep_source``, every child and member must be given a new unit, and the
    source is dissolved."""
    _check_active(unit)
    if not parts:
        raise ValidationError("Cần ít nhất một đơn vị mới khi chia tách.")
    event = _new_event(
        OrgEvent.Kind.SPLIT,
        on,
        doc_no,
        note,
        actor,
        source=unit.pk,
        parts=[p["name"] for p in parts],
    )
    event.sources.add(unit)
    new_units = []
    for i, part in enumerate(parts, start=1):
        new = create_unit(
            parent=unit.parent,
            level=unit.level,
            name=part["name"],
            code=part.get("code") or f"{unit.code}-T{i}",
            on=on,
            doc_no=doc_no,
            actor=actor,
            area_name=unit.area_name,
            remote_area=unit.remote_area,
            record_event=False,
        )
        _transfer_contents(
            unit,
            new,
            on,
            event,
            actor,
            reason=f"Chia tách từ {unit.name}",
            children=part.get("children", []),
            members=part.get("members", []),
        )
        new_units.append(new)
    event.targets.add(*new_units)
    before = audit.snapshot(unit)
    if not keep_source:
        n_children, n_members = _active_contents(unit)
        if n_children or n_members:
            raise ValidationError(
                f"Còn {n_members} hội viên và {n_children} đơn vị trực thuộc chưa được phân "
                "về đơn vị mới."
            )
        _retire(unit, on, None)
    audit.record("orgs.unit.split", unit, before=before, after=audit.snapshot(unit), user=actor)
    return new_units


@transaction.atomic
def dissolve_unit(
    unit: Unit, *, on: datetime.date, doc_no: str = "", note: str = "", actor=None
) -> Unit:
    if not unit.is_active:
        raise ValidationError("Đơn vị đã giải thể hoặc sáp nhập.")
    n_children, n_members = _active_contents(unit)
    if n_children or n_members:
        raise ValidationError(
            f"Không thể giải thể: còn {n_members} hội viên và {n_children} đơn vị trực thuộc. "
            "Hãy chuyển họ sang đơn vị khác hoặc dùng chức năng hợp nhất."
        )
    before = audit.snapshot(unit)
    event = _new_event(OrgEvent.Kind.DISSOLVE, on, doc_no, note, actor)
    event.sources.add(unit)
    _retire(unit, on, None)
    audit.record("orgs.unit.dissolved", unit, before=before, after=audit.snapshot(unit), user=actor)
    return unit


@transaction.atomic
def link_counterpart(hoi_unit: Unit, party_unit: Unit | None, *, actor=None) -> None:
    """Link a Hội unit to its Party counterpart (both directions)."""
    if hoi_unit.tree != Tree.HOI or (party_unit is not None and party_unit.tree != Tree.DANG):
        raise ValidationError("Liên kết phải nối một đơn vị Hội với một tổ chức Đảng.")
    before = audit.snapshot(hoi_unit)
    if hoi_unit.counterpart_id and hoi_unit.counterpart_id != getattr(party_unit, "pk", None):
        Unit.objects.filter(pk=hoi_unit.counterpart_id).update(counterpart=None)
    hoi_unit.counterpart = party_unit
    hoi_unit.save(update_fields=["counterpart", "updated_at"])
    if party_unit is not None:
        Unit.objects.filter(counterpart=party_unit).exclude(pk=hoi_unit.pk).update(counterpart=None)
        party_unit.counterpart = hoi_unit
        party_unit.save(update_fields=["counterpart", "updated_at"])
    audit.record(
        "orgs.unit.linked", hoi_unit, before=before, after=audit.snapshot(hoi_unit), user=actor
    )


def valid_on(on: datetime.date) -> Q:
    """The unit versions valid on ``on``."""
    return Q(Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & Q(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )


def children_as_of(unit: Unit, on: datetime.date) -> dict[int, str]:
    """The units directly under ``unit`` on ``on``, with the names they had then:
    ``{unit_id: name}``. One query through the versions' parent index (not the
    whole tree, as :func:`tree_as_of` reads it)."""
    rows = UnitVersion.objects.filter(valid_on(on), parent_id=unit.pk).order_by()
    return dict(rows.values_list("unit_id", "name"))


# Above this many units given a new version after a date, the tree of that date
# under a unit is read whole rather than narrowed to where it can lie (a reform).
MAX_NARROWED = 200


def tree_as_of(
    on: datetime.date, root: Unit | None = None, *, narrow: bool = True
) -> dict[int, tuple[str, int | None]]:
    """The tree as it stood on ``on``: ``{unit_id: (name, parent_id)}``.

    With ``root``, only units that were under ``root`` on that date. Only the
    versions of the units that can have been under it then are read (``narrow``;
    :func:`_where_it_can_lie`), not the whole country's.
    """
    rows = UnitVersion.objects.filter(valid_on(on))
    prefixes = _where_it_can_lie(root, on) if root is not None and narrow else None
    if prefixes is not None:
        rows = rows.filter(
            functools.reduce(operator.or_, (Q(unit__path__startswith=p) for p in prefixes))
        )
    tree = {uid: (name, pid) for uid, name, pid in rows.values_list("unit_id", "name", "parent_id")}
    if root is None:
        return tree
    keep: dict[int, bool] = {root.pk: True}

    def under(uid):
        seen = []
        while uid is not None and uid not in keep:
            seen.append(uid)
            uid = tree.get(uid, (None, None))[1]
        result = keep.get(uid, False) if uid is not None else False
        for s in seen:
            keep[s] = result
        return result

    return {uid: v for uid, v in tree.items() if under(uid)}


def changed_since(on: datetime.date, limit: int) -> dict[int, str] | None:
    """The units given a new version after ``on`` (created, renamed, moved, or moved
    with their parent's merger or split), each with its current path; None when
    there are more than ``limit`` (a reform)."""
    rows = (
        UnitVersion.objects.filter(valid_from__gt=on)
        .order_by()
        .values_list("unit_id", "unit__path")
        .distinct()[: limit + 1]
    )
    changed = dict(rows)
    return None if len(changed) > limit else changed


def _where_it_can_lie(root: Unit, on: datetime.date) -> list[str] | None:
    """The path prefixes of every unit that can have been under ``root`` on ``on``:
    ``root``'s own, and those of the units given a new version since (their parent
    may have changed); None when more than :data:`MAX_NARROWED` were.

    A unit under ``root`` that day is under it now, unless one of the units on its
    way up then has changed parent since; the first such one carries it in its
    subtree now. So the units under those prefixes hold that day's subtree, and a
    walk up that leaves them leaves it."""
    changed = changed_since(on, MAX_NARROWED)
    if changed is None:
        return None
    prefixes: list[str] = []
    for path in sorted({root.path, *changed.values()}):
        if not any(path.startswith(p) for p in prefixes):
            prefixes.append(path)
    return prefixes


def ancestors_as_of(unit: Unit, on: datetime.date) -> list[int]:
    """The ids of ``unit`` and the units above it on ``on``, nearest first."""
    tree = tree_as_of(on)
    chain, uid = [], unit.pk
    while uid is not None and uid in tree and uid not in chain:
        chain.append(uid)
        uid = tree[uid][1]
    return chain


def current_successor(unit: Unit) -> Unit:
    """Follow merges to the unit that carries ``unit`` on today."""
    seen = set()
    while unit.successor_id and unit.pk not in seen:
        seen.add(unit.pk)
        unit = unit.successor
    return unit
