"""Serializer fields for times that come from outside: an explicit UTC offset is required and the
time must lie in a window around now (so year 1, 2300 or 9999 never reaches the database or a
worker).

The window is ``[now - past, now + future]``. ``now`` is read at validation time from
:func:`reference_now`, which tests may patch; the defaults keep the past side wide (ten years), so
fixed historic dates in tests and replays stay valid for years, and the future side narrow.
"""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework import serializers


def reference_now() -> dt.datetime:
    """The 'now' that time windows are measured from (patch in tests to pin it)."""
    return timezone.now()


class WindowedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with a UTC offset, within ``past`` before and ``future`` after now."""

    default_error_messages = {
        "naive": "must carry a UTC offset, e.g. 2026-03-02T06:00:00Z.",
        "window": "must lie between {low} and {high} (UTC).",
    }

    def __init__(self, *, past: dt.timedelta, future: dt.timedelta, **kwargs):
        self.past, self.future = past, future
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                parsed = None  # the parent reports the format error
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        elif isinstance(value, dt.datetime) and timezone.is_naive(value):
            self.fail("naive")
        parsed = super().to_internal_value(value)
        now = reference_now()
        low, high = now - self.past, now + self.future
        if not low <= parsed <= high:
            self.fail("window", low=f"{low:%Y-%m-%d %H:%M}", high=f"{high:%Y-%m-%d %H:%M}")
        return parsed


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)
