"""Celery tasks: thin, they take ids and call services."""
from __future__ import annotations

import logging
import traceback

from celery import shared_task

from .kinds import KINDS
from .models import StudyRun
from .services import study_run_fail, study_run_progress, study_run_start, study_run_succeed

log = logging.getLogger(__name__)


@shared_task(name="studies.run_study", acks_late=True)
def run_study(run_id: int) -> str:
    run = StudyRun.objects.select_related("network").get(pk=run_id)
    if run.state in StudyRun.FINISHED:
        return run.state  # redelivered after completion: nothing to do
    study_run_start(run=run)
    try:
        result = KINDS[run.kind](run, lambda pct, stage: study_run_progress(run=run, progress=pct, stage=stage))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the run
        log.exception("study %s failed", run_id)
        study_run_fail(run=run, error=f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=3)}")
    else:
        if result is not None:  # None: the kind fanned out; its last task finishes the run
            study_run_succeed(run=run, result=result)
    return run.state
