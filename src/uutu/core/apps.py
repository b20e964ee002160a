from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "uutu.core"
    verbose_name = "Hệ thống"
