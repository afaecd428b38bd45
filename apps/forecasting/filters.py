"""Query parameters of the forecasting lists: weather zones, forecast runs, accuracy rows."""
from __future__ import annotations

import datetime as dt

import django_filters

from apps.common.filters import WholeNumberFilter
from apps.grid.models import Network

from .models import ForecastRun, ForecastScore, WeatherZone


class WeatherZoneFilterSet(django_filters.FilterSet):
    class Meta:
        model = WeatherZone
        fields = ["network"]


class ForecastRunFilterSet(django_filters.FilterSet):
    class Meta:
        model = ForecastRun
        fields = ["network", "fully_scored"]


class AccuracyFilterSet(django_filters.FilterSet):
    """Scores of one network's runs, optionally only runs issued in the last ``days``."""

    network = django_filters.ModelChoiceFilter(field_name="run__network", queryset=Network.objects.all(),
                                               required=True, help_text="The network whose accuracy is shown")
    days = WholeNumberFilter(method="issued_within", min_value=1, max_value=3660,
                             help_text="Only runs issued in the last N days")

    class Meta:
        model = ForecastScore
        fields = ["network", "days"]

    def issued_within(self, queryset, name, value):
        since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=value)
        return queryset.filter(run__issued_at__gte=since)
