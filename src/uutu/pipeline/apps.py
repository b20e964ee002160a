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
        _register_pickers()


def _register_pickers():
    """The unit picker of the party candidates' cell filter (orgs.views)."""
    from uutu.orgs.models import Tree
    from uutu.orgs.views import PICKER_PURPOSES, Purpose

    from .views_party import candidate_cells

    PICKER_PURPOSES["candidate_cells"] = Purpose(
        "pipeline.view", (Tree.DANG,), levels=("dang_cell",), units=candidate_cells
    )
