from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "uutu.targets"
    verbose_name = "Chỉ tiêu"

    def ready(self):
        _register_pickers()


def _register_pickers():
    """The quota list's unit picker: the Hội units whose quotas the user may see,
    a Party user's counterparts included (orgs.views.PICKER_PURPOSES)."""
    from uutu.orgs.models import Tree
    from uutu.orgs.views import PICKER_PURPOSES, Purpose

    from .views import VIEW, picker_choice

    PICKER_PURPOSES["targets"] = Purpose(VIEW, (Tree.HOI,), units=picker_choice)
