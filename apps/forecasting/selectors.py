"""Reads of forecasting data: weather, forecast runs, accuracy, the registry as the forecast
builder needs it, and the forecast itself (read-only: it stores nothing)."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Max, QuerySet

from apps.accounts.tenancy import scope_to_user
from apps.grid.models import DERAsset, Load, Network

from .actuals import local_wall_clock
from .bundle import ForecastBundle
from .calc import errors as em
from .calc.accuracy import LEAD_BANDS
from .calc.assembly import (
    CALIBRATED_HOURS,
    MODEL_VERSION,
    aware_utc,
    assemble_bundle,
    assumptions,
    check_horizon,
    lead_hours,
    place_weather,
    weather_source,
)
from .calc.battery import MODE_IDLE, MODE_SCHEDULE, MODE_SELF_CONSUMPTION
from .calc.provider import KIND_OTHER, KIND_PV, KIND_WIND, EVSpecs, LoadSpecs, NetworkSpecs, SgenSpecs, StorageSpecs
from .calc.simbench_profiles import RelativeProfiles, dataset_for_code, relative_profiles, simbench_version
from .calc.timebase import make_horizon, simbench_steps
from .calc.weather_rows import floor_to_step
from .models import ForecastRun, ForecastScore, ForecastSeries, WeatherForecast, WeatherZone

if TYPE_CHECKING:
    from .calc.provider import ZoneWeather

SIMBENCH_PREFIX = "simbench:"


# --- tenancy-scoped querysets (none of these models is tenant-owned: DSO staff only) -------

def weather_zones_for(user) -> QuerySet[WeatherZone]:
    return scope_to_user(WeatherZone.objects.select_related("network"), user)


def weather_forecasts_for(user) -> QuerySet[WeatherForecast]:
    return scope_to_user(WeatherForecast.objects.select_related("zone"), user)


def forecast_runs_for(user) -> QuerySet[ForecastRun]:
    return scope_to_user(ForecastRun.objects.select_related("network"), user)


def forecast_scores_for(user) -> QuerySet[ForecastScore]:
    return scope_to_user(ForecastScore.objects.all(), user)


# --- weather -------------------------------------------------------------------------------

def weather_zone_of(network: Network) -> WeatherZone | None:
    """The network's weather zone (the first, when there are several: the registry does not yet
    map assets to zones)."""
    return WeatherZone.objects.filter(network=network).order_by("id").first()


def weather_latest_issue(*, zone: WeatherZone, issued_before: dt.datetime, valid_from: dt.datetime,
                         valid_to: dt.datetime) -> tuple[dt.datetime | None, list[tuple]]:
    """The newest weather issue (at or before ``issued_before``) covering part of a window.

    Parameters:
        zone: the weather zone.
        issued_before: only issues known by then count (reproducibility).
        valid_from / valid_to: the window (inclusive).

    Returns:
        (issue time or None, rows ``(valid_at, ghi, wind, temperature)`` of that issue in the window).
    """
    window = WeatherForecast.objects.filter(zone=zone, valid_at__gte=valid_from, valid_at__lte=valid_to)
    issued = window.filter(issued_at__lte=issued_before).aggregate(latest=Max("issued_at"))["latest"]
    if issued is None:
        return None, []
    rows = list(window.filter(issued_at=issued).order_by("valid_at")
                .values_list("valid_at", "ghi_w_m2", "wind_speed_m_s", "temperature_c"))
    return issued, rows


@dataclass(frozen=True)
class WeatherIssue:
    """One ingested weather issue of a zone: its rows (``WeatherForecast``) in ``valid_at`` order."""

    zone: WeatherZone
    issued_at: dt.datetime
    source: str
    rows: list[WeatherForecast]


def weather_newest_issue(*, zone: WeatherZone) -> WeatherIssue | None:
    """The zone's most recently issued uploaded forecast (what the forecasts page's weather chart
    shows on top of the forecast's bands), or None when nothing was uploaded."""
    newest = WeatherForecast.objects.filter(zone=zone).order_by("-issued_at").values_list("issued_at", flat=True).first()
    if newest is None:
        return None
    rows = list(WeatherForecast.objects.filter(zone=zone, issued_at=newest).order_by("valid_at")
                .only("valid_at", "ghi_w_m2", "wind_speed_m_s", "temperature_c", "source"))
    return WeatherIssue(zone=zone, issued_at=newest, source=rows[0].source, rows=rows)


