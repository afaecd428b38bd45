"""ANM projections: runs, the constraint episodes they foresee, and the alarms operators handle."""
from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class ProjectionRun(models.Model):
    """One projection study: forecast → engine → episodes. Keeps its inputs to be reproducible."""

    study = models.OneToOneField("studies.StudyRun", on_delete=models.CASCADE, related_name="projection")
    network = models.ForeignKey("grid.Network", on_delete=models.CASCADE, related_name="projections")
    start = models.DateTimeField(help_text="First valid time")
    issued_at = models.DateTimeField(help_text="Forecast data cut-off")
    steps = models.PositiveIntegerField()
    step_minutes = models.PositiveIntegerField(default=15)
    inputs = models.JSONField(default=dict, help_text="Seed, limits, rule, revision: enough to rerun it")
    partitions_total = models.PositiveIntegerField(default=1)
    partitions_done = models.PositiveIntegerField(default=0)
    timeline = models.JSONField(default=dict, blank=True)
    heatmap = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The live projection starts now and drives the control room (its view, alarms, curtailment).
    # A what-if (another start: hours ahead, or a replay of the past) is kept apart: it never
    # replaces the live one, raises or clears no alarm and instructs no curtailment.
    live = models.BooleanField(default=True)

    class Meta:
        ordering = ["-start", "-id"]

    def __str__(self) -> str:
        return f"Projection #{self.pk} of {self.network} from {self.start:%d %b %H:%M}"


class ProjectionPartition(models.Model):
    """The share of a run computed by one worker: one primary substation's network."""

    run = models.ForeignKey(ProjectionRun, on_delete=models.CASCADE, related_name="partitions")
    number = models.PositiveIntegerField()
    substation = models.CharField(max_length=200)
    episodes = models.JSONField(default=list)
    heatmap_rows = models.JSONField(default=list)
    seconds = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="partition_unique_number")]


def _is_dso_staff(alarm: "Alarm", user) -> bool:
    return bool(user and user.is_authenticated and user.is_dso_staff)


class Alarm(ConcurrentTransitionMixin, models.Model):
    """One alarm per foreseen constraint (element + kind), however many reruns see it. An
    acknowledgement holds until a later run finds the constraint more severe.

    A state machine (django-fsm-2), each transition audited (apps/audit/transitions.py):

        (raised) active --acknowledge (DSO staff)--> acknowledged --escalate (a worse run)--> active
        active / acknowledged --clear (a run that no longer sees it)--> cleared
    """

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CLEARED = "cleared", "Cleared"

    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    network = models.ForeignKey("grid.Network", on_delete=models.CASCADE, related_name="alarms")
    key = models.CharField(max_length=120, help_text="location:index:kind")
    voltage_level = models.CharField(max_length=5, default="mv")
    title = models.CharField(max_length=300)
    state = FSMField(max_length=20, choices=State.choices, default=State.ACTIVE, db_index=True, protected=True)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    breach_at = models.DateTimeField(help_text="When the constraint is expected to start")
    peak_value = models.FloatField()
    unit = models.CharField(max_length=5)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    last_run = models.ForeignKey(ProjectionRun, null=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["state", "breach_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "key"], condition=~models.Q(state="cleared"), name="alarm_one_open_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title} ({self.state})"

    # --- transitions (saved and published by apps/anm/services.py) ---

    @transition(field=state, source=State.ACTIVE, target=State.ACKNOWLEDGED, permission=_is_dso_staff,
                custom={"audit": "alarm.acknowledged"})
    def acknowledge(self, *, by, now) -> None:
        self.acknowledged_by, self.acknowledged_at = by, now

    @transition(field=state, source=State.ACKNOWLEDGED, target=State.ACTIVE, custom={"audit": "alarm.escalated"})
    def escalate(self) -> None:
        """Worse than what the operator acknowledged: ask again."""
        self.acknowledged_by, self.acknowledged_at = None, None

    @transition(field=state, source=[State.ACTIVE, State.ACKNOWLEDGED], target=State.CLEARED,
                custom={"audit": "alarm.cleared"})
    def clear(self, *, now) -> None:
        self.cleared_at = now


class ConstraintEpisode(models.Model):
    """A constraint a projection run foresees at one constraint location, merged across the cases."""

    run = models.ForeignKey(ProjectionRun, on_delete=models.CASCADE, related_name="episodes")
    alarm = models.ForeignKey(Alarm, null=True, blank=True, on_delete=models.SET_NULL, related_name="episodes")
    element = models.CharField(max_length=10)  # the location: feeder, trafo, primary, line, busbar
    pp_index = models.IntegerField()
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)  # thermal, overvoltage, undervoltage, export, import
    level = models.CharField(max_length=10)  # violation, prealarm
    direction = models.CharField(max_length=10, blank=True, help_text="export-type or import-type")
    voltage_level = models.CharField(max_length=5, blank=True, help_text="mv (the ANM list) or lv (planning list)")
    case = models.CharField(max_length=10, blank=True, help_text="The case whose numbers are shown (export, median, import)")
    cases = models.JSONField(default=list, help_text="Cases that see it, e.g. ['export', 'median']")
    worst = models.JSONField(default=dict, help_text="The worst element: element, pp_index, name")
    members = models.JSONField(default=list, help_text="Every element affected, worst first")
    members_count = models.PositiveIntegerField(default=1)
    voltage_support = models.JSONField(default=dict, blank=True, help_text="Reactive power and OLTC target before curtailment")
    uncleared_mw = models.FloatField(default=0.0, help_text="What even full curtailment of the group leaves")
    confirmed = models.BooleanField(null=True, help_text="A re-solve with the plan applied clears it")
    start = models.DateTimeField()
    end = models.DateTimeField()
    peak_at = models.DateTimeField()
    peak_value = models.FloatField()
    limit = models.FloatField()
    unit = models.CharField(max_length=5)
    relief_mw = models.JSONField(default=list)
    headroom_mw = models.JSONField(default=list)
    coverable = models.BooleanField(default=True)
    flex_assets = models.JSONField(default=list)
    curtailment = models.JSONField(default=list)
    severity = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["start", "element", "pp_index"]

    @property
    def key(self) -> str:
        return f"{self.element}:{self.pp_index}:{self.kind}"


class CurtailmentInstruction(models.Model):
    """Curtailment the ANM instructs for one interval: the first interval of the live projection's
    plan. One row per generator and interval (a rerun within the interval replaces it), so the
    sum is each generator's cumulative curtailment."""

    network = models.ForeignKey("grid.Network", on_delete=models.CASCADE, related_name="curtailments")
    der = models.ForeignKey("grid.DERAsset", on_delete=models.CASCADE, related_name="curtailments")
    interval_start = models.DateTimeField()
    interval_minutes = models.PositiveIntegerField(default=15)
    mw = models.FloatField()
    run = models.ForeignKey(ProjectionRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-interval_start"]
        constraints = [models.UniqueConstraint(fields=["der", "interval_start"], name="curtailment_one_per_interval")]

    @property
    def mwh(self) -> float:
        return self.mw * self.interval_minutes / 60.0
