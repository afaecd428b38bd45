"""Study-run lifecycle: create, dispatch (outbox), claim, heartbeat, progress, finish, reap.
Every change publishes a live event on the requesting organisation's stream.

Exactly once, after Celery's reliability recipe (acks_late, a sane visibility timeout) plus:

- **Outbox.** The row is the outbox: a study is committed ``queued`` with ``dispatched_at`` empty,
  and handed to the broker on commit. If the broker is down the request still succeeds; the sweep
  (beat, and each worker as it starts) sends every queued study that was never handed over, or was
  handed over so long ago that the message must have been lost (a Redis restart without data).
- **Claim.** A task runs a study only if it moves it from ``queued`` to ``running`` (the
  ``start`` transition) in one conditional UPDATE (``... WHERE state = 'queued'``, django-fsm-2's
  ``ConcurrentTransitionMixin``), with a fresh token; a redelivered or duplicate message finds it
  taken and does nothing. Success and failure are recorded only by the holder of the running study, so there
  is one result and one ``study.finished`` event.
- **Heartbeat and reaper.** The attempt refreshes ``heartbeat_at`` while it runs. A running study
  whose heartbeat is older than ``STUDY_STALE_SECONDS`` lost its worker: the reaper queues it
  again, or after ``STUDY_MAX_ATTEMPTS`` fails it with a plain reason.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransition, has_transition_perm

from apps.audit.services import audit_record
from apps.live.events import event_payload
from apps.live.services import event_publish
from apps.live.streams import org_stream

from .models import StudyRun

log = logging.getLogger(__name__)

INTERNAL_ERROR = ("The study stopped because of an internal error. It has been logged for the support team "
                  "(study #{id}); please run it again, and tell support if it fails again.")


def _publish(run: StudyRun, kind: str) -> None:
    if run.organisation_id:
        event_publish(stream=org_stream(run.organisation_id), kind=kind, payload=event_payload(kind, run))


@transaction.atomic
def study_run_create(*, kind: str, network=None, parameters: dict | None = None, requested_by=None,
                     organisation=None) -> StudyRun:
    """Queue a study. Its task is sent to the workers once this transaction commits; if the broker
    is down then, the sweep sends it when the broker is back."""
    run = StudyRun.objects.create(
        kind=kind, network=network, parameters=parameters or {}, requested_by=requested_by,
        organisation=organisation or getattr(requested_by, "organisation", None), stage="Queued",
    )
    audit_record(actor=requested_by, action="study.queued", obj=run, after={"kind": kind, "parameters": run.parameters})
    _publish(run, "study.queued")
    run_id = run.pk
    transaction.on_commit(lambda: study_run_dispatch(run_id=run_id))
    return run


def study_run_dispatch(*, run_id: int) -> bool:
    """Hand a queued study to the broker and note when. Never raises: a broker outage leaves it
    for the sweep. Returns whether the broker took it."""
    from .background import study_run_in_background
    from .tasks import run_study  # tasks import services

    try:
        if not study_run_in_background(run_id=run_id):  # embedded: off the request thread
            run_study.delay(run_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure; the sweep retries
        log.warning("broker unavailable (%s: %s): study %s stays queued until the sweep sends it",
                    exc.__class__.__name__, exc, run_id)
        return False
    StudyRun.objects.filter(pk=run_id, state=StudyRun.State.QUEUED).update(dispatched_at=timezone.now())
    return True


def study_run_claim(*, run_id: int, worker: str = "") -> StudyRun | None:
    """Take a queued study for this attempt, atomically. Returns it running with a fresh claim
    token, or None when another attempt holds it or it has finished (a redelivered message)."""
    run = StudyRun.objects.select_related("network").filter(pk=run_id, state=StudyRun.State.QUEUED).first()
    if run is None:
        return None
    try:
        with transaction.atomic():
            run.start(claim=uuid.uuid4().hex, worker=worker, now=timezone.now())
            # UPDATE ... WHERE state = 'queued': one attempt wins.
            run.save(update_fields=["state", "claim", "worker", "attempts", "heartbeat_at", "started_at", "progress",
                                    "stage"])
            _publish(run, "study.progress")
    except ConcurrentTransition:
        return None  # another attempt took it between the read and the write
    return run


def study_run_beat(*, run_id: int, claim: str | None = None) -> bool:
    """Refresh the heartbeat of a running study (only the holding attempt's, when ``claim`` is
    given). Returns False once the study is no longer this attempt's to run."""
    runs = StudyRun.objects.filter(pk=run_id, state=StudyRun.State.RUNNING)
    if claim is not None:
        runs = runs.filter(claim=claim)
    return bool(runs.update(heartbeat_at=timezone.now()))


