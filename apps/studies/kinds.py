"""What each study kind computes. A kind is a function ``(run, report) -> result | None`` where
``report(percent, stage)`` records progress; it reads the registry and calls the engine. A kind
that fans out to more tasks returns None: the run stays running and its last task finishes it."""
from __future__ import annotations

from collections.abc import Callable

from apps.grid.pandapower_io import export_net

from .models import StudyRun

Report = Callable[[int, str], None]


class StudyError(Exception):
    """A study cannot complete for a reason its user can act on; the message is shown as is."""


def _extremes(values: dict) -> tuple[float | None, float | None]:
    finite = [v for v in values.values() if v is not None]
    return (min(finite), max(finite)) if finite else (None, None)


def snapshot_power_flow(run: StudyRun, report: Report) -> dict:
    """Power flow of the network at its stored set-points: bus voltages and branch loadings."""
    from apps.grid.engine import snapshot

    report(10, "Building the network model")
    net = export_net(run.network)
    report(40, "Solving the power flow")
    outcome = snapshot(net)
    if not outcome.converged:
        raise StudyError("The power flow did not converge: the network cannot supply its loads at the stored "
                         "set-points. Check recent changes to loads, generation or switching.")
    report(90, "Storing results")
    min_vm, max_vm = _extremes(outcome.vm_pu)
    return {
        "bus_vm_pu": {str(k): v for k, v in outcome.vm_pu.items()},
        "line_loading_percent": {str(k): v for k, v in outcome.line_loading_percent.items()},
        "trafo_loading_percent": {str(k): v for k, v in outcome.trafo_loading_percent.items()},
        "feeder_p_mw": {str(k): v for k, v in outcome.feeder_p_mw.items()},
        "summary": {
            "min_vm_pu": min_vm,
            "max_vm_pu": max_vm,
            "max_line_loading_percent": _extremes(outcome.line_loading_percent)[1],
            "max_trafo_loading_percent": _extremes(outcome.trafo_loading_percent)[1],
            "ext_grid_p_mw": outcome.primary_p_mw,
        },
    }


def projection(run: StudyRun, report: Report) -> None:
    """ANM projection: forecast, then one task per primary substation (see apps.anm)."""
    from apps.anm.services import projection_start

    report(5, "Assembling the forecast")
    projection = projection_start(study=run)
    if projection.finished_at is not None:  # requeued after its last partition had already finished it
        return {"projection": projection.pk, **projection.summary}
    return None


KINDS: dict[str, Callable[[StudyRun, Report], dict | None]] = {
    StudyRun.Kind.SNAPSHOT: snapshot_power_flow,
    StudyRun.Kind.PROJECTION: projection,
}
