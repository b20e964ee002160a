"""Who may do what where. :func:`scope_prefixes` feeds the one scoping mechanism
(``restrict``); :func:`can` answers for one unit. Both read the user's active role
assignments once per request and cache them on the user object."""

from .roles import ROLE_SPECS, Role, grants


class _All:
    """Marker: no restriction (system administrator)."""


ALL = _All()


def _assignments(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_uutu_assignments", None)
    if cached is None:
        from .models import RoleAssignment

        cached = list(
            RoleAssignment.objects.current()
            .filter(user=user)
            .select_related("unit", "unit__counterpart")
        )
        user._uutu_assignments = cached
    return cached


def clear_cache(user) -> None:
    user.__dict__.pop("_uutu_assignments", None)


def _minimal(prefixes: set[str]) -> list[str]:
    """Drop prefixes already covered by a shorter one."""
    out = []
    for p in sorted(prefixes, key=len):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return sorted(out)


def scope_prefixes(user, action: str | None):
    """Path prefixes of the subtrees where ``user`` may do ``action``.

    ``action=None`` gives her whole scope, which also covers the counterpart units
    in the other tree (a cell secretary's scope includes her chi hội).
    """
    prefixes: set[str] = set()
    for a in _assignments(user):
        if not grants(a.role, action):
            continue
        if a.role == Role.SYSADMIN:
            return ALL
        prefixes.add(a.unit.path)
        if action is None and a.unit.counterpart_id:
            prefixes.add(a.unit.counterpart.path)
    return _minimal(prefixes)


def can(user, action: str, unit) -> bool:
    """May ``user`` do ``action`` on a record that belongs to ``unit``?"""
    if unit is None:
        return False
    return any(
        grants(a.role, action) and (a.role == Role.SYSADMIN or unit.path.startswith(a.unit.path))
        for a in _assignments(user)
    )


def has_any(user, action: str) -> bool:
    return any(grants(a.role, action) for a in _assignments(user))


def max_rank_over(user, unit) -> int:
    """The highest rank among the user's roles that cover ``unit``."""
    ranks = [
        ROLE_SPECS[a.role].rank
        for a in _assignments(user)
        if a.role == Role.SYSADMIN or unit.path.startswith(a.unit.path)
    ]
    return max(ranks, default=0)


def assignable_roles(user, unit) -> list[str]:
    """Roles ``user`` may grant at ``unit``: inside her subtree, of the unit's tree,
    and no higher than her own role there."""
    if not can(user, "accounts.manage", unit):
        return []
    top = max_rank_over(user, unit)
    return [
        role
        for role, spec in ROLE_SPECS.items()
        if spec.rank <= top
        and (spec.tree is None or spec.tree == unit.tree)
        and (role != Role.SYSADMIN or unit.parent_id is None)
    ]


def primary_assignment(user):
    """The assignment shown in the navigation: the highest-ranked one."""
    items = _assignments(user)
    return max(items, key=lambda a: ROLE_SPECS[a.role].rank, default=None)


def all_assignments(user):
    return list(_assignments(user))
