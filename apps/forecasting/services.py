"""Forecasting: the forecast entry point, weather ingest, issuing and scoring forecast runs.

Writes commit in one transaction with their audit event; nothing is half-stored.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.grid.models import Network
from apps.live.events import event_payload
from apps.live.services import event_publish_to_dso

from .actuals import ActualsSource, get_actuals_source, local_wall_clock
from .bundle import QUANTILES, ForecastBundle
from .calc import errors as em
from .calc.accuracy import score_bands
from .calc.physics import DEFAULT_PV, DEFAULT_WIND
from .calc.provider import (
    BATTERY_DEFAULT_HOURS,
    BATTERY_DEFAULT_SOC,
    BATTERY_DEFAULT_EFFICIENCY,
    BATTERY_WARMUP_HOURS,
    CLEAR_SKY_INDEX_MAX,
    CLEAR_SKY_WINDOW_DAYS,
    ZoneWeather,
    build_forecast,
)
from .calc.simbench_profiles import simbench_version
from .calc.timebase import STEP_MINUTES, make_horizon, simbench_steps
from .calc.weather_rows import floor_to_step, validate_weather_rows
from .models import ForecastRun, ForecastScore, ForecastSeries, WeatherForecast, WeatherZone
from .selectors import network_forecast_specs, profiles_for, weather_latest_issue, weather_zone_of

log = logging.getLogger(__name__)

MODEL_VERSION = "forecasting-2"  # 2: battery SOC by operating mode, PV errors on the clear-sky index
MAX_HORIZON_HOURS = 7 * 24  # the error model is calibrated to 48 h; longer is allowed, flagged
DEFAULT_ZONE_NAME = "Network zone"


class ForecastInputError(ValueError):
    """The forecast request is not acceptable; the message says why."""


class WeatherIngestError(ValueError):
    """A weather payload was rejected; ``errors`` lists every problem (row, field, message)."""

    def __init__(self, message: str, errors: list[dict]):
        super().__init__(message)
        self.errors = errors


# --- the forecast --------------------------------------------------------------------------

def _aware(moment: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise ForecastInputError(f"{name} must be a datetime.")
    if timezone.is_naive(moment):
        raise ForecastInputError(f"{name} must be timezone-aware.")
    return moment.astimezone(dt.timezone.utc)


def _ingested_weather(network: Network, issued_at: dt.datetime, valid_times: pd.DatetimeIndex,
                      step_minutes: int) -> tuple[ZoneWeather, dict]:
    zone = weather_zone_of(network)
    weather = ZoneWeather.empty(len(valid_times))
    info = {"zone_id": zone.pk if zone else None, "zone_issue": None, "steps_from_ingest": 0}
    if zone is None:
        return weather, info
    issue, rows = weather_latest_issue(zone=zone, issued_before=issued_at, valid_from=valid_times[0].to_pydatetime(),
                                       valid_to=valid_times[-1].to_pydatetime())
    if issue is None:
        return weather, info
    start = valid_times[0]
    step = pd.Timedelta(minutes=step_minutes)
    for valid_at, ghi, wind, temperature in rows:
        offset = pd.Timestamp(valid_at) - start
        if offset % step:
            continue  # not a step start at this resolution
        k = int(offset // step)
        weather.ghi_w_m2[k], weather.wind_speed_m_s[k], weather.temperature_c[k] = ghi, wind, temperature
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
    if not isinstance(steps, int) or steps < 1:
        raise ForecastInputError("steps must be a whole number ≥ 1.")
    if not isinstance(step_minutes, int) or step_minutes < STEP_MINUTES or step_minutes % STEP_MINUTES:
        raise ForecastInputError(f"step_minutes must be a positive multiple of {STEP_MINUTES}.")
    if steps * step_minutes > MAX_HORIZON_HOURS * 60:
        raise ForecastInputError(f"The horizon may not exceed {MAX_HORIZON_HOURS} hours.")
    began = time.perf_counter()
    start = floor_to_step(_aware(start, "start"))
    issued_at = start if issued_at is None else _aware(issued_at, "issued_at")
    seed = em.derive_seed(network.pk, issued_at.timestamp()) if seed is None else int(seed)

    valid_times = pd.date_range(start, periods=steps, freq=f"{step_minutes}min")
    lead = np.maximum((valid_times - pd.Timestamp(issued_at)).total_seconds().to_numpy() / 3600.0, 0.0)
    wall = local_wall_clock(valid_times)
    horizon = make_horizon(wall, lead, step_minutes)
    profiles = profiles_for(network)
    specs, registry_info = network_forecast_specs(network=network, profiles=profiles)
    weather, weather_info = _ingested_weather(network, issued_at, valid_times, step_minutes)
    arrays = build_forecast(specs, profiles, horizon, seed=seed, weather=weather)

    # Assemble the engine's profile shape: EV chargers are pandapower loads.
    load_index = np.concatenate([specs.loads.pp_index, specs.evs.pp_index])
    order = np.argsort(load_index, kind="stable")
    load_cols = pd.Index(load_index[order], name="pp_index")
    warnings = []
    if load_cols.has_duplicates:
        warnings.append("EV charger and load share a pandapower index; their forecasts are summed.")
    sgen_cols = pd.Index(specs.sgens.pp_index, name="pp_index")
    storage_cols = pd.Index(specs.storages.pp_index, name="pp_index")
    ev_cols = pd.Index(specs.evs.pp_index, name="pp_index")
    zeros_ev = np.zeros((steps, len(ev_cols)))

    def frame(values: np.ndarray, columns: pd.Index) -> pd.DataFrame:
        df = pd.DataFrame(values, index=valid_times, columns=columns)
        return df.T.groupby(level=0).sum().T if columns.has_duplicates else df

    quantiles = {}
    for q in QUANTILES:
        quantiles[q] = {
            ("load", "p_mw"): frame(np.hstack([arrays.load_p[q], arrays.ev_p[q]])[:, order], load_cols),
            ("load", "q_mvar"): frame(np.hstack([arrays.load_q[q], zeros_ev])[:, order], load_cols),
            ("sgen", "p_mw"): frame(arrays.sgen_p[q], sgen_cols),
            ("storage", "p_mw"): frame(arrays.storage_p[q], storage_cols),
        }
    availability = {
        # per-battery constants (capacity, reserve, efficiency) are one row at the first step
        name: pd.DataFrame(values, index=valid_times[:len(values)],
                           columns=ev_cols if name.startswith("ev_") else storage_cols)
        for name, values in arrays.availability.items()
    }
    totals = {name: pd.DataFrame(per_q, index=valid_times)[list(QUANTILES)] for name, per_q in arrays.totals.items()}
    zone_weather = {name: pd.DataFrame(per_q, index=valid_times)[list(QUANTILES)]
                    for name, per_q in arrays.weather.items()}

    source = "simbench-demo"
    if weather_info["steps_from_ingest"]:
        source = "ingest" if weather_info["steps_from_ingest"] == steps else "ingest+simbench-demo"
    if steps * step_minutes > 48 * 60:
        warnings.append("Horizon beyond 48 h: the error model is calibrated to 48 h and extrapolated.")
    inputs = {
        "model_version": MODEL_VERSION,
        "network_id": network.pk,
        "issued_at": issued_at.isoformat(),
        "start": start.isoformat(),
        "steps": steps,
        "step_minutes": step_minutes,
        "seed": seed,
        "weather": {"source": source, **weather_info},
        "profiles": {
            "dataset": profiles.dataset, "simbench_version": simbench_version(),
            "first_simbench_step": int(simbench_steps(wall[:1])[0]),
            "time_mapping": "local wall clock -> 2016, same month/day/time of day",
            "reference": registry_info["reference_profiles"],
        },
        "counts": registry_info["counts"],
        "missing_profiles": registry_info["missing_profiles"],
        "assumptions": {
            "pv": asdict(DEFAULT_PV), "wind": asdict(DEFAULT_WIND), "errors": em.error_model_summary(),
            "battery": {"default_soc": BATTERY_DEFAULT_SOC, "default_hours": BATTERY_DEFAULT_HOURS,
                        "default_efficiency": BATTERY_DEFAULT_EFFICIENCY, "warmup_hours": BATTERY_WARMUP_HOURS,
                        "model": "state of charge by operating mode (self-consumption / schedule / idle)"},
            "pv_clear_sky": {"window_days": CLEAR_SKY_WINDOW_DAYS, "index_max": CLEAR_SKY_INDEX_MAX,
                             "error": "absolute on the clear-sky index"},
        },
        "warnings": warnings,
    }
    inputs["elapsed_s"] = round(time.perf_counter() - began, 4)
    return ForecastBundle(
        network_id=network.pk, issued_at=issued_at, start=start, step_minutes=step_minutes, valid_times=valid_times,
        quantiles=quantiles, availability=availability, totals=totals, weather=zone_weather, inputs=inputs,
    )


# --- weather -------------------------------------------------------------------------------

@transaction.atomic
def weather_zone_ensure(*, network: Network, name: str = DEFAULT_ZONE_NAME, actor=None) -> WeatherZone:
    """The network's weather zone, created (and audited) when it has none.

    Parameters
    ----------
    network: the network.
    name: name for a new zone.
    actor: who asked (for the audit trail).

    Returns
    -------
    The existing first zone of the network, or a new one.
    """
    zone = weather_zone_of(network)
    if zone is None:
        zone = WeatherZone.objects.create(network=network, name=name)
        audit_record(actor=actor, action="weather_zone.created", obj=zone, after={"network": network.pk, "name": name})
    return zone


def weather_forecast_ingest(*, zone: WeatherZone, issued_at: dt.datetime, rows: list, source: str = "",
                            replace: bool = False, actor=None) -> int:
    """Store one issued weather forecast for a zone: all rows or none.

    Parameters
    ----------
    zone: the weather zone.
    issued_at: issue time (tz-aware).
    rows: the payload rows (see :func:`~apps.forecasting.calc.weather_rows.validate_weather_rows`).
    source: provider label.
    replace: replace an already stored issue with the same ``issued_at`` (otherwise rejected).
    actor: who sent it.

    Returns
    -------
    Number of rows stored.

    Raises
    ------
    WeatherIngestError: with every problem (row number, field, message); nothing was stored or
        replaced.
    """
    if not isinstance(issued_at, dt.datetime) or timezone.is_naive(issued_at):
        raise WeatherIngestError("The weather forecast was rejected: issued_at is not a timezone-aware time.",
                                 [{"row": 0, "field": "issued_at", "message": "must be a timezone-aware time."}])
    clean, problems = validate_weather_rows(issued_at, rows)
    if problems:
        raise WeatherIngestError(
            f"The weather forecast was rejected ({len(problems)} problem(s)); nothing was stored.", problems)
    with transaction.atomic():
        existing = WeatherForecast.objects.select_for_update().filter(zone=zone, issued_at=issued_at)
        replaced = existing.count()
        if replaced and not replace:
            raise WeatherIngestError(
                "The weather forecast was rejected; nothing was stored.",
                [{"row": 0, "field": "issued_at",
                  "message": f"an issue of this zone at {issued_at.isoformat()} is already stored ({replaced} rows); "
                             "send \"replace\": true to replace it."}])
        existing.delete()
        WeatherForecast.objects.bulk_create([
            WeatherForecast(zone=zone, issued_at=issued_at, valid_at=row.valid_at, ghi_w_m2=row.ghi_w_m2,
                            wind_speed_m_s=row.wind_speed_m_s, temperature_c=row.temperature_c, source=source[:100])
            for row in clean
        ])
        audit_record(actor=actor, action="weather.ingested", obj=zone, before={"rows": replaced} if replaced else None,
                     after={"issued_at": issued_at.isoformat(), "rows": len(clean), "source": source,
                            "first": clean[0].valid_at.isoformat(), "last": clean[-1].valid_at.isoformat()})
    return len(clean)


# --- forecast runs -------------------------------------------------------------------------

def _round(values) -> list[float]:
    return [round(float(v), 6) for v in values]



def forecast_run_issue(*, network: Network, issued_at: dt.datetime | None = None, steps: int = 192,
                       step_minutes: int = 15, seed: int | None = None, bundle: ForecastBundle | None = None,
                       actor=None) -> ForecastRun:
    """Issue a network forecast and store its totals per quantile (for the timeline and scoring).

    Parameters
    ----------
    network: the network.
    issued_at: issue time (default now); rounded down to the quarter-hour, and the forecast
        starts there.
    steps / step_minutes / seed: as for :func:`forecast_injections`.
    bundle: an already computed bundle of this network to store instead of computing one
        (a projection run that needed the bundle anyway).
    actor: who asked.

    Returns
    -------
    The stored :class:`ForecastRun`; a ``forecast.issued`` live event goes to the DSO on commit.
    """
    if bundle is None:
        moment = floor_to_step(_aware(issued_at or timezone.now(), "issued_at"))
        bundle = forecast_injections(network=network, start=moment, steps=steps, step_minutes=step_minutes,
                                     seed=seed, issued_at=moment)
    elif bundle.network_id != network.pk:
        raise ForecastInputError("The bundle belongs to another network.")
    with transaction.atomic():
        run = ForecastRun.objects.create(
            network=network, issued_at=bundle.issued_at, start=bundle.start, steps=bundle.steps,
            step_minutes=bundle.step_minutes, seed=bundle.inputs["seed"], weather_source=bundle.inputs["weather"]["source"],
            inputs=bundle.inputs, created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        ForecastSeries.objects.bulk_create([
            ForecastSeries(run=run, quantity=name, p10=_round(frame["p10"]), p50=_round(frame["p50"]),
                           p90=_round(frame["p90"]))
            for name, frame in {**bundle.totals, **bundle.weather}.items()
        ])
        audit_record(actor=actor, action="forecast.issued", obj=run,
                     after={"network": network.pk, "issued_at": run.issued_at.isoformat(), "steps": run.steps,
                            "seed": run.seed, "weather": run.weather_source})
        event_publish_to_dso(kind="forecast.issued", payload=event_payload("forecast.issued", run))
    return run


def forecast_run_score(*, run: ForecastRun, now: dt.datetime | None = None,
                       actuals: ActualsSource | None = None) -> ForecastRun:
    """Score a run's matured steps (ended by ``now``) against actuals, per lead-time band.

    Scores are recomputed from all matured steps each time, so scoring again is harmless.

    Parameters
    ----------
    run: the forecast run.
    now: the present (default: now).
    actuals: the actuals source (default: :func:`~apps.forecasting.actuals.get_actuals_source`).

    Returns
    -------
    The run, with ``scored_through`` / ``fully_scored`` updated.
    """
    now = now or timezone.now()
    step = dt.timedelta(minutes=run.step_minutes)
    valid_times = pd.date_range(run.start, periods=run.steps, freq=f"{run.step_minutes}min")
    matured = (valid_times + step) <= pd.Timestamp(now)
    if not matured.any():
        return run
    source = actuals or get_actuals_source()
    observed = source.totals(network=run.network, valid_times=valid_times[matured], step_minutes=run.step_minutes)
    lead = np.maximum((valid_times - pd.Timestamp(run.issued_at)).total_seconds().to_numpy() / 3600.0, 0.0)
    with transaction.atomic():
        scored = []
        for series in ForecastSeries.objects.filter(run=run):
            if series.quantity not in observed:
                continue
            actual = np.full(run.steps, np.nan)
            actual[matured] = observed[series.quantity]
            forecast = {q: np.asarray(getattr(series, q), dtype=float) for q in QUANTILES}
            for band, score in score_bands(lead, actual, forecast).items():
                ForecastScore.objects.update_or_create(
                    run=run, quantity=series.quantity, band=band,
                    defaults={"n": score.n, "abs_error_sum": score.abs_error_sum, "pinball_sum": score.pinball_sum,
                              "banded": score.banded, "covered": score.covered, "actuals_source": source.name},
                )
            scored.append(series.quantity)
        run.scored_through = (valid_times[matured][-1] + step).to_pydatetime()
        run.fully_scored = bool(matured.all())
        run.save(update_fields=["scored_through", "fully_scored"])
        audit_record(actor=None, action="forecast.scored", obj=run,
                     after={"scored_through": run.scored_through.isoformat(), "fully_scored": run.fully_scored,
                            "quantities": scored, "actuals": source.name})
    return run


def forecast_runs_score_due(*, now: dt.datetime | None = None, actuals: ActualsSource | None = None) -> int:
    """Score every run that has matured steps not yet fully scored. Returns how many were scored."""
    now = now or timezone.now()
    count = 0
    for run in ForecastRun.objects.filter(fully_scored=False, start__lt=now).select_related("network"):
        forecast_run_score(run=run, now=now, actuals=actuals)
        count += 1
    return count


def forecast_backfill(*, network: Network, days: int = 2, every_hours: int = 6, now: dt.datetime | None = None,
                      actor=None) -> list[ForecastRun]:
    """Issue forecasts as of past times and score them (fills the accuracy table of a new demo).

    Parameters
    ----------
    network: the network.
    days: how far back (1–7).
    every_hours: one forecast every so many hours (1–24).
    now: the present (default now).
    actor: who asked.

    Returns
    -------
    The runs created (issue times that already have a run are skipped).
    """
    if not 1 <= days <= 7 or not 1 <= every_hours <= 24:
        raise ForecastInputError("days must be 1–7 and every_hours 1–24.")
    now = now or timezone.now()
    anchor = _aware(now, "now").replace(minute=0, second=0, microsecond=0)
    anchor -= dt.timedelta(hours=anchor.hour % every_hours)
    existing = set(ForecastRun.objects.filter(network=network).values_list("issued_at", flat=True))
    runs = []
    for k in range(days * 24 // every_hours, 0, -1):
        issued = anchor - dt.timedelta(hours=k * every_hours)
        if issued in existing:
            continue
        run = forecast_run_issue(network=network, issued_at=issued, actor=actor)
        runs.append(forecast_run_score(run=run, now=now))
    return runs
