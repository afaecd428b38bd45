from django.apps import AppConfig


class AnmConfig(AppConfig):
    name = "apps.anm"
    label = "anm"
    verbose_name = "Active network management"

    def ready(self) -> None:
        from apps.studies.registry import study_kind_register

        from .study_kinds import PROJECTION_KIND

        study_kind_register(PROJECTION_KIND)