# --- the registry as the forecast builder needs it -----------------------------------------

def profile_dataset_of(network: Network) -> str:
    """The SimBench data set behind a network's profiles (scenario 2 for non-SimBench networks)."""
    code = network.source[len(SIMBENCH_PREFIX):] if network.source.startswith(SIMBENCH_PREFIX) else ""
    return dataset_for_code(code)


def profiles_for(network: Network) -> RelativeProfiles:
    """SimBench relative profiles of the network's data set (cached per process and on disk)."""
    return relative_profiles(profile_dataset_of(network), cache_dir=settings.VAR_DIR / "cache")


def _f(values, default=np.nan) -> np.ndarray:
    return np.array([default if v is None else v for v in values], dtype=float)


def _reference_column(profiles: RelativeProfiles, cols: np.ndarray, weights: np.ndarray, prefix: str) -> int:
    """The profile with most capacity behind it stands for the zone; else the data set's first."""
    found = cols >= 0
    if found.any():
        totals: dict[int, float] = defaultdict(float)
        for col, weight in zip(cols[found], weights[found]):
            totals[int(col)] += float(weight)
        return max(totals, key=lambda c: (totals[c], -c))
    return next((i for name, i in profiles.columns["sgen"].items() if name.startswith(prefix)), -1)


def network_forecast_specs(*, network: Network, profiles: RelativeProfiles) -> tuple[NetworkSpecs, dict]:
    """Load the network's elements as arrays for the forecast builder.

    Parameters:
        network: registry network.
        profiles: its SimBench relative profiles (to resolve profile names to columns).

    Returns:
        (specs, info) where info counts elements and lists profile names not in the data set.
    """
    missing: Counter = Counter()

    def column(namespace: str, name: str) -> int:
        if not name:
            return -1
        col = profiles.column(namespace, name)
        if col < 0:
            missing[f"{namespace}:{name}"] += 1
        return col

    load_rows = list(Load.objects.filter(network=network).order_by("pp_index")
                     .values_list("pp_index", "p_mw", "q_mvar", "profile", "in_service", "bus_id", "premise_id"))
    der_rows = list(DERAsset.objects.filter(network=network).order_by("pp_element", "pp_index").values_list(
        "pp_element", "pp_index", "kind", "p_mw", "q_mvar", "rated_mw", "sn_mva", "capacity_mwh", "min_e_mwh",
        "soc_percent", "profile", "status", "bus_id", "premise_id", "efficiency_percent", "reserve_percent",
        "operating_mode"))
    live = set(DERAsset.LIVE_STATUSES)
    ev_rows = [r for r in der_rows if r[0] == DERAsset.PPElement.LOAD and r[2] == DERAsset.Kind.EV_CHARGER]
    # Other load-type DER (none today) are forecast like loads from their profile or set-point.
    for r in der_rows:
        if r[0] == DERAsset.PPElement.LOAD and r[2] != DERAsset.Kind.EV_CHARGER:
            load_rows.append((r[1], r[3], r[4], r[10], r[11] in live, r[12], r[13]))
    load_rows.sort(key=lambda r: r[0])
    sgen_rows = [r for r in der_rows if r[0] == DERAsset.PPElement.SGEN]
    storage_rows = [r for r in der_rows if r[0] == DERAsset.PPElement.STORAGE]

    # A battery works against its premise's PV and demand: the registry premise, else its bus
    # (elements without a premise at that bus). Only groups that hold a battery are numbered.
    def key(bus_id, premise_id):
        return ("premise", premise_id) if premise_id is not None else ("bus", bus_id)

    group = {}
    for r in storage_rows:
        group.setdefault(key(r[12], r[13]), len(group))
    mode_code = {DERAsset.OperatingMode.SCHEDULE: MODE_SCHEDULE, DERAsset.OperatingMode.TELEMETRY: MODE_IDLE}

    loads = LoadSpecs(
        pp_index=np.array([r[0] for r in load_rows], dtype=np.int64),
        p_mw=_f([r[1] for r in load_rows], 0.0), q_mvar=_f([r[2] for r in load_rows], 0.0),
        col_p=np.array([column("load", f"{r[3]}_pload") if r[3] else -1 for r in load_rows], dtype=np.int64),
        col_q=np.array([column("load", f"{r[3]}_qload") if r[3] else -1 for r in load_rows], dtype=np.int64),
        in_service=np.array([bool(r[4]) for r in load_rows], dtype=bool),
        premise=np.array([group.get(key(r[5], r[6]), -1) for r in load_rows], dtype=np.int64),
    )
    kind_code = {DERAsset.Kind.PV: KIND_PV, DERAsset.Kind.WIND: KIND_WIND}
    rated = [r[5] if r[5] is not None else abs(r[3] or 0.0) for r in sgen_rows]
    sgens = SgenSpecs(
        pp_index=np.array([r[1] for r in sgen_rows], dtype=np.int64),
        kind=np.array([kind_code.get(r[2], KIND_OTHER) for r in sgen_rows], dtype=np.int64),
        rated_mw=_f(rated, 0.0), inverter_mw=_f([r[6] for r in sgen_rows]), p_mw=_f([r[3] for r in sgen_rows], 0.0),
        col=np.array([column("sgen", r[10]) for r in sgen_rows], dtype=np.int64),
        in_service=np.array([r[11] in live for r in sgen_rows], dtype=bool),
        premise=np.array([group.get(key(r[12], r[13]), -1) for r in sgen_rows], dtype=np.int64),
    )
    storages = StorageSpecs(
        pp_index=np.array([r[1] for r in storage_rows], dtype=np.int64),
        p_mw=_f([r[3] for r in storage_rows], 0.0),
        rated_mw=_f([r[5] if r[5] is not None else abs(r[3] or 0.0) for r in storage_rows], 0.0),
        capacity_mwh=_f([r[7] for r in storage_rows]), min_e_mwh=_f([r[8] for r in storage_rows]),
        soc=_f([r[9] for r in storage_rows]) / 100.0,
        col=np.array([column("storage", r[10]) for r in storage_rows], dtype=np.int64),
        in_service=np.array([r[11] in live for r in storage_rows], dtype=bool),
        # blank: self-consumption, what a home battery does out of the box
        mode=np.array([mode_code.get(r[16], MODE_SELF_CONSUMPTION) for r in storage_rows], dtype=np.int64),
        efficiency=_f([r[14] for r in storage_rows]) / 100.0,
        reserve=_f([r[15] for r in storage_rows]) / 100.0,
        premise=np.array([group[key(r[12], r[13])] for r in storage_rows], dtype=np.int64),
    )
    evs = EVSpecs(
        pp_index=np.array([r[1] for r in ev_rows], dtype=np.int64),
        rated_mw=_f([r[5] if r[5] is not None else (r[6] or 0.0) for r in ev_rows], 0.0),
        in_service=np.array([r[11] in live for r in ev_rows], dtype=bool),
    )
    pv_mask, wind_mask = sgens.kind == KIND_PV, sgens.kind == KIND_WIND
    specs = NetworkSpecs(
        loads=loads, sgens=sgens, storages=storages, evs=evs,
        ref_pv_col=_reference_column(profiles, sgens.col[pv_mask], sgens.rated_mw[pv_mask], "PV"),
        ref_wind_col=_reference_column(profiles, sgens.col[wind_mask], sgens.rated_mw[wind_mask], "WP"),
    )
    names = {ns: {i: n for n, i in cols.items()} for ns, cols in profiles.columns.items()}
    info = {
        "counts": {
            "loads": int(len(loads.pp_index)), "ev_chargers": int(len(evs.pp_index)),
            "pv": int(pv_mask.sum()), "wind": int(wind_mask.sum()), "other_gen": int((sgens.kind == KIND_OTHER).sum()),
            "storage": int(len(storages.pp_index)),
        },
        "reference_profiles": {"pv": names["sgen"].get(specs.ref_pv_col, ""),
                               "wind": names["sgen"].get(specs.ref_wind_col, "")},
        "missing_profiles": dict(sorted(missing.items())[:20]),
    }
    return specs, info


