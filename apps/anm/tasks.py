"""Celery tasks of the ANM: thin, they take ids and call services."""
from __future__ import annotations

import logging

from celery import shared_task

from apps.grid.models import Network
from apps.studies.registry import StudyError
from apps.studies.services import INTERNAL_ERROR, study_heartbeat, study_run_fail

from .models import ProjectionPartition, ProjectionRun
from .services import projection_partition_compute, projection_request

log = logging.getLogger(__name__)


@shared_task(name="anm.project_partition", acks_late=True)
def project_partition_task(run_id: int, number: int) -> None:
    run = ProjectionRun.objects.select_related("network", "study").get(pk=run_id)
    if ProjectionPartition.objects.filter(run=run, number=number, done=True).exists():
        return
    # The study stays running while its partitions compute: they keep its heartbeat.
    with study_heartbeat(run_id=run.study_id):
        try:
            projection_partition_compute(run=run, number=number)
        except Exception as exc:  # noqa: BLE001 - traceback in the log, a plain reason on the study
            log.exception("projection %s partition %s failed", run_id, number)
            reason = str(exc) if isinstance(exc, StudyError) else INTERNAL_ERROR.format(id=run.study_id)
            ProjectionPartition.objects.filter(run=run, number=number).update(error=reason[:500])
            study_run_fail(run=run.study, error=f"Partition {number} of the projection failed. {reason}")


@shared_task(name="anm.schedule_projections")
def schedule_projections() -> int:
    """Beat: a fresh projection of every network every 15 minutes."""
    networks = list(Network.objects.all())
    for network in networks:
        projection_request(network=network)
    return len(networks)
