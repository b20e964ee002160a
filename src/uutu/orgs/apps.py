from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_levels(sender, **kwargs):
    from .services import ensure_levels

    ensure_levels()


class OrgsConfig(AppConfig):
    name = "uutu.orgs"
    verbose_name = "Tổ chức"

    def ready(self):
        post_migrate.connect(_ensure_levels, sender=self)
