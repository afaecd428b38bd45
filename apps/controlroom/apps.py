from django.apps import AppConfig


class ControlroomConfig(AppConfig):
    name = "apps.controlroom"
    label = "controlroom"
