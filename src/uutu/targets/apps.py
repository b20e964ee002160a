from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "uutu.targets"
    verbose_name = "Chỉ tiêu"
