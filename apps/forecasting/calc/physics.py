"""Physical models of PV, wind and EV charging, their inverses, and a synthetic temperature.

All functions are vectorised over numpy arrays and work per unit of rating, so one evaluation
serves every asset that shares a weather series. The inverses are used by the demo provider to
turn SimBench power profiles into "true" weather, so that each forward model reproduces the
SimBench truth exactly from perfect weather.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GHI_MAX_W_M2 = 1500.0  # above the solar constant: cloud enhancement can briefly exceed 1361 W/m²
WIND_MAX_M_S = 75.0


# --- PV ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PVParameters:
    """A PVWatts-style PV model with a constant transposition factor.

    Attributes:
        transposition_factor: plane-of-array / global horizontal irradiance. The registry holds
            no orientation, so every system is taken as south-facing at 30° tilt near 51° N,
            whose annual mean POA/GHI ratio is about 1.10.
        system_losses: DC losses (soiling, wiring, mismatch, ageing): PVWatts' default 14 %.
        inverter_efficiency: constant inverter efficiency.
        dc_ac_ratio: kWp / inverter AC rating when the registry gives no smaller ``sn_mva``.
        gamma_per_c: power temperature coefficient of crystalline silicon.
        noct_c: nominal operating cell temperature (cell temperature at 800 W/m², 20 °C air).
    """

    transposition_factor: float = 1.10
    system_losses: float = 0.14
    inverter_efficiency: float = 0.96
    dc_ac_ratio: float = 1.10
    gamma_per_c: float = -0.004
    noct_c: float = 45.0

    @property
    def cell_heating(self) -> float:
        """Cell temperature rise per W/m² of plane-of-array irradiance (NOCT model)."""
        return (self.noct_c - 20.0) / 800.0

    @property
    def default_inverter_limit(self) -> float:
        """AC limit per unit of kWp when the registry gives none."""
        return 1.0 / self.dc_ac_ratio


DEFAULT_PV = PVParameters()


def pv_power_rel(ghi_w_m2, temperature_c, *, inverter_limit_rel=None,
                 params: PVParameters = DEFAULT_PV) -> np.ndarray:
    """AC output of a PV system per unit of its kWp.

    Parameters:
        ghi_w_m2: global horizontal irradiance (W/m²), any shape.
        temperature_c: air temperature (°C), broadcastable to ``ghi_w_m2``.
        inverter_limit_rel: AC limit per unit of kWp (broadcastable); default
            ``1 / params.dc_ac_ratio``.
        params: model parameters.

    Returns:
        AC power / kWp, in [0, inverter limit].
    """
    g_poa = np.maximum(np.asarray(ghi_w_m2, dtype=float), 0.0) * params.transposition_factor
    t_cell = np.asarray(temperature_c, dtype=float) + params.cell_heating * g_poa
    p_dc = g_poa / 1000.0 * (1.0 + params.gamma_per_c * (t_cell - 25.0)) * (1.0 - params.system_losses)
    p_ac = np.maximum(p_dc * params.inverter_efficiency, 0.0)
    limit = params.default_inverter_limit if inverter_limit_rel is None else inverter_limit_rel
    return np.minimum(p_ac, limit)


def pv_ghi_from_power_rel(p_ac_rel, temperature_c, *, params: PVParameters = DEFAULT_PV) -> np.ndarray:
    """Invert :func:`pv_power_rel` (below the inverter limit): the GHI that yields a given output.

    With ``k = (1 - losses) / 1000`` and ``c`` the cell heating, the DC power is
    ``k·G·(1 + γ(T + c·G − 25))``, a quadratic ``A·G² + B·G − P = 0`` in the plane-of-array
    irradiance ``G``; the physical root is ``G = 2P / (B + sqrt(B² + 4AP))`` (stable for A < 0).

    Parameters:
        p_ac_rel: AC power per unit of kWp (values ≤ 0 give 0 W/m²).
        temperature_c: air temperature (°C), broadcastable.
        params: model parameters.

    Returns:
        GHI (W/m²), clipped to [0, GHI_MAX_W_M2].
    """
    p_dc = np.maximum(np.asarray(p_ac_rel, dtype=float), 0.0) / params.inverter_efficiency
    k = (1.0 - params.system_losses) / 1000.0
    a = k * params.gamma_per_c * params.cell_heating
    b = k * (1.0 + params.gamma_per_c * (np.asarray(temperature_c, dtype=float) - 25.0))
    disc = np.maximum(b * b + 4.0 * a * p_dc, 0.0)  # negative only beyond the curve's maximum
    g_poa = 2.0 * p_dc / (b + np.sqrt(disc))
    return np.clip(g_poa / params.transposition_factor, 0.0, GHI_MAX_W_M2)


# --- wind ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WindParameters:
    """A generic turbine power curve: zero below cut-in, cubic up to rated, flat to cut-out.

    Attributes:
        cut_in_m_s / rated_m_s / cut_out_m_s: the curve's corner speeds at hub height.
        calm_m_s: speed assigned to zero output when inverting: any speed below cut-in fits, so
            take the middle of 0–3 m/s (closer to cut-in, forecast errors would too often lift a
            calm above cut-in and bias the P50 up; lower, they never would).
    """

    cut_in_m_s: float = 3.0
    rated_m_s: float = 12.0
    cut_out_m_s: float = 25.0
    calm_m_s: float = 1.5


DEFAULT_WIND = WindParameters()


def wind_power_rel(speed_m_s, *, params: WindParameters = DEFAULT_WIND) -> np.ndarray:
    """Turbine output per unit of rating at a hub-height wind speed.

    Parameters:
        speed_m_s: wind speed (m/s), any shape.
        params: power-curve parameters.

    Returns:
        0 below cut-in and at/after cut-out; ``(v³ − v_ci³)/(v_r³ − v_ci³)`` between cut-in and
        rated; 1 from rated up to cut-out.
    """
    v = np.asarray(speed_m_s, dtype=float)
    ci, r, co = params.cut_in_m_s, params.rated_m_s, params.cut_out_m_s
    ramp = (v**3 - ci**3) / (r**3 - ci**3)
    out = np.where(v < ci, 0.0, np.where(v < r, ramp, np.where(v < co, 1.0, 0.0)))
    return np.clip(out, 0.0, 1.0)


def wind_speed_from_power_rel(p_rel, *, params: WindParameters = DEFAULT_WIND) -> np.ndarray:
    """Invert the power curve on its rising part: the hub-height speed for an output.

    Parameters:
        p_rel: output per unit of rating.
        params: power-curve parameters.

    Returns:
        ``calm_m_s`` for zero output, the rated speed for full output, the cube-root inverse
        in between (never the storm branch above cut-out).
    """
    p = np.clip(np.asarray(p_rel, dtype=float), 0.0, 1.0)
    ci, r = params.cut_in_m_s, params.rated_m_s
    speed = np.cbrt(ci**3 + p * (r**3 - ci**3))
    return np.where(p <= 0.0, params.calm_m_s, np.where(p >= 1.0, r, speed))


# --- EV charging ---------------------------------------------------------------------------

# (hour of day, fraction of EVs plugged in at home); linear in between.
# Weekdays: high overnight, the morning commute drains it 07:00-09:00, low through the working
# day, back in the evening. Weekends: later, shallower dip.
EV_PLUGGED_WEEKDAY = ((0.0, 0.90), (7.0, 0.90), (9.0, 0.25), (16.0, 0.25), (19.0, 0.80), (22.0, 0.90), (24.0, 0.90))
EV_PLUGGED_WEEKEND = ((0.0, 0.90), (8.0, 0.90), (11.0, 0.55), (16.0, 0.55), (19.0, 0.80), (22.0, 0.90), (24.0, 0.90))
# Share of plugged-in EVs drawing power (unmanaged charging: most start on arrival home).
EV_CHARGING_SHARE = ((0.0, 0.15), (4.0, 0.05), (7.0, 0.05), (9.0, 0.10), (16.0, 0.10), (18.5, 0.45), (21.0, 0.35), (24.0, 0.15))


def _interp_day(hour, table) -> np.ndarray:
    hours, values = zip(*table)
    return np.interp(np.asarray(hour, dtype=float) % 24.0, hours, values)


def ev_plugged_fraction(hour_of_day, is_weekend) -> np.ndarray:
    """Fraction of a charger's EVs plugged in at a local time of day.

    Parameters:
        hour_of_day: local time as fractional hours (e.g. 7.5 for 07:30).
        is_weekend: True on Saturdays and Sundays (broadcastable).

    Returns:
        Fraction in [0, 1].
    """
    return np.where(is_weekend, _interp_day(hour_of_day, EV_PLUGGED_WEEKEND),
                    _interp_day(hour_of_day, EV_PLUGGED_WEEKDAY))


def ev_charging_share(hour_of_day) -> np.ndarray:
    """Share of plugged-in EVs that are charging (drawing full charger power) at a local time.

    Parameters:
        hour_of_day: local time as fractional hours.

    Returns:
        Share in [0, 1]; expected charging power = rating × plugged fraction × share.
    """
    return _interp_day(hour_of_day, EV_CHARGING_SHARE)


# --- temperature ---------------------------------------------------------------------------

def temperature_truth(day_of_year, hour_of_day) -> np.ndarray:
    """Synthetic air temperature for the SimBench year (SimBench has none).

    ``9.5 + 9·cos(2π(doy − 200)/366) + 4·cos(2π(hour − 15)/24)`` °C: daily means from about
    0.5 °C in mid-January to 18.5 °C in mid-July, warmest at 15:00.

    Parameters:
        day_of_year: 0-based day of the (leap) SimBench year.
        hour_of_day: fractional hours.

    Returns:
        Temperature (°C).
    """
    doy = np.asarray(day_of_year, dtype=float)
    hour = np.asarray(hour_of_day, dtype=float)
    return 9.5 + 9.0 * np.cos(2 * np.pi * (doy - 200.0) / 366.0) + 4.0 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
