"""The grid's study kind: a snapshot power flow, registered with the studies app in ``ready()``."""
from __future__ import annotations

from apps.studies.registry import Report, StudyError, StudyKind

from .engine import snapshot
from .figures import network_figure
from .pandapower_io import export_net

SNAPSHOT = "snapshot"


def _extremes(values: dict) -> tuple[float | None, float | None]:
    finite = [v for v in values.values() if v is not None]
    return (min(finite), max(finite)) if finite else (None, None)


def snapshot_power_flow(run, report: Report) -> dict:
    """Power flow of the network at its stored set-points: bus voltages and branch loadings."""
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
        # what was solved: the set-points stored in the registry, on this revision of the network
        "inputs": {"set_points": "stored", "network_revision": run.network.revision},
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


def snapshot_figure(run) -> dict:
    """The network coloured by the snapshot's voltages and loadings."""
    return network_figure(run.network, run.result)


SNAPSHOT_KIND = StudyKind(name=SNAPSHOT, label="Snapshot power flow", run=snapshot_power_flow, figure=snapshot_figure)
