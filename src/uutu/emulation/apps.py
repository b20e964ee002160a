from django.apps import AppConfig


class EmulationConfig(AppConfig):
    name = "uutu.emulation"
    verbose_name = "Thi đua"
