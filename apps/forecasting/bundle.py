"""The forecast bundle: what :func:`apps.forecasting.selectors.forecast_injections` returns."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

QUANTILES = ("p10", "p50", "p90")
ProfileKey = tuple[str, str]


@dataclass
class ForecastBundle:
    """Quantile forecasts of every injection of a network, in the engine's profile shape.

    Attributes:
        network_id: registry id of the network.
        issued_at: the forecast's data cut-off (leads are measured from it).
        start: first valid time (tz-aware, UTC).
        step_minutes: step length.
        valid_times: tz-aware (UTC) start of every step; the index of every DataFrame here.
        quantiles: ``"p10" | "p50" | "p90"`` -> dict keyed ``(element, column)`` -> DataFrame
            (rows = valid times, columns = pandapower indices): ``('load','p_mw')``,
            ``('load','q_mvar')`` (EV chargers included at their ``pp_index``),
            ``('sgen','p_mw')``, ``('storage','p_mw')``. Feed one to
            ``apps.grid.engine.profiles.injections_from_profiles``.
        availability: flexibility per step: ``ev_plugged_fraction``, ``ev_flex_up_mw``,
            ``ev_flex_down_mw`` (columns = EV charger load indices), ``battery_charge_mw``,
            ``battery_discharge_mw`` (columns = storage indices).
        totals: network totals, quantity -> DataFrame with columns p10/p50/p90 (MW):
            ``demand``, ``ev``, ``pv``, ``wind``, ``other_gen``, ``storage``, ``net_export``.
        weather: the zone's weather, variable -> DataFrame p10/p50/p90: ``ghi_w_m2``,
            ``wind_speed_m_s``, ``temperature_c``.
        inputs: JSON-serialisable summary: seed, horizon, weather source and issue, profile
            data set, element counts, model parameters — enough to store and reproduce it.
    """

    network_id: int
    issued_at: dt.datetime
    start: dt.datetime
    step_minutes: int
    valid_times: pd.DatetimeIndex
    quantiles: dict[str, dict[ProfileKey, pd.DataFrame]]
    availability: dict[str, pd.DataFrame]
    totals: dict[str, pd.DataFrame]
    weather: dict[str, pd.DataFrame]
    inputs: dict

    @property
    def steps(self) -> int:
        return len(self.valid_times)

    @property
    def lead_hours(self) -> np.ndarray:
        """Hours from issue to the start of each step (never negative)."""
        seconds = (self.valid_times - pd.Timestamp(self.issued_at)).total_seconds().to_numpy()
        return np.maximum(seconds / 3600.0, 0.0)

    def profiles(self, quantile: str = "p50") -> dict[ProfileKey, pd.DataFrame]:
        """Every element at the same quantile (a coherent, deliberately extreme scenario for p10/p90)."""
        if quantile not in self.quantiles:
            raise ValueError(f"quantile must be one of {QUANTILES}, not {quantile!r}.")
        return self.quantiles[quantile]

    def scenario(self, *, generation: str = "p50", demand: str = "p50") -> dict[ProfileKey, pd.DataFrame]:
        """Generation at one quantile and demand at another (storage schedules are known).

        ``scenario(generation="p90", demand="p10")`` bounds export constraints (reverse power
        flow, over-voltage); ``scenario(generation="p10", demand="p90")`` bounds import ones.
        """
        gen, dem = self.profiles(generation), self.profiles(demand)
        return {
            ("load", "p_mw"): dem[("load", "p_mw")],
            ("load", "q_mvar"): dem[("load", "q_mvar")],
            ("sgen", "p_mw"): gen[("sgen", "p_mw")],
            ("storage", "p_mw"): gen[("storage", "p_mw")],
        }
