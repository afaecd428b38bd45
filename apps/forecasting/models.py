"""Forecast inputs (weather per zone), issued forecasts (network totals per quantile) and their
accuracy against what later happened.

Per-element forecasts are not stored: they are recomputed on demand from the run's inputs
(``ForecastRun.inputs`` holds everything needed), which keeps these tables small.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class WeatherZone(models.Model):
    """An area that shares one weather forecast. The demo has one per network."""

    network = models.ForeignKey("grid.Network", on_delete=models.CASCADE, related_name="weather_zones")
    name = models.CharField(max_length=100)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["network_id", "id"]
        constraints = [models.UniqueConstraint(fields=["network", "name"], name="weatherzone_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.network})"


class WeatherForecast(models.Model):
    """One step of one issued weather forecast for a zone (15-minute resolution)."""

    zone = models.ForeignKey(WeatherZone, on_delete=models.CASCADE, related_name="forecasts")
    issued_at = models.DateTimeField()
    valid_at = models.DateTimeField(help_text="Start of the quarter-hour the values describe.")
    ghi_w_m2 = models.FloatField(help_text="Global horizontal irradiance, W/m²")
    wind_speed_m_s = models.FloatField(help_text="Wind speed at hub height, m/s")
    temperature_c = models.FloatField(help_text="Air temperature, °C")
    source = models.CharField(max_length=100, blank=True, help_text="Provider label")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["zone_id", "issued_at", "valid_at"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "issued_at", "valid_at"], name="weatherforecast_unique_step")
        ]
        indexes = [models.Index(fields=["zone", "valid_at"])]

    def __str__(self) -> str:
        return f"{self.zone.name} {self.valid_at:%Y-%m-%d %H:%M} (issued {self.issued_at:%d %H:%M})"


class ForecastRun(models.Model):
    """One issued network forecast: its inputs and (via ``series``) its totals per quantile."""

    network = models.ForeignKey("grid.Network", on_delete=models.CASCADE, related_name="forecast_runs")
    issued_at = models.DateTimeField(db_index=True)
    start = models.DateTimeField()
    steps = models.PositiveIntegerField()
    step_minutes = models.PositiveSmallIntegerField(default=15)
    seed = models.BigIntegerField()
    weather_source = models.CharField(max_length=40)
    inputs = models.JSONField(default=dict, help_text="Everything needed to reproduce the forecast")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    scored_through = models.DateTimeField(null=True, blank=True, help_text="End of the last step scored")
    fully_scored = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"Forecast #{self.pk} of {self.network} issued {self.issued_at:%Y-%m-%d %H:%M}"

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.step_minutes * self.steps)


class ForecastSeries(models.Model):
    """Network total of one quantity over a run's steps, per quantile (lists of floats)."""

    class Quantity(models.TextChoices):
        DEMAND = "demand", "Demand (MW)"
        EV = "ev", "EV charging (MW)"
        PV = "pv", "Solar PV (MW)"
        WIND = "wind", "Wind (MW)"
        OTHER_GEN = "other_gen", "Other generation (MW)"
        STORAGE = "storage", "Home and grid batteries, net charging (MW, + = charging)"
        NET_EXPORT = "net_export", "Net export (MW)"
        GHI = "ghi_w_m2", "Irradiance (W/m²)"
        WIND_SPEED = "wind_speed_m_s", "Hub-height wind speed (m/s)"
        TEMPERATURE = "temperature_c", "Temperature (°C)"

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="series")
    quantity = models.CharField(max_length=20, choices=Quantity.choices)
    p10 = models.JSONField()
    p50 = models.JSONField()
    p90 = models.JSONField()

    class Meta:
        ordering = ["run_id", "quantity"]
        constraints = [models.UniqueConstraint(fields=["run", "quantity"], name="forecastseries_unique_quantity")]


class ForecastScore(models.Model):
    """Accuracy of one run's series in one lead-time band, as sums (so runs add up exactly)."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="scores")
    quantity = models.CharField(max_length=20, choices=ForecastSeries.Quantity.choices)
    band = models.CharField(max_length=10)
    n = models.PositiveIntegerField(default=0)
    abs_error_sum = models.FloatField(default=0.0)
    pinball_sum = models.FloatField(default=0.0)
    banded = models.PositiveIntegerField(default=0, help_text="Steps with a P10-P90 band (P90 > P10)")
    covered = models.PositiveIntegerField(default=0, help_text="Banded steps with the actual inside the band")
    actuals_source = models.CharField(max_length=40, blank=True)
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run_id", "quantity", "band"]
        constraints = [
            models.UniqueConstraint(fields=["run", "quantity", "band"], name="forecastscore_unique_band")
        ]
