"""Query parameters of the event list (the same replay the websocket performs on reconnect)."""
from __future__ import annotations

import django_filters

from apps.common.filters import WholeNumberFilter

from .models import Event


class EventFilterSet(django_filters.FilterSet):
    after = WholeNumberFilter(field_name="seq", lookup_expr="gt", min_value=None,
                              help_text="Last sequence number seen (events after it are returned)")

    class Meta:
        model = Event
        fields = ["after"]
