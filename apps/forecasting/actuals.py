"""Where "what actually happened" comes from, for scoring forecasts.

The demo's actuals are the SimBench truth itself (the same world the field simulator replays).
A deployment with telemetry provides another class with the same ``totals`` method and names it
in the optional setting ``FORECASTING_ACTUALS_SOURCE`` (a dotted path); nothing else changes.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.module_loading import import_string

from apps.grid.models import Network

from .calc.provider import compute_truth, truth_totals
from .calc.timebase import make_horizon

DEFAULT_SOURCE = "apps.forecasting.actuals.SimbenchActuals"


class ActualsSource(Protocol):
    """A source of network-level actuals."""

    name: str

    def totals(self, *, network: Network, valid_times: pd.DatetimeIndex, step_minutes: int) -> dict[str, np.ndarray]:
        """Actual totals per quantity for steps starting at ``valid_times`` (tz-aware).

        Returns:
            quantity -> array aligned with ``valid_times``; NaN where unknown. Quantities not
            provided at all are simply left out (they are then not scored).
        """
        ...


def local_wall_clock(valid_times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Naive local times (the product's TIME_ZONE) used for SimBench mapping and behaviour."""
    zone = getattr(settings, "FORECASTING_TIME_ZONE", settings.TIME_ZONE)
    return valid_times.tz_convert(zone).tz_localize(None)


class SimbenchActuals:
    """The demo world's truth: SimBench profiles through the physical models, no error."""

    name = "simbench"

    def totals(self, *, network: Network, valid_times: pd.DatetimeIndex, step_minutes: int) -> dict[str, np.ndarray]:
        from .selectors import network_forecast_specs, profiles_for

        if len(valid_times) == 0:
            return {}
        profiles = profiles_for(network)
        specs, _ = network_forecast_specs(network=network, profiles=profiles)
        horizon = make_horizon(local_wall_clock(valid_times), np.zeros(len(valid_times)), step_minutes)
        return truth_totals(specs, compute_truth(specs, profiles, horizon))


def get_actuals_source() -> ActualsSource:
    """The configured actuals source (SimBench truth unless FORECASTING_ACTUALS_SOURCE says otherwise)."""
    return import_string(getattr(settings, "FORECASTING_ACTUALS_SOURCE", DEFAULT_SOURCE))()
