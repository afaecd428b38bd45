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


def study_run_state_word(run: StudyRun) -> str:
    """What a "… #N …" message says of a study just requested, read fresh: ``queued`` while it
    waits or runs (a live event updates the message), else ``finished``, ``failed`` or
    ``cancelled`` (a study run in-process is over before the page is drawn, and its event with it)."""
    state = StudyRun.objects.filter(pk=run.pk).values_list("state", flat=True).first()
    if state in (StudyRun.State.QUEUED, StudyRun.State.RUNNING, None):
        return "queued"
    return "finished" if state == StudyRun.State.SUCCEEDED else state