# --- the forecast --------------------------------------------------------------------------

def weather_for_horizon(*, network: Network, issued_at: dt.datetime, valid_times: pd.DatetimeIndex,
                        step_minutes: int) -> tuple[ZoneWeather, dict]:
    """The newest ingested weather known at ``issued_at`` on the horizon's steps, and where it came from."""
    zone = weather_zone_of(network)
    info = {"zone_id": zone.pk if zone else None, "zone_issue": None, "steps_from_ingest": 0}
    issue, rows = None, []
    if zone is not None:
        issue, rows = weather_latest_issue(zone=zone, issued_before=issued_at,
                                           valid_from=valid_times[0].to_pydatetime(),
                                           valid_to=valid_times[-1].to_pydatetime())
    weather = place_weather(rows, valid_times, step_minutes)
    if issue is not None:
        info.update(zone_issue=issue.isoformat(), steps_from_ingest=int(weather.provided.sum()))
    return weather, info


def forecast_injections(*, network: Network, start: dt.datetime, steps: int = 192, step_minutes: int = 15,
                        seed: int | None = None, issued_at: dt.datetime | None = None) -> ForecastBundle:
    """Forecast every injection of a network with P10 / P50 / P90 quantiles.

    Parameters
    ----------
    network: the registry network.
    start: first valid time (tz-aware); rounded down to the quarter-hour.
    steps: number of steps (default 192: 48 h of quarter-hours).
    step_minutes: a positive multiple of 15 (longer steps average the quarter-hours).
    seed: seed of the demo provider's error paths; default derived from network id and issue time.
    issued_at: the data cut-off (leads are measured from it; only weather issued by then is
        used); default ``start``.

    Returns
    -------
    :class:`~apps.forecasting.bundle.ForecastBundle`.

    Raises
    ------
    ForecastInputError: bad arguments; nothing was computed.
    """
    check_horizon(steps, step_minutes)
    began = time.perf_counter()
    start = floor_to_step(aware_utc(start, "start"))
    issued_at = start if issued_at is None else aware_utc(issued_at, "issued_at")
    seed = em.derive_seed(network.pk, issued_at.timestamp()) if seed is None else int(seed)

    valid_times = pd.date_range(start, periods=steps, freq=f"{step_minutes}min")
    wall = local_wall_clock(valid_times)
    horizon = make_horizon(wall, lead_hours(valid_times, issued_at), step_minutes)
    profiles = profiles_for(network)
    specs, registry_info = network_forecast_specs(network=network, profiles=profiles)
    weather, weather_info = weather_for_horizon(network=network, issued_at=issued_at, valid_times=valid_times,
                                                step_minutes=step_minutes)
    warnings = []
    if steps * step_minutes > CALIBRATED_HOURS * 60:
        warnings.append(f"Horizon beyond {CALIBRATED_HOURS} h: the error model is calibrated to "
                        f"{CALIBRATED_HOURS} h and extrapolated.")
    inputs = {
        "model_version": MODEL_VERSION,
        "network_id": network.pk,
        "issued_at": issued_at.isoformat(),
        "start": start.isoformat(),
        "steps": steps,
        "step_minutes": step_minutes,
        "seed": seed,
        "weather": {"source": weather_source(weather_info["steps_from_ingest"], steps), **weather_info},
        "profiles": {
            "dataset": profiles.dataset, "simbench_version": simbench_version(),
            "first_simbench_step": int(simbench_steps(wall[:1])[0]),
            "time_mapping": "local wall clock -> 2016, same month/day/time of day",
            "reference": registry_info["reference_profiles"],
        },
        "counts": registry_info["counts"],
        "missing_profiles": registry_info["missing_profiles"],
        "assumptions": assumptions(),
        "warnings": warnings,
    }
    bundle = assemble_bundle(network_id=network.pk, issued_at=issued_at, start=start, step_minutes=step_minutes,
                             valid_times=valid_times, horizon=horizon, specs=specs, profiles=profiles,
                             weather=weather, seed=seed, inputs=inputs)
    bundle.inputs["elapsed_s"] = round(time.perf_counter() - began, 4)
    return bundle


