from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "uutu.people"
    verbose_name = "Hội viên"
