"""The ANM's study kind: a constraint projection, registered with the studies app in ``ready()``."""
from __future__ import annotations

from apps.studies.registry import Report, StudyKind

from .api import ProjectionParametersSerializer
from .services import PROJECTION, projection_request, projection_start


def projection(run, report: Report) -> dict | None:
    """Forecast, then one task per primary substation; the last of them finishes the run."""
    report(5, "Assembling the forecast")
    projection_run = projection_start(study=run)
    if projection_run.finished_at is not None:  # requeued after its last partition had already finished it
        return {"projection": projection_run.pk, **projection_run.summary}
    return None


def projection_request_from_api(*, network, requested_by, parameters: dict):
    """Fill in and validate a projection's inputs (limits, seed, live or what-if), then queue it."""
    return projection_request(
        network=network, requested_by=requested_by, start=parameters.get("start"), steps=parameters["steps"],
        step_minutes=int(parameters["step_minutes"]), seed=parameters.get("seed"))


PROJECTION_KIND = StudyKind(name=PROJECTION, label="ANM constraint projection", run=projection,
                            parameters=ProjectionParametersSerializer, request=projection_request_from_api)
