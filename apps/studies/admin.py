from django.contrib import admin

from .models import StudyRun


@admin.register(StudyRun)
class StudyRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "network", "state", "progress", "stage", "requested_by", "created_at", "finished_at")
    list_filter = ("kind", "state")
    # A run's state moves only through its transitions (services), never by hand.
    readonly_fields = ("state", "result", "error", "created_at", "started_at", "finished_at")
