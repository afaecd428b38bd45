"""What each study kind computes. A kind is a function ``(run, report) -> result`` where
``report(percent, stage)`` records progress; it reads the registry and calls the engine."""
from __future__ import annotations

from collections.abc import Callable

from apps.grid.pandapower_io import export_net

from .models import StudyRun

Report = Callable[[int, str], None]


def snapshot_power_flow(run: StudyRun, report: Report) -> dict:
    """Power flow of the network at its stored set-points: bus voltages and branch loadings."""
    from apps.grid.engine import snapshot_from_pandapower

    report(10, "Building the network model")
    net = export_net(run.network)
    report(40, "Solving the power flow")
    outcome = snapshot_from_pandapower(net)
    report(90, "Storing results")
    return outcome


KINDS: dict[str, Callable[[StudyRun, Report], dict]] = {
    StudyRun.Kind.SNAPSHOT: snapshot_power_flow,
}
