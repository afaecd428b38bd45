from django.apps import AppConfig


class AnmConfig(AppConfig):
    name = "apps.anm"
    label = "anm"
    verbose_name = "Active network management"
