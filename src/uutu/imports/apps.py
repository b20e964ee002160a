from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "uutu.imports"
    verbose_name = "Nhập dữ liệu"
