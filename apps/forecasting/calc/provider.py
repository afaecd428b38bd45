"""The vectorised forecast builder: element specs + relative profiles + weather -> quantiles.

Everything here is numpy over (steps × elements) arrays; one call for the 5,500-bus demo
network (≈7,000 loads, ≈950 PV, ≈630 batteries) is a few dozen array operations.

Truth (what the demo world will actually do) comes from SimBench: loads and batteries follow
their profiles; PV and wind follow their profiles *through* the physical models, by way of the
weather obtained by inverting those models, so that the models reproduce the profiles from
perfect weather. Forecasts perturb that truth with the error model of :mod:`.errors`, or take
the weather from an ingested forecast where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scipy.ndimage import maximum_filter1d

from . import errors as em
from .battery import MODE_SCHEDULE, MODE_SELF_CONSUMPTION, BatteryRun, simulate_batteries
from .ev import ev_on_probability, ev_truth, on_off_quantile
from .physics import (
    DEFAULT_PV,
    DEFAULT_WIND,
    GHI_MAX_W_M2,
    WIND_MAX_M_S,
    PVParameters,
    WindParameters,
    ev_plugged_fraction,
    pv_ghi_from_power_rel,
    pv_power_rel,
    temperature_truth,
    wind_power_rel,
    wind_speed_from_power_rel,
)
from .simbench_profiles import RelativeProfiles
from .timebase import Horizon, warmup_horizon

QUANTILE_NAMES = tuple(em.QUANTILES)  # ("p10", "p50", "p90")
KIND_PV, KIND_WIND, KIND_OTHER = 0, 1, 2
EV_QUANTILE_LEVELS = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
POWER_QUANTITIES = ("demand", "ev", "pv", "wind", "other_gen", "storage", "net_export")
WEATHER_VARIABLES = ("ghi_w_m2", "wind_speed_m_s", "temperature_c")
BATTERY_DEFAULT_SOC = 0.5
BATTERY_DEFAULT_HOURS = 2.0  # energy / power when the registry has no capacity
BATTERY_DEFAULT_EFFICIENCY = 0.95  # one-way, SimBench's value for its home batteries
BATTERY_WARMUP_HOURS = 24  # an unknown state of charge is found by running the day before from the reserve
CLEAR_SKY_WINDOW_DAYS = 31  # the demo's clear sky: the clearest of ±15 days at that time of day
CLEAR_SKY_INDEX_MAX = 1.0  # no forecast quantile above clear sky


@dataclass
class LoadSpecs:
    """Loads (and non-EV load-type DER). Arrays of length n; ``col_*`` = -1 when no profile."""

    pp_index: np.ndarray
    p_mw: np.ndarray
    q_mvar: np.ndarray
    col_p: np.ndarray
    col_q: np.ndarray
    in_service: np.ndarray
    premise: np.ndarray | None = None  # premise group per load (−1: none); see StorageSpecs


@dataclass
class SgenSpecs:
    """Static generators. ``kind`` is KIND_PV / KIND_WIND / KIND_OTHER; ``inverter_mw`` NaN when
    unknown; ``rated_mw`` is kWp for PV; ``p_mw`` the set-point (used without a profile)."""

    pp_index: np.ndarray
    kind: np.ndarray
    rated_mw: np.ndarray
    inverter_mw: np.ndarray
    p_mw: np.ndarray
    col: np.ndarray
    in_service: np.ndarray
    premise: np.ndarray | None = None  # premise group per generator (−1: none); see StorageSpecs


@dataclass
class StorageSpecs:
    """Batteries; ``soc`` is a fraction (NaN when unknown), ``p_mw`` the set-point that, times the
    profile (column ``col``), is the aggregator's schedule in schedule mode (+ = charging).

    ``mode`` is a ``battery.MODE_*`` per battery (None: schedule mode for all). ``efficiency``
    one-way per unit (NaN: 0.95); ``reserve`` the fraction of capacity kept back (NaN: from
    ``min_e_mwh``). ``premise`` numbers the battery's premise: a self-consumption battery works
    against the PV and loads with the same number (the selectors use the registry premise, else
    the bus)."""

    pp_index: np.ndarray
    p_mw: np.ndarray
    rated_mw: np.ndarray
    capacity_mwh: np.ndarray
    min_e_mwh: np.ndarray
    soc: np.ndarray
    col: np.ndarray
    in_service: np.ndarray
    mode: np.ndarray | None = None
    efficiency: np.ndarray | None = None
    reserve: np.ndarray | None = None
    premise: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.pp_index)

    @property
    def capacity(self) -> np.ndarray:
        """MWh; 2 h × rating when the registry has none."""
        c = self.capacity_mwh
        return np.where(np.isfinite(c) & (c > 0), c, self.rated_mw * BATTERY_DEFAULT_HOURS)

    @property
    def eta(self) -> np.ndarray:
        e = np.full(len(self), np.nan) if self.efficiency is None else self.efficiency
        return np.where(np.isfinite(e) & (e > 0), np.minimum(e, 1.0), BATTERY_DEFAULT_EFFICIENCY)

    @property
    def reserve_mwh(self) -> np.ndarray:
        r = np.full(len(self), np.nan) if self.reserve is None else self.reserve
        floor = np.where(np.isfinite(self.min_e_mwh), self.min_e_mwh, 0.0)
        return np.minimum(np.where(np.isfinite(r), r * self.capacity, floor), self.capacity)

    @property
    def modes(self) -> np.ndarray:
        return np.full(len(self), MODE_SCHEDULE) if self.mode is None else self.mode


@dataclass
class EVSpecs:
    """EV chargers (pandapower loads)."""

    pp_index: np.ndarray
    rated_mw: np.ndarray
    in_service: np.ndarray


@dataclass
class NetworkSpecs:
    """Everything the builder needs about one network. ``ref_pv_col`` / ``ref_wind_col`` are the
    profile columns standing for the weather zone (used for assets without a profile and for
    the zone's weather series)."""

    loads: LoadSpecs
    sgens: SgenSpecs
    storages: StorageSpecs
    evs: EVSpecs
    ref_pv_col: int
    ref_wind_col: int


@dataclass
class ZoneWeather:
    """Ingested zone weather per step; NaN where the provider gave nothing."""

    ghi_w_m2: np.ndarray
    wind_speed_m_s: np.ndarray
    temperature_c: np.ndarray

    @classmethod
    def empty(cls, steps: int) -> "ZoneWeather":
        nan = np.full(steps, np.nan)
        return cls(nan, nan.copy(), nan.copy())

    @property
    def provided(self) -> np.ndarray:
        """(T,) True where the step has ingested weather (all three variables)."""
        return ~(np.isnan(self.ghi_w_m2) | np.isnan(self.wind_speed_m_s) | np.isnan(self.temperature_c))


@dataclass
class Truth:
    """What the demo world does (no forecast error)."""

    load_p: np.ndarray
    load_q: np.ndarray
    sgen_p: np.ndarray
    storage_p: np.ndarray  # the batteries' own operation (+ = charging)
    ev_p: np.ndarray
    ev_plugged: np.ndarray
    temperature_c: np.ndarray
    ghi_by_col: np.ndarray
    wind_by_col: np.ndarray
    pv_cols: np.ndarray
    wind_cols: np.ndarray
    pv_asset_pos: np.ndarray
    wind_asset_pos: np.ndarray
    ref_pv_pos: int
    ref_wind_pos: int
    clear_sky_by_col: np.ndarray | None = None  # GHI of the clear sky per PV profile (T, k)
    storage_schedule: np.ndarray | None = None  # profile × set-point (schedule mode)
    storage_soc: np.ndarray | None = None  # MWh at the end of each step
    battery_e0: np.ndarray | None = None  # MWh at the start of the horizon


@dataclass
class ForecastArrays:
    """Quantile forecasts as arrays (steps × elements, in spec order)."""

    load_p: dict[str, np.ndarray]
    load_q: dict[str, np.ndarray]
    ev_p: dict[str, np.ndarray]
    sgen_p: dict[str, np.ndarray]
    storage_p: dict[str, np.ndarray]
    availability: dict[str, np.ndarray]
    totals: dict[str, dict[str, np.ndarray]]
    weather: dict[str, dict[str, np.ndarray]]
    ingested_steps: int = 0
    truth: Truth | None = field(default=None, repr=False)


# --- helpers -------------------------------------------------------------------------------

def _gather(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, fill: float = 1.0) -> np.ndarray:
    """(T, k) step means of profile columns ``cols`` (−1 -> ``fill``) over SimBench ``rows`` (T, m)."""
    steps, per_step = rows.shape
    out = np.full((steps, len(cols)), fill, dtype=float)
    have = cols >= 0
    if have.any():
        unique, inverse = np.unique(cols[have], return_inverse=True)
        block = values[np.ix_(rows.ravel(), unique)].astype(float)
        block = block.reshape(steps, per_step, len(unique)).mean(axis=1)
        out[:, have] = block[:, inverse]
    return out


def _resolve(cols: np.ndarray, fallback: int) -> np.ndarray:
    return np.where(cols >= 0, cols, fallback)


def pv_inverter_limit_rel(rated_mw: np.ndarray, inverter_mw: np.ndarray,
                          params: PVParameters = DEFAULT_PV) -> np.ndarray:
    """AC limit per kWp: the registry's ``sn_mva`` when smaller than kWp/dc_ac_ratio, else the
    default DC/AC ratio."""
    default = params.default_inverter_limit
    with np.errstate(divide="ignore", invalid="ignore"):
        from_registry = np.where(np.isfinite(inverter_mw) & (rated_mw > 0), inverter_mw / rated_mw, np.inf)
    return np.minimum(default, from_registry)


def clear_sky_rel(profiles: RelativeProfiles, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The demo world's clear sky as relative PV output: per profile column, the highest value
    at the same time of day within ±15 days (the clearest nearby day), averaged over ``rows``.

    Parameters:
        profiles: SimBench relative profiles.
        rows: (T, m) SimBench rows of each step.
        cols: PV profile columns.

    Returns:
        (T, len(cols)) relative output under clear sky.
    """
    year = profiles.values["sgen"][:, cols].astype(float)
    per_day = year.shape[0] // 96
    envelope = maximum_filter1d(year[: per_day * 96].reshape(per_day, 96, len(cols)), size=CLEAR_SKY_WINDOW_DAYS,
                                axis=0, mode="wrap").reshape(per_day * 96, len(cols))
    steps, per_step = rows.shape
    return envelope[np.minimum(rows.ravel(), per_day * 96 - 1)].reshape(steps, per_step, len(cols)).mean(axis=1)


def _premise_sums(values: np.ndarray, groups: np.ndarray | None, mask: np.ndarray, n_groups: int) -> np.ndarray:
    """(T, n_groups) sums of the masked columns of ``values`` per premise group (−1: none)."""
    out = np.zeros((values.shape[0], n_groups))
    if groups is None or n_groups == 0:
        return out
    idx = np.flatnonzero(mask & (groups >= 0))
    if not len(idx):
        return out
    idx = idx[np.argsort(groups[idx], kind="stable")]
    g = groups[idx]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    out[:, g[starts]] = np.add.reduceat(values[:, idx], starts, axis=1)
    return out


def premise_surplus(specs: NetworkSpecs, load_p: np.ndarray, pv_p: np.ndarray) -> np.ndarray:
    """(T, n batteries) PV minus demand of each battery's premise (in-service elements; EV
    chargers excluded: home systems do not discharge into a car)."""
    stor = specs.storages
    steps = load_p.shape[0]
    if stor.premise is None or not len(stor):
        return np.zeros((steps, len(stor)))
    n_groups = int(stor.premise.max(initial=-1)) + 1  # only premises holding a battery are numbered
    is_pv = (specs.sgens.kind == KIND_PV) & specs.sgens.in_service
    surplus = (_premise_sums(pv_p, specs.sgens.premise, is_pv, n_groups)
               - _premise_sums(load_p, specs.loads.premise, specs.loads.in_service, n_groups))
    return np.where(stor.premise >= 0, surplus[:, np.maximum(stor.premise, 0)], 0.0)


def run_batteries(specs: NetworkSpecs, horizon: Horizon, load_p: np.ndarray, sgen_p: np.ndarray | list,
                  schedule: np.ndarray, e0: np.ndarray) -> BatteryRun | list[BatteryRun]:
    """Each battery's own operation over the horizon given its premise's PV and demand.
    ``sgen_p`` may be a list of PV scenarios (one run each, integrated together)."""
    stor = specs.storages
    many = isinstance(sgen_p, list)
    scenarios = sgen_p if many else [sgen_p]
    modes = stor.modes
    n = len(stor)
    k = len(scenarios)
    desired = np.hstack([np.where(modes == MODE_SELF_CONSUMPTION, premise_surplus(specs, load_p, p), schedule)
                         for p in scenarios])
    run = simulate_batteries(desired_mw=desired, mode=np.tile(modes, k), e0_mwh=np.tile(e0, k),
                             capacity_mwh=np.tile(stor.capacity, k), reserve_mwh=np.tile(stor.reserve_mwh, k),
                             rated_mw=np.tile(stor.rated_mw, k), efficiency=np.tile(stor.eta, k),
                             step_hours=horizon.step_hours)
    if not many:
        return run
    return [BatteryRun(*(getattr(run, f)[:, i * n:(i + 1) * n] for f in ("p_mw", "soc_mwh", "charge_mw", "discharge_mw")))
            for i in range(k)]


def battery_start(specs: NetworkSpecs, profiles: RelativeProfiles, horizon: Horizon, *,
                  pv: PVParameters = DEFAULT_PV, wind: WindParameters = DEFAULT_WIND) -> np.ndarray:
    """Stored energy (MWh) at the start of the horizon: the registry's state of charge where it
    is known (> 0: SimBench imports carry 0 as a placeholder); for self-consumption batteries
    without one, the day before is run from the reserve (so a sunny yesterday leaves energy for
    the evening); otherwise half full."""
    stor = specs.storages
    capacity = stor.capacity
    known = np.isfinite(stor.soc) & (stor.soc > 0)
    e0 = np.where(known, stor.soc * capacity, BATTERY_DEFAULT_SOC * capacity)
    need = ~known & (stor.modes == MODE_SELF_CONSUMPTION)
    if need.any():
        warm = warmup_horizon(horizon, BATTERY_WARMUP_HOURS)
        before = compute_truth(specs, profiles, warm, pv=pv, wind=wind, battery_e0=stor.reserve_mwh)
        e0 = np.where(need, before.storage_soc[-1], e0)
    return e0


# --- truth ---------------------------------------------------------------------------------

def compute_truth(specs: NetworkSpecs, profiles: RelativeProfiles, horizon: Horizon, *,
                  pv: PVParameters = DEFAULT_PV, wind: WindParameters = DEFAULT_WIND,
                  battery_e0: np.ndarray | None = None) -> Truth:
    """What the demo world does over the horizon (SimBench through the physical models).

    Parameters:
        specs: the network's elements.
        profiles: SimBench relative profiles.
        horizon: the steps.
        pv / wind: model parameters.
        battery_e0: stored energy at the start (default :func:`battery_start`).

    Returns:
        :class:`Truth` (batteries run by their operating mode on the true PV and demand).
    """
    rows = horizon.simbench_rows
    loads, sgens, stor, evs = specs.loads, specs.sgens, specs.storages, specs.evs
    load_p = _gather(profiles.values["load"], rows, loads.col_p) * loads.p_mw
    load_q = _gather(profiles.values["load"], rows, loads.col_q) * loads.q_mvar
    temperature = temperature_truth(horizon.day_of_year, horizon.hour_of_day)

    # Weather per distinct PV / wind profile (the zone reference column included).
    is_pv, is_wind = sgens.kind == KIND_PV, sgens.kind == KIND_WIND
    pv_asset_cols = _resolve(sgens.col[is_pv], specs.ref_pv_col)
    wind_asset_cols = _resolve(sgens.col[is_wind], specs.ref_wind_col)
    pv_cols, pv_pos = np.unique(np.append(pv_asset_cols, specs.ref_pv_col), return_inverse=True)
    wind_cols, wind_pos = np.unique(np.append(wind_asset_cols, specs.ref_wind_col), return_inverse=True)
    pv_rel = _gather(profiles.values["sgen"], rows, pv_cols, fill=0.0)
    wind_rel = _gather(profiles.values["sgen"], rows, wind_cols, fill=0.0)
    ghi_by_col = pv_ghi_from_power_rel(pv_rel, temperature[:, None], params=pv)
    clear_rel = clear_sky_rel(profiles, rows, pv_cols) if len(pv_cols) else np.zeros_like(pv_rel)
    clear_sky = np.maximum(pv_ghi_from_power_rel(clear_rel, temperature[:, None], params=pv), ghi_by_col)
    wind_by_col = wind_speed_from_power_rel(wind_rel, params=wind)

    sgen_p = np.zeros((horizon.steps, len(sgens.pp_index)))
    limit = pv_inverter_limit_rel(sgens.rated_mw[is_pv], sgens.inverter_mw[is_pv], pv)
    sgen_p[:, is_pv] = sgens.rated_mw[is_pv] * pv_power_rel(
        ghi_by_col[:, pv_pos[:-1]], temperature[:, None], inverter_limit_rel=limit, params=pv)
    sgen_p[:, is_wind] = sgens.rated_mw[is_wind] * wind_power_rel(wind_by_col[:, wind_pos[:-1]], params=wind)
    other = sgens.kind == KIND_OTHER
    # With a profile: profile × rating; without: the registry set-point.
    sgen_p[:, other] = np.where(sgens.col[other] >= 0,
                                _gather(profiles.values["sgen"], rows, sgens.col[other]) * sgens.rated_mw[other],
                                sgens.p_mw[other])

    schedule = _gather(profiles.values["storage"], rows, stor.col) * stor.p_mw
    if battery_e0 is None:
        battery_e0 = battery_start(specs, profiles, horizon, pv=pv, wind=wind)
    run = run_batteries(specs, horizon, load_p, sgen_p, schedule, battery_e0)
    plugged = ev_plugged_fraction(horizon.hour_of_day, horizon.is_weekend)
    # Smart-charging sessions (GB defaults): each charger draws nothing or its full rating.
    ev_p = ev_truth(evs.pp_index, evs.rated_mw, horizon.day_of_year, horizon.hour_of_day, horizon.step_hours)
    return Truth(
        load_p=load_p, load_q=load_q, sgen_p=sgen_p, storage_p=run.p_mw, ev_p=ev_p, ev_plugged=plugged,
        temperature_c=temperature, ghi_by_col=ghi_by_col, wind_by_col=wind_by_col, pv_cols=pv_cols,
        wind_cols=wind_cols, pv_asset_pos=pv_pos[:-1], wind_asset_pos=wind_pos[:-1],
        ref_pv_pos=int(pv_pos[-1]), ref_wind_pos=int(wind_pos[-1]), clear_sky_by_col=clear_sky,
        storage_schedule=schedule, storage_soc=run.soc_mwh, battery_e0=battery_e0,
    )


def truth_totals(specs: NetworkSpecs, truth: Truth) -> dict[str, np.ndarray]:
    """Network totals of the truth (the demo's "actuals"), same quantities as the forecasts.

    Parameters:
        specs: the network's elements (in-service flags decide what counts).
        truth: from :func:`compute_truth`.

    Returns:
        quantity -> (T,) MW, plus the zone weather variables.
    """
    kinds = specs.sgens.kind
    on = specs.sgens.in_service
    out = {
        "demand": truth.load_p[:, specs.loads.in_service].sum(axis=1),
        "ev": truth.ev_p[:, specs.evs.in_service].sum(axis=1),
        "pv": truth.sgen_p[:, on & (kinds == KIND_PV)].sum(axis=1),
        "wind": truth.sgen_p[:, on & (kinds == KIND_WIND)].sum(axis=1),
        "other_gen": truth.sgen_p[:, on & (kinds == KIND_OTHER)].sum(axis=1),
        "storage": truth.storage_p[:, specs.storages.in_service].sum(axis=1),
    }
    out["net_export"] = out["pv"] + out["wind"] + out["other_gen"] - out["demand"] - out["ev"] - out["storage"]
    out["ghi_w_m2"] = truth.ghi_by_col[:, truth.ref_pv_pos]
    out["wind_speed_m_s"] = truth.wind_by_col[:, truth.ref_wind_pos]
    out["temperature_c"] = truth.temperature_c
    return out


# --- forecast ------------------------------------------------------------------------------

def _override(values: np.ndarray, ingested: np.ndarray) -> np.ndarray:
    """Replace rows (steps) where the ingested zone value exists, for every column."""
    have = ~np.isnan(ingested)
    if not have.any():
        return values
    out = values.copy()
    out[have] = ingested[have][:, None] if out.ndim == 2 else ingested[have]
    return out


def build_forecast(specs: NetworkSpecs, profiles: RelativeProfiles, horizon: Horizon, *, seed: int,
                   weather: ZoneWeather | None = None, pv: PVParameters = DEFAULT_PV,
                   wind: WindParameters = DEFAULT_WIND, keep_truth: bool = False) -> ForecastArrays:
    """Quantile forecasts of every injection, availability for flexibility, and totals.

    Parameters:
        specs: the network's elements.
        profiles: SimBench relative profiles (the demo truth).
        horizon: the steps (lead times, SimBench rows, local calendar).
        seed: seed of the error paths (see :func:`.errors.derive_seed`).
        weather: ingested zone weather; its steps replace the demo provider's weather.
        pv / wind: model parameters.
        keep_truth: attach the truth (tests and diagnostics).

    Returns:
        :class:`ForecastArrays`.
    """
    steps = horizon.steps
    weather = weather or ZoneWeather.empty(steps)
    truth = compute_truth(specs, profiles, horizon, pv=pv, wind=wind)
    rng = em.streams(seed)
    lead = horizon.lead_hours
    sig = {name: spec.sigma(lead)[:, None] for name, spec in em.ERRORS.items()}  # (T, 1) each

    def path(name: str, n: int = 1) -> np.ndarray:
        return em.ar1_paths(rng[name], steps, n, step_minutes=horizon.step_minutes)

    # Weather: P50 = truth + realised error (or the ingested value); quantiles around the P50.
    temp50 = _override(truth.temperature_c + sig["temperature"][:, 0] * path("temperature")[:, 0],
                       weather.temperature_c)
    # Irradiance errors live on the clear-sky index k = GHI / GHI_clear (0 at night): k cannot
    # exceed clear sky, so a clear day can only be forecast worse, never brighter.
    clear = truth.clear_sky_by_col
    with np.errstate(divide="ignore", invalid="ignore"):
        k_truth = np.where(clear > 0, truth.ghi_by_col / clear, 0.0)
    k50 = np.clip(k_truth + sig["ghi"] * path("ghi"), 0.0, CLEAR_SKY_INDEX_MAX)
    ghi50 = _override(np.minimum(k50 * clear, GHI_MAX_W_M2), weather.ghi_w_m2)
    clear = np.maximum(clear, ghi50)  # ingested weather brighter than the demo's clear sky raises it
    with np.errstate(divide="ignore", invalid="ignore"):
        k50 = np.where(clear > 0, ghi50 / clear, 0.0)
    wind50 = _override(np.clip(truth.wind_by_col + sig["wind"] * path("wind"), 0.0, WIND_MAX_M_S),
                       weather.wind_speed_m_s)

    sgens = specs.sgens
    is_pv, is_wind, is_other = sgens.kind == KIND_PV, sgens.kind == KIND_WIND, sgens.kind == KIND_OTHER
    limit = pv_inverter_limit_rel(sgens.rated_mw[is_pv], sgens.inverter_mw[is_pv], pv)
    zone_weather: dict[str, dict[str, np.ndarray]] = {v: {} for v in WEATHER_VARIABLES}
    sgen_p = {q: np.zeros((steps, len(sgens.pp_index))) for q in QUANTILE_NAMES}
    wind_rel_q = []
    for q, z in em.QUANTILES.items():
        ghi_q = np.minimum(np.clip(k50 + z * sig["ghi"], 0.0, CLEAR_SKY_INDEX_MAX) * clear, GHI_MAX_W_M2)
        # PV output rises with irradiance, so irradiance quantiles map to output quantiles.
        sgen_p[q][:, is_pv] = sgens.rated_mw[is_pv] * pv_power_rel(
            ghi_q[:, truth.pv_asset_pos], temp50[:, None], inverter_limit_rel=limit, params=pv)
        wind_q = np.clip(wind50 + z * sig["wind"], 0.0, WIND_MAX_M_S)
        wind_rel_q.append(wind_power_rel(wind_q, params=wind))
        zone_weather["ghi_w_m2"][q] = ghi_q[:, truth.ref_pv_pos]
        zone_weather["wind_speed_m_s"][q] = wind_q[:, truth.ref_wind_pos]
        zone_weather["temperature_c"][q] = temp50 + z * sig["temperature"][:, 0]
    # The power curve falls to zero past cut-out, so sort the three outputs to keep them ordered.
    wind_rel_sorted = np.sort(np.stack(wind_rel_q), axis=0)
    for i, q in enumerate(QUANTILE_NAMES):
        sgen_p[q][:, is_wind] = sgens.rated_mw[is_wind] * wind_rel_sorted[i][:, truth.wind_asset_pos]

    # Other generation (biomass, hydro, aggregated LV RES): profile with a relative error.
    other_truth = truth.sgen_p[:, is_other]
    other_cap = np.maximum(sgens.rated_mw[is_other], other_truth)
    other50 = np.clip(other_truth * (1.0 + sig["other_gen"] * path("other_gen")), 0.0, other_cap)
    for q, z in em.QUANTILES.items():
        sgen_p[q][:, is_other] = np.clip(other50 * (1.0 + z * sig["other_gen"]), 0.0, other_cap)

    # Demand: a common (zone) and a local (per-load) multiplicative error.
    loads = specs.loads
    n_loads = len(loads.pp_index)
    common, local = sig["demand_common"], sig["demand_local"]
    m50 = np.maximum(1.0 + common * path("demand_common") + local * path("demand_local", n_loads), 0.0)
    spread = np.sqrt(common**2 + local**2)
    negative = truth.load_p < 0  # a few SimBench profiles go negative: keep P10 ≤ P90 there too
    load_p, load_q = {}, {}
    for q, z in em.QUANTILES.items():
        m = np.maximum(m50 * (1.0 + z * spread), 0.0)
        load_p[q], load_q[q] = truth.load_p * m, truth.load_q * m
    if negative.any():
        for arrays in (load_p, load_q):
            low, high = arrays["p10"].copy(), arrays["p90"].copy()
            arrays["p10"] = np.where(negative, high, low)
            arrays["p90"] = np.where(negative, low, high)

    # EV charging: a charger draws nothing or its full rating, so each charger's quantiles are
    # on/off (its rating where P(on) passes the quantile), never a band around an average.
    evs = specs.evs
    ev_cap = np.outer(truth.ev_plugged, evs.rated_mw)
    ev_prob = ev_on_probability(evs.pp_index, evs.rated_mw, horizon.day_of_year, horizon.hour_of_day,
                                horizon.step_hours)
    ev50 = ev_prob * evs.rated_mw  # expected draw (availability and totals)
    ev_p = {q: on_off_quantile(ev_prob, evs.rated_mw, level) for q, level in EV_QUANTILE_LEVELS.items()}

    # Batteries: each runs by its operating mode on the forecast PV (at each quantile) and the
    # P50 demand of its premise, from the same starting energy as the truth.
    runs = dict(zip(QUANTILE_NAMES, run_batteries(specs, horizon, load_p["p50"], [sgen_p[q] for q in QUANTILE_NAMES],
                                                   truth.storage_schedule, truth.battery_e0)))
    storage_p = {q: run.p_mw for q, run in runs.items()}
    availability = _availability(specs, truth, ev50, ev_cap, runs["p50"])
    totals = _totals(specs, load_p, ev_p, sgen_p, storage_p, common[:, 0], local[:, 0], ev_prob=ev_prob)
    return ForecastArrays(
        load_p=load_p, load_q=load_q, ev_p=ev_p, sgen_p=sgen_p, storage_p=storage_p,
        availability=availability, totals=totals, weather=zone_weather,
        ingested_steps=int(weather.provided.sum()), truth=truth if keep_truth else None,
    )


def _availability(specs: NetworkSpecs, truth: Truth, ev50: np.ndarray, ev_cap: np.ndarray,
                  battery: BatteryRun) -> dict[str, np.ndarray]:
    """Flexibility per step: EV plugged-in fraction and headroom; batteries from their simulated
    state of charge (P50 run).

    Batteries: ``battery_charge_mw`` / ``battery_discharge_mw`` are the extra charging /
    discharging on top of the battery's own operation that its rating and the energy left after
    the step allow; ``battery_soc_mwh`` the stored energy at the end of each step (an ANM window
    is energy-limited by it); capacity, reserve and efficiency per battery (one row).
    """
    stor = specs.storages
    plugged = np.broadcast_to(truth.ev_plugged[:, None], ev50.shape).copy()
    return {
        "ev_plugged_fraction": plugged,
        "ev_flex_up_mw": np.maximum(ev_cap - ev50, 0.0),
        "ev_flex_down_mw": ev50,
        "battery_charge_mw": battery.charge_mw,
        "battery_discharge_mw": battery.discharge_mw,
        "battery_soc_mwh": battery.soc_mwh,
        "battery_capacity_mwh": stor.capacity[None, :],
        "battery_reserve_mwh": stor.reserve_mwh[None, :],
        "battery_efficiency": stor.eta[None, :],
    }


def _totals(specs: NetworkSpecs, load_p, ev_p, sgen_p, storage_p, sigma_common, sigma_local, *,
            ev_prob: np.ndarray | None = None) -> dict:
    """Network totals per quantile.

    Generation of one kind is driven by one zone weather path, so its element quantiles are
    comonotone and sum to the total's quantiles. Demand has independent per-load errors, so its
    total spread is computed from the error model (diversity makes it narrower than the sum of
    element spreads). Net export combines the components' deviations as independent errors.
    """
    kinds, on = specs.sgens.kind, specs.sgens.in_service
    loads_on, evs_on = specs.loads.in_service, specs.evs.in_service
    totals: dict[str, dict[str, np.ndarray]] = {}
    for name, mask in (("pv", on & (kinds == KIND_PV)), ("wind", on & (kinds == KIND_WIND)),
                       ("other_gen", on & (kinds == KIND_OTHER))):
        totals[name] = {q: sgen_p[q][:, mask].sum(axis=1) for q in QUANTILE_NAMES}
    if ev_prob is None:
        totals["ev"] = {q: ev_p[q][:, evs_on].sum(axis=1) for q in QUANTILE_NAMES}
    else:
        # Many independent on/off chargers: the total is near normal around its mean (diversity).
        p, rated = ev_prob[:, evs_on], specs.evs.rated_mw[evs_on]
        mean, sd = (p * rated).sum(axis=1), np.sqrt((p * (1.0 - p) * rated**2).sum(axis=1))
        totals["ev"] = {q: np.maximum(mean + z * sd, 0.0) for q, z in em.QUANTILES.items()}
    # A total's quantiles need not come from one scenario: sort the three per step.
    by_q = np.sort(np.stack([storage_p[q][:, specs.storages.in_service].sum(axis=1) for q in QUANTILE_NAMES]), axis=0)
    totals["storage"] = {q: by_q[i] for i, q in enumerate(QUANTILE_NAMES)}
    storage = totals["storage"]["p50"]

    p50 = load_p["p50"][:, loads_on]
    total50 = p50.sum(axis=1)
    sd = np.sqrt((sigma_common * total50) ** 2 + sigma_local**2 * (p50**2).sum(axis=1))
    totals["demand"] = {q: total50 + z * sd for q, z in em.QUANTILES.items()}

    def dev(name: str, q: str) -> np.ndarray:
        return np.abs(totals[name][q] - totals[name]["p50"])

    gen, cons = ("pv", "wind", "other_gen"), ("demand", "ev")
    net50 = sum(totals[g]["p50"] for g in gen) - sum(totals[c]["p50"] for c in cons) - storage
    low = np.sqrt(sum(dev(g, "p10") ** 2 for g in gen) + sum(dev(c, "p90") ** 2 for c in cons))
    high = np.sqrt(sum(dev(g, "p90") ** 2 for g in gen) + sum(dev(c, "p10") ** 2 for c in cons))
    totals["net_export"] = {"p10": net50 - low, "p50": net50, "p90": net50 + high}
    return totals
