from django.apps import AppConfig


class EmulationConfig(AppConfig):
    name = "uutu.emulation"
    verbose_name = "Thi đua"

    def ready(self):
        # The readable names of this app's audit actions, for the activity lists.
        from uutu.core.audit import ACTION_LABELS

        from .services import ACTION_LABELS as OWN

        for action, label in OWN.items():
            ACTION_LABELS.setdefault(action, label)
