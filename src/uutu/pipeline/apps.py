from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _seed(sender, **kwargs):
    from .rules import ensure_rule_sets

    ensure_rule_sets()


class PipelineConfig(AppConfig):
    name = "uutu.pipeline"
    verbose_name = "Phát triển đảng viên"

    def ready(self):
        post_migrate.connect(_seed, sender=self)
        from . import counters

        counters.connect_signals()