# --- forecast runs and accuracy ------------------------------------------------------------

def latest_forecast_run(*, network: Network) -> ForecastRun | None:
    return ForecastRun.objects.filter(network=network).order_by("-issued_at", "-id").first()


def forecast_run_series(*, run: ForecastRun) -> dict[str, dict[str, list[float]]]:
    """quantity -> {"p10", "p50", "p90"} -> values over the run's steps."""
    return {s.quantity: {"p10": s.p10, "p50": s.p50, "p90": s.p90}
            for s in ForecastSeries.objects.filter(run=run)}


def forecast_accuracy(*, network: Network, since: dt.datetime | None = None,
                      quantities: list[str] | None = None) -> list[dict]:
    """Accuracy per quantity and lead-time band, summed over the network's scored runs.

    Parameters:
        network: the network.
        since: only runs issued at or after this time.
        quantities: restrict to these quantities (default: all scored).

    Returns:
        :func:`accuracy_rows` of those scores.
    """
    scores = ForecastScore.objects.filter(run__network=network)
    if since is not None:
        scores = scores.filter(run__issued_at__gte=since)
    if quantities:
        scores = scores.filter(quantity__in=quantities)
    return accuracy_rows(scores)


def accuracy_rows(scores: QuerySet[ForecastScore]) -> list[dict]:
    """Accuracy per quantity and lead-time band, summed over the given scores (e.g. one
    network's, filtered by :class:`~apps.forecasting.filters.AccuracyFilterSet`).

    Returns:
        Rows ``{quantity, label, band, runs, n, mae, pinball, coverage}`` ordered by quantity,
        then band (0–6 h, 6–24 h, 24–48 h); ``mae``/``pinball`` in the quantity's unit,
        ``coverage`` the share of actuals inside P10–P90 over steps that have a band (0.8 when
        calibrated; None when no step had one, e.g. known battery schedules).
    """
    scores = scores.filter(n__gt=0)
    sums: dict[tuple[str, str], dict] = {}
    for quantity, band, run_id, n, abs_sum, pin_sum, banded, covered in scores.values_list(
            "quantity", "band", "run_id", "n", "abs_error_sum", "pinball_sum", "banded", "covered"):
        row = sums.setdefault((quantity, band), {"runs": set(), "n": 0, "abs": 0.0, "pin": 0.0, "banded": 0, "covered": 0})
        row["runs"].add(run_id)
        row["n"] += n
        row["abs"] += abs_sum
        row["pin"] += pin_sum
        row["banded"] += banded
        row["covered"] += covered
    order = [q for q in ForecastSeries.Quantity.values]
    band_order = [name for name, _, _ in LEAD_BANDS]
    labels = dict(ForecastSeries.Quantity.choices)
    out = []
    for (quantity, band), row in sorted(sums.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 99,
                                                                       band_order.index(kv[0][1]) if kv[0][1] in band_order else 99)):
        out.append({
            "quantity": quantity, "label": labels.get(quantity, quantity), "band": band, "runs": len(row["runs"]),
            "n": row["n"], "mae": row["abs"] / row["n"], "pinball": row["pin"] / row["n"],
            "coverage": row["covered"] / row["banded"] if row["banded"] else None,
        })
    return out