@contextmanager
def study_heartbeat(*, run_id: int, claim: str | None = None, every: float | None = None):
    """Beat for the study from a background thread while the block runs (a long engine call
    reports no progress for minutes)."""
    every = every or settings.STUDY_HEARTBEAT_SECONDS
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    if not study_run_beat(run_id=run_id, claim=claim):
                        return
                except Exception:  # noqa: BLE001 - a database blink: try again next beat
                    log.warning("heartbeat of study %s failed", run_id, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"study-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)


@transaction.atomic
def study_run_progress(*, run: StudyRun, progress: int, stage: str) -> StudyRun:
    """Record progress (not a transition: a plain UPDATE, skipped once the run has finished, e.g.
    cancelled or failed by the reaper while this attempt still computes)."""
    run.progress, run.stage = max(0, min(100, int(progress))), stage[:200]
    run.heartbeat_at = timezone.now()
    if StudyRun.objects.filter(pk=run.pk).exclude(state__in=StudyRun.FINISHED).update(
            progress=run.progress, stage=run.stage, heartbeat_at=run.heartbeat_at):
        _publish(run, "study.progress")
    return run


def _lock_running(run: StudyRun, claim: str | None) -> StudyRun | None:
    """The study locked for finishing, or None when it is not this finisher's to finish.

    With ``claim`` (the attempt that ran it), the study must be running under that claim. Without
    (the last task of a fanned-out study), it may also be queued: the reaper requeued it while
    its remaining tasks were still on their way, and their result completes it all the same."""
    locked = StudyRun.objects.select_for_update().filter(pk=run.pk).first()
    allowed = (StudyRun.State.RUNNING,) if claim is not None else (StudyRun.State.RUNNING, StudyRun.State.QUEUED)
    if locked is None or locked.state not in allowed or (claim is not None and locked.claim != claim):
        log.warning("study %s: a late or duplicate attempt finished; its outcome is discarded", run.pk)
        return None
    return locked


def _finish(run: StudyRun, claim: str | None, finish: Callable[[StudyRun], None], fields: list[str]) -> StudyRun:
    """Make the transition ``finish`` on the locked run, save it with ``fields`` and announce it;
    a late or duplicate attempt changes nothing. Returns ``run`` refreshed either way."""
    locked = _lock_running(run, claim)
    if locked is not None:
        finish(locked)
        locked.save(update_fields=["state", "finished_at", *fields])
        _publish(locked, "study.finished")
    run.refresh_from_db()
    return run


@transaction.atomic
def study_run_succeed(*, run: StudyRun, result: dict, claim: str | None = None) -> StudyRun:
    return _finish(run, claim, lambda r: r.succeed(result=result, now=timezone.now()), ["progress", "stage", "result"])


@transaction.atomic
def study_run_fail(*, run: StudyRun, error: str, claim: str | None = None) -> StudyRun:
    """Fail a running study with ``error``: a plain sentence for users (tracebacks go to the log)."""
    return _finish(run, claim, lambda r: r.fail(error=error, now=timezone.now()), ["stage", "error"])


class StudyCancelError(Exception):
    """The study has finished: there is nothing to cancel."""


@transaction.atomic
def study_run_cancel(*, run: StudyRun, user) -> StudyRun:
    """Cancel a queued or running study (its requester or DSO staff). A running attempt stops
    beating and its outcome is discarded; a fanned-out study's remaining tasks finish nothing."""
    locked = StudyRun.objects.select_for_update().get(pk=run.pk)
    if locked.state in StudyRun.FINISHED:
        raise StudyCancelError("This study has finished; there is nothing to cancel.")
    if not has_transition_perm(locked.cancel, user):
        raise PermissionDenied("Only the person who queued this study, or DSO staff, may cancel it.")
    locked.cancel(by=user, now=timezone.now())
    locked.save(update_fields=["state", "stage", "finished_at"])
    _publish(locked, "study.finished")
    return locked


def studies_reap(*, now: dt.datetime | None = None) -> dict:
    """Requeue (or fail, after too many attempts) running studies whose worker is gone, and send
    queued studies the broker never got. Returns counts: requeued, failed, dispatched."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.STUDY_STALE_SECONDS)
    counts = {"requeued": 0, "failed": 0, "dispatched": 0}
    lost = StudyRun.objects.filter(state=StudyRun.State.RUNNING).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale))
    for run_id in list(lost.values_list("pk", flat=True)):
        outcome = _reap_one(run_id=run_id, stale=stale)
        if outcome:
            counts[outcome] += 1
    grace = now - dt.timedelta(seconds=settings.STUDY_DISPATCH_GRACE_SECONDS)
    resend = now - dt.timedelta(seconds=settings.STUDY_REDISPATCH_SECONDS)
    unsent = StudyRun.objects.filter(state=StudyRun.State.QUEUED).filter(
        Q(dispatched_at__isnull=True, created_at__lt=grace) | Q(dispatched_at__lt=resend))
    for run_id in list(unsent.order_by("created_at").values_list("pk", flat=True)):
        counts["dispatched"] += study_run_dispatch(run_id=run_id)
    if any(counts.values()):
        log.info("studies reaped: %s", counts)
    return counts


def _reap_one(*, run_id: int, stale: dt.datetime) -> str | None:
    with transaction.atomic():
        run = StudyRun.objects.select_for_update().filter(pk=run_id, state=StudyRun.State.RUNNING).first()
        last_sign = run.heartbeat_at or run.started_at if run is not None else None
        if run is None or (last_sign is not None and last_sign >= stale):
            return None  # finished or beat meanwhile
        lost_worker = run.worker or "unknown worker"
        if run.attempts >= settings.STUDY_MAX_ATTEMPTS:
            log.error("study %s: worker %s stopped responding; attempt %s of %s, failing it",
                      run_id, lost_worker, run.attempts, settings.STUDY_MAX_ATTEMPTS)
            run.fail(error=(f"The worker running this study stopped responding {run.attempts} times, so it "
                            "was stopped. Please run it again; if it stops again, tell support."),
                     now=timezone.now())
            run.save(update_fields=["state", "stage", "error", "finished_at"])
            _publish(run, "study.finished")
            return "failed"
        log.warning("study %s: worker %s stopped responding; queueing attempt %s of %s",
                    run_id, lost_worker, run.attempts + 1, settings.STUDY_MAX_ATTEMPTS)
        run.requeue(stage=(f"Queued again after its worker stopped (attempt {run.attempts + 1} of "
                           f"{settings.STUDY_MAX_ATTEMPTS})"))
        run.save(update_fields=["state", "claim", "heartbeat_at", "dispatched_at", "stage"])
        _publish(run, "study.progress")
        transaction.on_commit(lambda: study_run_dispatch(run_id=run_id))
        return "requeued"
