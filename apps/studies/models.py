"""Study runs: anything the workers compute, with its state, progress and result.

A run is a state machine (django-fsm-2): its state changes only through the transitions below,
each audited (apps/audit/transitions.py) and each saved by a service in apps/studies/services.py
under a conditional UPDATE (``ConcurrentTransitionMixin``: the row is written only if its state
is still the one read), which is what makes a claim exactly-once.

    queued --start--> running --succeed--> succeeded
       ^                 |  \--fail-----> failed
       +----requeue------+   (the reaper, when its worker is gone)
    queued / running --cancel--> cancelled (the requester or DSO staff)
"""
import datetime as dt

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .registry import study_kind_choices


def _may_cancel(run: "StudyRun", user) -> bool:
    return bool(user and user.is_authenticated and (user.is_dso_staff or user.pk == run.requested_by_id))


class StudyRun(ConcurrentTransitionMixin, models.Model):
    tenant_field = "organisation"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    STATE_COLOURS = {"queued": "grey", "running": "blue", "succeeded": "green", "failed": "red", "cancelled": "grey"}
    FINISHED = (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    # The kinds are registered by the apps that own them (apps/studies/registry.py).
    kind = models.CharField(max_length=30, choices=study_kind_choices)
    network = models.ForeignKey("grid.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="study_runs")
    parameters = models.JSONField(default=dict, blank=True)
    state = FSMField(max_length=20, choices=State.choices, default=State.QUEUED, db_index=True, protected=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent complete")
    stage = models.CharField(max_length=200, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Exactly-once bookkeeping (see apps/studies/services.py): the broker hand-off (outbox), the
    # attempt that holds the run, and its heartbeat, which the reaper watches.
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="When the task was last handed to the broker")
    claim = models.CharField(max_length=64, blank=True, help_text="Token of the attempt running it")
    worker = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="study_state_heartbeat")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"

    # --- transitions (the services lock, save and publish; see apps/studies/services.py) ---

    @transition(field=state, source=State.QUEUED, target=State.RUNNING, custom={"audit": "study.started"})
    def start(self, *, claim: str, worker: str, now: dt.datetime) -> None:
        """A worker's attempt takes the run."""
        self.claim, self.worker, self.attempts = claim, worker[:200], self.attempts + 1
        self.heartbeat_at = self.started_at = now
        self.progress, self.stage = 0, "Starting"

    # Queued too: the last task of a fanned-out run finishes it even after the reaper requeued it.
    @transition(field=state, source=[State.RUNNING, State.QUEUED], target=State.SUCCEEDED,
                custom={"audit": "study.succeeded"})
    def succeed(self, *, result: dict, now: dt.datetime) -> None:
        self.progress, self.stage, self.result, self.finished_at = 100, "Done", result, now

    @transition(field=state, source=[State.RUNNING, State.QUEUED], target=State.FAILED,
                custom={"audit": "study.failed"})
    def fail(self, *, error: str, now: dt.datetime) -> None:
        """``error`` is a plain sentence for users (tracebacks go to the log)."""
        self.stage, self.error, self.finished_at = "Failed", error[:2000], now

    @transition(field=state, source=State.RUNNING, target=State.QUEUED, custom={"audit": "study.requeued"})
    def requeue(self, *, stage: str) -> None:
        """The reaper: its worker stopped responding; the next attempt starts afresh."""
        self.claim, self.heartbeat_at, self.dispatched_at, self.stage = "", None, None, stage[:200]

    @transition(field=state, source=[State.QUEUED, State.RUNNING], target=State.CANCELLED,
                permission=_may_cancel, custom={"audit": "study.cancelled"})
    def cancel(self, *, by, now: dt.datetime) -> None:
        """A running attempt notices at its next heartbeat and its outcome is discarded."""
        self.stage, self.finished_at = f"Cancelled by {by.get_full_name() or by.username}"[:200], now

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
