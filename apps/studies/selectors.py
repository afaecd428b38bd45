from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.tenancy import scope_to_user

from .models import StudyRun


def study_runs_for(user) -> QuerySet[StudyRun]:
    return scope_to_user(StudyRun.objects.select_related("network", "requested_by"), user)


def study_run_latest_succeeded(*, network, kind: str) -> StudyRun | None:
    return (
        StudyRun.objects.filter(network=network, kind=kind, state=StudyRun.State.SUCCEEDED)
        .order_by("-finished_at", "-id")
        .first()
    )
