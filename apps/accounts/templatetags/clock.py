"""The one rule for showing a time (apps.common.clock) in templates, in the reader's zone (activated
per request by ``apps.accounts.middleware.UserTimeZoneMiddleware``).

    {% load clock %}
    <time datetime="{{ run.finished_at|iso }}">{{ run.finished_at|clock }}</time>
    {{ figure|in_zone|json_script:"figure-data" }}
    {% clock_zone %}   {# the zone for static/js/clock.js, once per page (base.html) #}
"""
from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import json_script

from apps.common.clock import clock_text, parse_moment
from apps.common.figures import figure_in_zone

register = template.Library()


@register.filter
def clock(value, arg: str = "") -> str:
    """'14:05' today, '12 Aug 14:05' on another day, in the reader's zone; ``clock:"s"`` adds seconds."""
    return clock_text(value, zone=timezone.get_current_timezone(), now=timezone.now(), seconds=arg == "s")


@register.filter
def iso(value) -> str:
    """The moment as ISO 8601 in UTC, for ``<time datetime>`` (which static/js/clock.js rewrites)."""
    moment = parse_moment(value)
    return moment.astimezone(dt.UTC).isoformat() if moment else ""


@register.filter
def in_zone(figure):
    """A Plotly figure's times as wall-clock times in the reader's zone (apps.common.figures)."""
    return figure_in_zone(figure, timezone.get_current_timezone())


@register.simple_tag
def clock_zone():
    """The reader's zone as a JSON script element read by static/js/clock.js."""
    return json_script(timezone.get_current_timezone_name(), "clock-zone")
