from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "uutu.reports"
    verbose_name = "Báo cáo"

    def ready(self):
        _register_pickers()


def _register_pickers():
    """The picker of the children's reports and deadlines offers only units that
    have children (orgs.views.PICKER_PURPOSES)."""
    from uutu.orgs.views import PICKER_PURPOSES

    from .views import _parent_units

    PICKER_PURPOSES["reports_overview"] = PICKER_PURPOSES["reports_overview"]._replace(
        units=_parent_units
    )
