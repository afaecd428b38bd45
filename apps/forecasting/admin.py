from django.contrib import admin

from .models import ForecastRun, ForecastScore, WeatherForecast, WeatherZone


@admin.register(WeatherZone)
class WeatherZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "latitude", "longitude", "created_at"]
    list_filter = ["network"]


@admin.register(WeatherForecast)
class WeatherForecastAdmin(admin.ModelAdmin):
    list_display = ["zone", "issued_at", "valid_at", "ghi_w_m2", "wind_speed_m_s", "temperature_c", "source"]
    list_filter = ["zone", "source"]
    date_hierarchy = "issued_at"


@admin.register(ForecastRun)
class ForecastRunAdmin(admin.ModelAdmin):
    list_display = ["id", "network", "issued_at", "steps", "weather_source", "fully_scored", "created_by"]
    list_filter = ["network", "weather_source", "fully_scored"]
    readonly_fields = [f.name for f in ForecastRun._meta.fields]


@admin.register(ForecastScore)
class ForecastScoreAdmin(admin.ModelAdmin):
    list_display = ["run", "quantity", "band", "n", "abs_error_sum", "pinball_sum", "covered"]
    list_filter = ["quantity", "band"]
