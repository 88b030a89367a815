from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "门店与权限"
