"""Authentication with a lock-out after repeated failures."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone

from uutu.core import audit


class AccountLocked(PermissionDenied):
    """Raised to stop authentication while an account is locked."""


def is_locked(user) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


def register_failure(username: str) -> None:
    """Count a failed log-in; lock the account when the threshold is reached."""
    User = get_user_model()
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        audit.record(
            "accounts.login_failed",
            None,
            after={"username": username[:150]},
            repr_text=username[:150],
        )
        return
    User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    user.refresh_from_db(fields=["failed_logins", "locked_until"])
    audit.record(
        "accounts.login_failed", user, after={"failed_logins": user.failed_logins}, user=user
    )
    if user.failed_logins >= settings.LOCKOUT_THRESHOLD:
        until = timezone.now() + timedelta(minutes=settings.LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
        audit.record("accounts.locked", user, after={"locked_until": until.isoformat()}, user=user)


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None:
            User = get_user_model()
            user = User.objects.filter(username__iexact=username).first()
            if user is not None and is_locked(user):
                raise AccountLocked
        return super().authenticate(request, username=username, password=password, **kwargs)
