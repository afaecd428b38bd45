"""Study runs: anything the workers compute, with its state, progress and result."""
from django.conf import settings
from django.db import models

from .registry import study_kind_choices


class StudyRun(models.Model):
    tenant_field = "organisation"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    STATE_COLOURS = {"queued": "grey", "running": "blue", "succeeded": "green", "failed": "red"}
    FINISHED = (State.SUCCEEDED, State.FAILED)

    # The kinds are registered by the apps that own them (apps/studies/registry.py).
    kind = models.CharField(max_length=30, choices=study_kind_choices)
    network = models.ForeignKey("grid.Network", null=True, blank=True, on_delete=models.CASCADE, related_name="study_runs")
    parameters = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED, db_index=True)
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

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def as_event(self) -> dict:
        return {
            "id": self.pk, "kind": self.kind, "network": self.network_id, "state": self.state,
            "progress": self.progress, "stage": self.stage, "error": self.error,
        }
