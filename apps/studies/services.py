"""Study-run lifecycle: create (enqueued on commit), progress, finish. Every change publishes a
live event on the requesting organisation's stream."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.live.services import event_publish

from .models import StudyRun


def _publish(run: StudyRun, kind: str) -> None:
    if run.organisation_id:
        event_publish(stream=f"org-{run.organisation_id}", kind=kind, payload=run.as_event())


@transaction.atomic
def study_run_create(*, kind: str, network=None, parameters: dict | None = None, requested_by=None,
                     organisation=None) -> StudyRun:
    """Queue a study. Its task is sent to the workers only once this transaction commits."""
    from .tasks import run_study  # tasks import services

    run = StudyRun.objects.create(
        kind=kind, network=network, parameters=parameters or {}, requested_by=requested_by,
        organisation=organisation or getattr(requested_by, "organisation", None), stage="Queued",
    )
    audit_record(actor=requested_by, action="study.queued", obj=run, after={"kind": kind, "parameters": run.parameters})
    _publish(run, "study.queued")
    transaction.on_commit(lambda: run_study.delay(run.pk))
    return run


@transaction.atomic
def study_run_start(*, run: StudyRun) -> StudyRun:
    run.state, run.progress, run.stage, run.started_at = StudyRun.State.RUNNING, 0, "Starting", timezone.now()
    run.save(update_fields=["state", "progress", "stage", "started_at"])
    _publish(run, "study.progress")
    return run


@transaction.atomic
def study_run_progress(*, run: StudyRun, progress: int, stage: str) -> StudyRun:
    run.progress, run.stage = max(0, min(100, int(progress))), stage[:200]
    run.save(update_fields=["progress", "stage"])
    _publish(run, "study.progress")
    return run


@transaction.atomic
def study_run_succeed(*, run: StudyRun, result: dict) -> StudyRun:
    run.state, run.progress, run.stage, run.result = StudyRun.State.SUCCEEDED, 100, "Done", result
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "progress", "stage", "result", "finished_at"])
    _publish(run, "study.finished")
    return run


@transaction.atomic
def study_run_fail(*, run: StudyRun, error: str) -> StudyRun:
    run.state, run.stage, run.error, run.finished_at = StudyRun.State.FAILED, "Failed", error, timezone.now()
    run.save(update_fields=["state", "stage", "error", "finished_at"])
    _publish(run, "study.finished")
    return run
