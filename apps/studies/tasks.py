"""Celery tasks: thin, they take ids and call services."""
from __future__ import annotations

import logging
import os
import socket

from celery import shared_task
from celery.signals import worker_ready

from .registry import StudyError, study_kind
from .services import (
    INTERNAL_ERROR, studies_reap, study_heartbeat, study_run_claim, study_run_fail, study_run_progress,
    study_run_succeed,
)

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="studies.run_study", acks_late=True)
def run_study(run_id: int) -> str:
    run = study_run_claim(run_id=run_id, worker=worker_name())
    if run is None:
        return "skipped"  # another attempt holds it, or it finished: a redelivered message
    claim = run.claim
    with study_heartbeat(run_id=run_id, claim=claim):
        try:
            result = study_kind(run.kind).run(run, lambda pct, stage: study_run_progress(run=run, progress=pct, stage=stage))
        except StudyError as exc:  # a reason the user can act on
            log.info("study %s failed: %s", run_id, exc)
            study_run_fail(run=run, error=str(exc), claim=claim)
        except Exception:  # noqa: BLE001 - the traceback goes to the log, a plain message to the user
            log.exception("study %s failed", run_id)
            study_run_fail(run=run, error=INTERNAL_ERROR.format(id=run_id), claim=claim)
        else:
            if result is not None:  # None: the kind fanned out; its last task finishes the run
                study_run_succeed(run=run, result=result, claim=claim)
    return run.state


@shared_task(name="studies.reap")
def reap_studies() -> dict:
    """Beat: requeue or fail studies whose worker is gone; send studies the broker never got."""
    return studies_reap()


@worker_ready.connect
def _sweep_on_start(sender=None, **kwargs) -> None:
    # A worker coming up (after a crash, or the broker's return) sends what is waiting at once.
    try:
        studies_reap()
    except Exception:  # noqa: BLE001 - never stop a worker from starting
        log.warning("study sweep at worker start failed", exc_info=True)
