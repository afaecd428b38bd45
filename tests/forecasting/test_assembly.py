"""The pure assembly of a forecast (no database): request checks, ingested weather placed on the
horizon's steps, and where the weather came from."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from apps.forecasting.calc.assembly import (
    ForecastInputError,
    aware_utc,
    check_horizon,
    lead_hours,
    place_weather,
    weather_source,
)

UTC = dt.timezone.utc
START = dt.datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


def test_weather_rows_land_on_their_steps_and_off_grid_rows_are_skipped():
    hourly = pd.date_range(START, periods=4, freq="60min")
    rows = [(START + dt.timedelta(hours=1), 500.0, 7.0, 18.0),
            (START + dt.timedelta(hours=2, minutes=15), 999.0, 9.0, 9.0)]  # not an hour start
    weather = place_weather(rows, hourly, 60)
    assert weather.provided.tolist() == [False, True, False, False]
    assert (weather.ghi_w_m2[1], weather.wind_speed_m_s[1], weather.temperature_c[1]) == (500.0, 7.0, 18.0)
    assert not place_weather([], hourly, 60).provided.any()


@pytest.mark.parametrize("from_ingest, source", [(0, "simbench-demo"), (3, "ingest+simbench-demo"), (8, "ingest")])
def test_weather_source_says_how_much_was_ingested(from_ingest, source):
    assert weather_source(from_ingest, 8) == source


@pytest.mark.parametrize("steps, step_minutes, message", [
    (0, 15, "steps"), (1.5, 15, "steps"), (4, 20, "multiple of 15"), (24 * 8, 60, "horizon"),
])
def test_bad_horizons_are_refused(steps, step_minutes, message):
    with pytest.raises(ForecastInputError, match=message):
        check_horizon(steps, step_minutes)


def test_times_must_be_aware_and_leads_start_at_the_issue():
    with pytest.raises(ForecastInputError, match="start must be timezone-aware"):
        aware_utc(dt.datetime(2026, 6, 15, 4, 0), "start")
    assert aware_utc(START.astimezone(dt.timezone(dt.timedelta(hours=2))), "start") == START
    times = pd.date_range(START, periods=3, freq="60min")
    assert lead_hours(times, START + dt.timedelta(hours=1)).tolist() == [0.0, 0.0, 1.0]
    assert np.all(lead_hours(times, START) == [0.0, 1.0, 2.0])
