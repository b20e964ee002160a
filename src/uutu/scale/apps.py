from django.apps import AppConfig


class ScaleConfig(AppConfig):
    """Synthetic data at commune, province and national scale (``manage.py generate``)."""

    name = "uutu.scale"
    label = "scale"
    verbose_name = "Dữ liệu tổng hợp quy mô lớn"
