"""API routes of forecasting, mounted at /api/v1/forecasting/."""
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import ForecastAccuracyView, ForecastRunViewSet, WeatherForecastView, WeatherZoneViewSet

router = SimpleRouter()  # no root view: its name would clash with the main API root
router.register("zones", WeatherZoneViewSet, basename="forecasting-zone")
router.register("runs", ForecastRunViewSet, basename="forecasting-run")

urlpatterns = [
    path("weather/", WeatherForecastView.as_view(), name="forecasting-weather"),
    path("accuracy/", ForecastAccuracyView.as_view(), name="forecasting-accuracy"),
    path("", include(router.urls)),
]
