"""Account management: create users and grant or revoke roles, only inside the
actor's subtree and only with roles no higher than her own."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from uutu.core import audit

from . import permissions
from .models import RoleAssignment, User
from .roles import ROLE_SPECS, Role


def _check_grant(actor, unit, role) -> None:
    if role not in ROLE_SPECS:
        raise ValidationError({"role": "Vai trò không hợp lệ."})
    if not permissions.can(actor, "accounts.manage", unit):
        raise ValidationError({"unit": "Đơn vị nằm ngoài phạm vi quản lý tài khoản của bạn."})
    if role not in permissions.assignable_roles(actor, unit):
        spec = ROLE_SPECS[role]
        if spec.tree and spec.tree != unit.tree:
            raise ValidationError(
                {"role": f"Vai trò “{Role(role).label}” không dùng cho đơn vị “{unit.name}”."}
            )
        raise ValidationError(
            {"role": f"Bạn không được giao vai trò “{Role(role).label}” (cao hơn vai trò của bạn)."}
        )
    if not unit.is_active:
        raise ValidationError({"unit": "Đơn vị đã giải thể hoặc sáp nhập."})


@transaction.atomic
def create_user(*, actor, username, full_name, password, unit, role, phone="") -> User:
    _check_grant(actor, unit, role)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "Tên đăng nhập này đã được dùng."})
    user = User(username=username, full_name=full_name.strip(), phone=phone.strip())
    user.set_password(password)
    user.save()
    audit.record("accounts.user.created", user, after=audit.snapshot(user), unit=unit, user=actor)
    grant_role(actor=actor, user=user, unit=unit, role=role)
    return user


def can_manage_user(actor, user) -> bool:
    """An actor may manage a user when every role of that user lies in her
    account-management scope with a rank no higher than hers."""
    if actor.pk == user.pk:
        return False
    assignments = list(RoleAssignment.objects.current().filter(user=user).select_related("unit"))
    if not assignments:
        return permissions.has_any(actor, "accounts.manage")
    return all(
        permissions.can(actor, "accounts.manage", a.unit)
        and ROLE_SPECS[a.role].rank <= permissions.max_rank_over(actor, a.unit)
        for a in assignments
    )


@transaction.atomic
def grant_role(*, actor, user, unit, role) -> RoleAssignment:
    _check_grant(actor, unit, role)
    if RoleAssignment.objects.current().filter(user=user, unit=unit, role=role).exists():
        raise ValidationError("Tài khoản đã có vai trò này ở đơn vị này.")
    assignment = RoleAssignment.objects.create(user=user, unit=unit, role=role, granted_by=actor)
    audit.record(
        "accounts.role.granted",
        assignment,
        after=audit.snapshot(assignment),
        user=actor,
        repr_text=f"{user}: {assignment}",
    )
    permissions.clear_cache(user)
    return assignment


@transaction.atomic
def revoke_role(*, actor, assignment) -> RoleAssignment:
    _check_grant(actor, assignment.unit, assignment.role)
    if actor.pk == assignment.user_id:
        raise ValidationError("Bạn không thể tự thu hồi vai trò của chính mình.")
    if not assignment.is_active:
        raise ValidationError("Vai trò này đã được thu hồi.")
    before = audit.snapshot(assignment)
    assignment.is_active = False
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["is_active", "ended_at"])
    audit.record(
        "accounts.role.revoked",
        assignment,
        before=before,
        after=audit.snapshot(assignment),
        user=actor,
        repr_text=f"{assignment.user}: {assignment}",
    )
    return assignment


@transaction.atomic
def update_user(*, actor, user, **fields) -> User:
    before = audit.snapshot(user)
    for name, value in fields.items():
        if name not in ("full_name", "phone", "email"):
            raise ValidationError(f"Không sửa được trường {name}.")
        setattr(user, name, (value or "").strip())
    user.save()
    audit.record(
        "accounts.user.updated", user, before=before, after=audit.snapshot(user), user=actor
    )
    return user


@transaction.atomic
def set_active(*, actor, user, active: bool) -> User:
    if actor.pk == user.pk:
        raise ValidationError("Bạn không thể tự khóa tài khoản của chính mình.")
    if user.is_active == active:
        raise ValidationError("Tài khoản đã ở trạng thái này.")
    before = audit.snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        "accounts.user.reactivated" if active else "accounts.user.deactivated",
        user,
        before=before,
        after=audit.snapshot(user),
        user=actor,
    )
    return user


@transaction.atomic
def set_password(*, actor, user, password) -> User:
    user.set_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["password", "failed_logins", "locked_until"])
    audit.record("accounts.user.password_set", user, user=actor)
    return user
