"""The rules of an ingested weather forecast (pure: no Django): the row fields and their
ranges, the quarter-hour grid and the 48 h window after issue.

``apps.forecasting.api.WeatherRowSerializer`` applies them row by row, so that every bad row is
reported with its number, field and reason.
"""

from __future__ import annotations

import datetime as dt

from .physics import GHI_MAX_W_M2, WIND_MAX_M_S

HORIZON_HOURS = 48
STEP_MINUTES = 15
MAX_ROWS = HORIZON_HOURS * 60 // STEP_MINUTES + 1  # both ends of the 48 h window
FIELDS = {  # field -> (low, high, unit)
    "ghi_w_m2": (0.0, GHI_MAX_W_M2, "W/m²"),
    "wind_speed_m_s": (0.0, WIND_MAX_M_S, "m/s"),
    "temperature_c": (-60.0, 60.0, "°C"),
}
ROW_FIELDS = ("valid_at", *FIELDS)


def parse_datetime(value) -> dt.datetime | None:
    """A tz-aware datetime from a datetime or an ISO 8601 string; None if not parseable/naive."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None and parsed.utcoffset() is not None else None


def floor_to_step(moment: dt.datetime, minutes: int = STEP_MINUTES) -> dt.datetime:
    """Round a time down to the step grid."""
    return moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)


def on_step(moment: dt.datetime) -> bool:
    return not (moment.minute % STEP_MINUTES or moment.second or moment.microsecond)


def valid_window(issued_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """First and last ``valid_at`` an issue may carry: its quarter-hour to 48 h after it."""
    try:
        last = issued_at + dt.timedelta(hours=HORIZON_HOURS)
    except OverflowError:  # an issue at the end of the calendar (its issued_at is refused anyway)
        last = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return floor_to_step(issued_at), last
