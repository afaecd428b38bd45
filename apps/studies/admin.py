from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from .models import StudyRun
from .services import StudyCancelError, study_run_cancel


@admin.register(StudyRun)
class StudyRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "network", "state", "progress", "stage", "requested_by", "created_at", "finished_at")
    list_filter = ("kind", "state")
    # A run's state moves only through its transitions (the services), never by hand.
    readonly_fields = ("state", "result", "error", "created_at", "started_at", "finished_at")
    actions = ["cancel"]

    @admin.action(description="Cancel the selected studies")
    def cancel(self, request, queryset):
        for run in queryset:
            try:
                study_run_cancel(run=run, user=request.user)
            except (StudyCancelError, PermissionDenied) as exc:
                self.message_user(request, f"Study #{run.pk}: {exc}", messages.WARNING)
            else:
                self.message_user(request, f"Study #{run.pk} cancelled.")
