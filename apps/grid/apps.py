from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "apps.grid"
    label = "grid"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - registers the revision bump
