"""The forecasts page for DSO staff: the latest forecast timeline and accuracy per lead band."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from django import forms
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.decorators import dso_staff_required, engineer_required
from apps.accounts.templatetags.clock import clock
from apps.common.figure_cache import figure_cached
from apps.common.figures import figure_in_zone
from apps.grid.models import Network
from apps.grid.selectors import network_default

from .actuals import get_actuals_source
from .calc.accuracy import LEAD_BANDS
from .figures import forecast_timeline_figure, weather_figure
from .models import ForecastRun
from .filters import AccuracyFilterSet, ForecastRunFilterSet
from .selectors import (
    accuracy_rows,
    forecast_run_series,
    forecast_runs_for,
    forecast_scores_for,
    latest_forecast_run,
    weather_newest_issue,
    weather_zone_of,
)
from .services import ForecastInputError, forecast_backfill, forecast_run_issue, forecast_run_score

ACCURACY_QUANTITIES = ("demand", "ev", "pv", "wind", "net_export")
BANDS = [name for name, _, _ in LEAD_BANDS]


class NetworkChoiceForm(forms.Form):
    network = forms.ModelChoiceField(queryset=Network.objects.all(), required=False)


def _network(request) -> Network | None:
    form = NetworkChoiceForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        raise Http404("No such network.")
    return form.cleaned_data["network"] or network_default()


def _network_to_forecast(request) -> Network:
    """The network a forecast action is for; refused when there is none at all."""
    network = _network(request)
    if network is None:
        raise PermissionDenied("There is no network to forecast.")
    return network


def _accuracy_table(rows: list[dict]) -> list[dict]:
    """Pivot the accuracy rows: one row per quantity, one cell per lead band (None if unscored)."""
    by_quantity: dict[str, dict] = {}
    for row in rows:
        entry = by_quantity.setdefault(row["quantity"], {"label": row["label"], "cells": dict.fromkeys(BANDS)})
        entry["cells"][row["band"]] = row
    return [{"label": e["label"], "cells": [e["cells"][b] for b in BANDS]}
            for q in ACCURACY_QUANTITIES if (e := by_quantity.get(q))]


def _actuals_so_far(run: ForecastRun, now) -> dict[str, list] | None:
    """Actuals for the steps of ``run`` that have ended (None values afterwards)."""
    times = pd.date_range(run.start, periods=run.steps, freq=f"{run.step_minutes}min")
    done = (times + pd.Timedelta(minutes=run.step_minutes)) <= pd.Timestamp(now)
    if not done.any():
        return None
    observed = get_actuals_source().totals(network=run.network, valid_times=times[done], step_minutes=run.step_minutes)
    out = {}
    for quantity, values in observed.items():
        full = np.full(run.steps, np.nan)
        full[done] = values
        out[quantity] = [None if math.isnan(v) else round(float(v), 6) for v in full]
    return out


@dso_staff_required
def forecasts_page(request):
    network = _network(request)
    if network is None:
        return render(request, "forecasting/forecasts.html", {"network": None})
    now = timezone.now()
    run = latest_forecast_run(network=network)
    figure = None
    if run is not None:
        # Built once per run and minute (its "now" line and the actuals so far move with the
        # clock), then shared by every operator through the cache (apps.common.figure_cache).
        minute = now.replace(second=0, microsecond=0)
        figure = figure_cached(key=f"forecast:{run.pk}:{minute:%Y%m%d%H%M}", build=lambda: forecast_timeline_figure(
            run, forecast_run_series(run=run), _actuals_so_far(run, minute), now=minute))
    # The same FilterSets as the API's lists, on the page's network (?days=, ?fully_scored= apply too).
    query = {**request.GET.dict(), "network": network.pk}
    scores = AccuracyFilterSet(query, queryset=forecast_scores_for(request.user)).qs
    runs = ForecastRunFilterSet(query, queryset=forecast_runs_for(request.user)).qs
    accuracy = _accuracy_table(accuracy_rows(scores.filter(quantity__in=ACCURACY_QUANTITIES)))
    zone = weather_zone_of(network)
    return render(request, "forecasting/forecasts.html", {
        "weather_zone": zone,
        "weather_upload": weather_newest_issue(zone=zone) if zone else None,
        "run_weather": (run.inputs or {}).get("weather", {}) if run else {},
        "network": network,
        "networks": Network.objects.all(),
        "run": run,
        "figure": figure,
        "accuracy": accuracy,
        "bands": BANDS,
        "runs": runs.order_by("-issued_at", "-id")[:10],
    })


@dso_staff_required
def weather_figure_view(request):
    """The weather chart of the forecasts page as Plotly JSON (fetched by the page after it
    loads): the latest forecast's irradiance, wind and temperature bands and the zone's newest
    upload. ``{"figure": null}`` when there is neither."""
    network = _network(request)
    if network is None:
        return JsonResponse({"figure": None})
    run = latest_forecast_run(network=network)
    zone = weather_zone_of(network)
    figure = weather_figure(run=run, series=forecast_run_series(run=run) if run else {},
                            uploaded=weather_newest_issue(zone=zone) if zone else None, now=timezone.now())
    # times in the reader's zone, as on every chart of the page (apps.common.figures)
    return JsonResponse({"figure": figure_in_zone(figure, timezone.get_current_timezone())})


def _back(network: Network):
    return redirect(f"{reverse('forecasting:page')}?network={network.pk}")


@dso_staff_required
@require_POST
def forecast_issue(request):
    """Issue a forecast now (operators and engineers) and score anything that has matured."""
    network = _network_to_forecast(request)
    run = forecast_run_issue(network=network, actor=request.user)
    # Score what has matured since (a beat task does this too; bounded so a click stays quick).
    due = ForecastRun.objects.filter(network=network, fully_scored=False, start__lt=run.issued_at).exclude(pk=run.pk)
    for old in due.order_by("-issued_at")[:20]:
        forecast_run_score(run=old)
    messages.info(request, f"Forecast #{run.pk} issued for {clock(run.issued_at)}.")
    return _back(network)


@engineer_required
@require_POST
def forecast_backfill_view(request):
    """Fill the accuracy table with forecasts issued over the last days (engineers)."""
    network = _network_to_forecast(request)
    try:
        runs = forecast_backfill(network=network, days=2, every_hours=6, actor=request.user)
    except ForecastInputError as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, f"{len(runs)} past forecast(s) issued and scored.")
    return _back(network)
