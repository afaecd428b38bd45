from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "apps.grid"
    label = "grid"

    def ready(self) -> None:
        from apps.studies.registry import study_kind_register

        from .study_kinds import SNAPSHOT_KIND

        study_kind_register(SNAPSHOT_KIND)
