from django.urls import path

from . import views

app_name = "forecasting"

urlpatterns = [
    path("", views.forecasts_page, name="page"),
    path("issue/", views.forecast_issue, name="issue"),
    path("backfill/", views.forecast_backfill_view, name="backfill"),
    path("weather/figure/", views.weather_figure_view, name="weather-figure"),
]
