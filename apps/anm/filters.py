"""Query parameters of the alarm list."""
from __future__ import annotations

import django_filters

from apps.grid.models import Network

from .models import Alarm


class AlarmFilterSet(django_filters.FilterSet):
    network = django_filters.ModelChoiceFilter(queryset=Network.objects.all(), required=True,
                                               help_text="The network whose alarms are listed")
    state = django_filters.ChoiceFilter(choices=Alarm.State.choices)

    class Meta:
        model = Alarm
        fields = ["network", "state"]
