from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "uutu.accounts"
    verbose_name = "Tài khoản"

    def ready(self):
        from . import signals  # noqa: F401
