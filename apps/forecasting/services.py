"""Forecasting writes: weather ingest, issuing and scoring forecast runs (the forecast itself
is a read: :func:`apps.forecasting.selectors.forecast_injections`).

Writes commit in one transaction with their audit event; nothing is half-stored.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.grid.models import Network
from apps.live.events import event_payload
from apps.live.services import event_publish_to_dso

from .actuals import ActualsSource, get_actuals_source
from .bundle import QUANTILES, ForecastBundle
from .calc.accuracy import score_bands
from .calc.assembly import ForecastInputError, aware_utc, lead_hours
from .calc.weather_rows import floor_to_step
from .models import ForecastRun, ForecastScore, ForecastSeries, WeatherForecast, WeatherZone
from .selectors import forecast_injections, weather_zone_of

log = logging.getLogger(__name__)

DEFAULT_ZONE_NAME = "Network zone"


class WeatherIngestError(ValueError):
    """A weather payload was rejected; ``errors`` lists every problem (row, field, message)."""

    def __init__(self, message: str, errors: list[dict]):
        super().__init__(message)
        self.errors = errors


# --- weather -------------------------------------------------------------------------------

@transaction.atomic
def weather_zone_ensure(*, network: Network, name: str = DEFAULT_ZONE_NAME, latitude: float | None = None,
                        longitude: float | None = None, actor=None) -> WeatherZone:
    """The network's weather zone, created (and audited) when it has none.

    Parameters
    ----------
    network: the network.
    name: name for a new zone.
    latitude / longitude: where the new zone's forecasts are for (WGS84 degrees).
    actor: who asked (for the audit trail).

    Returns
    -------
    The existing first zone of the network, or a new one.
    """
    zone = weather_zone_of(network)
    if zone is None:
        zone = WeatherZone.objects.create(network=network, name=name, latitude=latitude, longitude=longitude)
        audit_record(actor=actor, action="weather_zone.created", obj=zone,
                     after={"network": network.pk, "name": name, "latitude": latitude, "longitude": longitude})
    return zone


def weather_forecast_ingest(*, zone: WeatherZone, issued_at: dt.datetime, rows: Sequence[Mapping], source: str = "",
                            replace: bool = False, actor=None) -> int:
    """Store one issued weather forecast for a zone: all rows or none.

    Parameters
    ----------
    zone: the weather zone.
    issued_at: issue time (tz-aware).
    rows: rows as :class:`~apps.forecasting.api.WeatherRowSerializer` validates them (``valid_at``
        tz-aware on the quarter-hour within 48 h of issue, each once; ``ghi_w_m2``,
        ``wind_speed_m_s``, ``temperature_c`` in range).
    source: provider label.
    replace: replace an already stored issue with the same ``issued_at`` (otherwise rejected).
    actor: who sent it.

    Returns
    -------
    Number of rows stored.

    Raises
    ------
    WeatherIngestError: the issue is already stored and ``replace`` is false, or ``issued_at`` is
        naive; nothing was stored or replaced.
    """
    if not isinstance(issued_at, dt.datetime) or timezone.is_naive(issued_at):
        raise WeatherIngestError("The weather forecast was rejected: issued_at is not a timezone-aware time.",
                                 [{"row": 0, "field": "issued_at", "message": "must be a timezone-aware time."}])
    clean = sorted(rows, key=lambda row: row["valid_at"])
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
            WeatherForecast(zone=zone, issued_at=issued_at, valid_at=row["valid_at"], ghi_w_m2=row["ghi_w_m2"],
                            wind_speed_m_s=row["wind_speed_m_s"], temperature_c=row["temperature_c"],
                            source=source[:100])
            for row in clean
        ])
        audit_record(actor=actor, action="weather.ingested", obj=zone, before={"rows": replaced} if replaced else None,
                     after={"issued_at": issued_at.isoformat(), "rows": len(clean), "source": source,
                            "first": clean[0]["valid_at"].isoformat(), "last": clean[-1]["valid_at"].isoformat()})
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
        moment = floor_to_step(aware_utc(issued_at or timezone.now(), "issued_at"))
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
    lead = lead_hours(valid_times, run.issued_at)
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
    anchor = aware_utc(now, "now").replace(minute=0, second=0, microsecond=0)
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
