"""Audit rows for log-in, log-out and failed log-ins."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from uutu.core import audit

from .backends import register_failure


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    get_user_model().objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    audit.record("accounts.login", user, user=user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("accounts.logout", user, user=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") or ""
    if username:
        register_failure(username)
