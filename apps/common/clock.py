"""One time base for everything a person reads: the operator's time zone, 24-hour, with the date
when it is not today. The same rule is written once more in JavaScript (static/js/clock.js) for
times that change in the browser; tests hold the two to the same strings.

Pure functions (no Django): the zone is passed in; the request's zone is activated by
``apps.accounts.middleware.UserTimeZoneMiddleware`` and read by the ``clock`` template filter.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_ZONE = "Europe/London"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone_valid(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows (e.g. 'Europe/London')."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in available_timezones() or name == "UTC"


def parse_moment(value: dt.datetime | str | None) -> dt.datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string ('Z' allowed); naive = UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def clock_text(value: dt.datetime | str | None, *, zone: dt.tzinfo, now: dt.datetime, seconds: bool = False) -> str:
    """A moment as the room reads it, in ``zone``: '14:05' today, '12 Aug 14:05' on another day.

    Parameters
    ----------
    value: the moment (aware datetime or ISO string; naive is taken as UTC).
    zone: the reader's time zone.
    now: the current moment (decides whether the date is shown).
    seconds: add ':SS' (for solve times of a few seconds' resolution).

    Returns
    -------
    The text, or '' when ``value`` is empty or not a time.
    """
    moment = parse_moment(value)
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    text = f"{local.hour:02d}:{local.minute:02d}" + (f":{local.second:02d}" if seconds else "")
    if local.date() == now.astimezone(zone).date():
        return text
    return f"{local.day} {MONTHS[local.month - 1]} {text}"


def wall_clock_iso(value: str, *, zone: dt.tzinfo) -> str:
    """An ISO time as the naive wall-clock time in ``zone`` ('2026-03-29T02:30:00'): what a
    Plotly date axis, which knows no zones, should draw and hover. Non-times pass unchanged."""
    moment = parse_moment(value) if isinstance(value, str) and "T" in value else None
    if moment is None:
        return value
    return moment.astimezone(zone).replace(tzinfo=None).isoformat()
