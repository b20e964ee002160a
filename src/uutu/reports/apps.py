from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "uutu.reports"
    verbose_name = "Báo cáo"
