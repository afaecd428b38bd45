from django.contrib import admin

from .models import Alarm, ConstraintEpisode, CurtailmentInstruction, ProjectionRun


class ComputedAdmin(admin.ModelAdmin):
    """Projections, episodes and alarms are made by the ANM, not typed in."""

    def has_add_permission(self, request):
        return False


@admin.register(ProjectionRun)
class ProjectionRunAdmin(ComputedAdmin):
    list_display = ("id", "network", "start", "issued_at", "steps", "partitions_done", "partitions_total", "finished_at")
    readonly_fields = ("inputs", "summary")
    exclude = ("timeline", "heatmap")


@admin.register(ConstraintEpisode)
class ConstraintEpisodeAdmin(ComputedAdmin):
    list_display = ("run", "element", "name", "kind", "direction", "voltage_level", "level", "severity", "start",
                    "peak_value", "limit", "coverable", "confirmed")
    list_filter = ("kind", "level", "voltage_level", "severity", "coverable")


@admin.register(Alarm)
class AlarmAdmin(ComputedAdmin):
    list_display = ("title", "network", "severity", "state", "breach_at", "acknowledged_by", "acknowledged_at", "cleared_at")
    list_filter = ("state", "severity", "network")
    # The state moves only through its transitions (apps/anm/services.py), never by hand.
    readonly_fields = ("state", "acknowledged_by", "acknowledged_at", "cleared_at", "first_seen_at", "last_seen_at")


@admin.register(CurtailmentInstruction)
class CurtailmentInstructionAdmin(ComputedAdmin):
    list_display = ("der", "network", "interval_start", "mw", "run")
    list_filter = ("network",)
    raw_id_fields = ("der", "run")
