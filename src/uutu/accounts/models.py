"""Users and their role assignments.

A user holds one or more :class:`RoleAssignment` rows, each a unit plus a role.
Her scope is the union of the subtrees of those units; what she may do there is
given by the role (see :mod:`uutu.accounts.permissions`).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from uutu.core.scoping import ScopedQuerySet

from .roles import Role


class User(AbstractUser):
    """A person who signs in: a Hội cadre, a branch head, a Party cadre or an
    administrator. Log-in failures are counted here for the lock-out."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True, default="")
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True, default="")
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    audit_exclude = ("password", "last_login", "failed_logins", "locked_until")

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")
        ordering = ["username"]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class RoleAssignmentQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(is_active=True)


class RoleAssignment(models.Model):
    """A role held by a user at one unit: e.g. commune cadre at Hội LHPN xã X.
    Ended assignments stay (``is_active=False``) for the record."""

    scope_path = "unit__path"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("đơn vị"),
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    role = models.CharField(_("vai trò"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("vai trò được giao")
        verbose_name_plural = _("vai trò được giao")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"],
                condition=models.Q(is_active=True),
                name="one_active_role_per_unit",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} – {self.unit}"

    @property
    def scope_unit(self):
        return self.unit
