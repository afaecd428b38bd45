from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "apps.forecasting"
    label = "forecasting"
    verbose_name = "Forecasting"

    def ready(self) -> None:
        from .events import register

        register()  # the forecast live event kind and its schema
