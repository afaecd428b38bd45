"""Validation of an ingested weather forecast, row by row (pure: no Django).

Every problem is reported with its row number (1-based, in payload order) and field, and the
caller stores nothing unless the list of problems is empty.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

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


@dataclass(frozen=True)
class WeatherRow:
    valid_at: dt.datetime
    ghi_w_m2: float
    wind_speed_m_s: float
    temperature_c: float


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


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def validate_weather_rows(issued_at: dt.datetime, rows) -> tuple[list[WeatherRow], list[dict]]:
    """Check a weather forecast's rows.

    Rules: each row is an object with exactly ``valid_at`` (ISO 8601 with a UTC offset, on the
    quarter-hour), ``ghi_w_m2`` (0–1500), ``wind_speed_m_s`` (0–75) and ``temperature_c``
    (−60–60); ``valid_at`` lies from the issue's quarter-hour to 48 h after the issue and appears
    once; at most 193 rows.

    Parameters:
        issued_at: the forecast's issue time (tz-aware).
        rows: the payload's list of rows.

    Returns:
        (clean rows, problems); problems are ``{"row": n, "field": name, "message": text}``
        with ``row`` 1-based (0 for problems with the list itself).
    """
    problems: list[dict] = []
    if not isinstance(rows, list) or not rows:
        return [], [{"row": 0, "field": "rows", "message": "must be a non-empty list of rows."}]
    if len(rows) > MAX_ROWS:
        return [], [{"row": 0, "field": "rows",
                     "message": f"has {len(rows)} rows; a 48 h forecast at 15 minutes has at most {MAX_ROWS}."}]
    first = floor_to_step(issued_at)
    last = issued_at + dt.timedelta(hours=HORIZON_HOURS)
    seen: dict[dt.datetime, int] = {}
    clean: list[WeatherRow] = []
    for number, row in enumerate(rows, start=1):
        def bad(field: str, message: str) -> None:
            problems.append({"row": number, "field": field, "message": message})

        if not isinstance(row, dict):
            bad("", "must be an object with " + ", ".join(ROW_FIELDS) + ".")
            continue
        before = len(problems)
        for field in sorted(set(row) - set(ROW_FIELDS)):
            bad(field, "is not a known field.")
        valid_at = parse_datetime(row.get("valid_at"))
        if "valid_at" not in row or row.get("valid_at") in (None, ""):
            bad("valid_at", "is required.")
        elif valid_at is None:
            bad("valid_at", f"must be an ISO 8601 time with a UTC offset, e.g. 2026-03-02T10:15:00Z (got {row['valid_at']!r}).")
        elif valid_at.minute % STEP_MINUTES or valid_at.second or valid_at.microsecond:
            bad("valid_at", f"must be on the quarter-hour (got {valid_at.isoformat()}).")
        elif not first <= valid_at <= last:
            bad("valid_at", f"must be between {first.isoformat()} and {last.isoformat()} (the 48 h after issue).")
        elif valid_at in seen:
            bad("valid_at", f"repeats row {seen[valid_at]} ({valid_at.isoformat()}).")
        else:
            seen[valid_at] = number
        values = {}
        for field, (low, high, unit) in FIELDS.items():
            if field not in row or row[field] is None:
                bad(field, "is required.")
                continue
            value = _number(row[field])
            if value is None:
                bad(field, f"must be a finite number (got {row[field]!r}).")
            elif not low <= value <= high:
                bad(field, f"must be between {low:g} and {high:g} {unit} (got {value:g}).")
            else:
                values[field] = value
        if len(problems) == before:
            clean.append(WeatherRow(valid_at=valid_at, **values))
    return (clean if not problems else []), problems
