"""Celery tasks: thin, they take ids and call services.

Suggested beat entries (settings are not this app's to edit):
``forecasting.issue`` every 15 minutes per network, ``forecasting.score_due`` hourly.
"""
from __future__ import annotations

from celery import shared_task

from apps.grid.models import Network

from .services import forecast_run_issue, forecast_runs_score_due


@shared_task(name="forecasting.issue")
def forecast_issue_task(network_id: int) -> int:
    run = forecast_run_issue(network=Network.objects.get(pk=network_id))
    return run.pk


@shared_task(name="forecasting.score_due")
def forecast_score_due_task() -> int:
    return forecast_runs_score_due()
