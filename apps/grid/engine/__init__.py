"""Grid engine: fast time-series power flow, constraints and sensitivities (pure Python, no Django).

Typical use::

    from apps.grid.engine import from_pandapower, run_time_series, detect_constraints, snapshot

    model = from_pandapower(net)                # neutral model, keeps pandapower indices
    snap = snapshot(model)                      # one power flow of the net's set-points
    result = run_time_series(model, injections) # T steps through power-grid-model
    episodes = detect_constraints(result)       # thermal / voltage / export-import episodes

pandapower is the reference (``cross_check``); SimBench profiles feed ``injections_from_simbench``.
"""

from .constraints import ConstraintEpisode, ConstraintLimits, detect_constraints, voltage_bands
from .convert import from_pandapower
from .errors import (
    EmptyNetworkError,
    EngineError,
    InputShapeError,
    InvalidInputError,
    IslandedNetworkError,
    PowerFlowError,
    UnsupportedElementError,
)
from .model import (
    BRANCH_LINE,
    BRANCH_TRAFO,
    BranchTable,
    BusTable,
    Feeder,
    InjectionTable,
    NetworkModel,
    ShuntTable,
    SourceTable,
    line_rating_mva,
)
from .powerflow import (
    DenseInjections,
    Injections,
    PowerFlowResult,
    StepStatus,
    dense_injections,
    run_time_series,
)
from .profiles import (
    injections_from_profiles,
    injections_from_simbench,
    simbench_profiles,
    simbench_timestamps,
)
from .reference import CrossCheckReport, cross_check, pandapower_time_series, reference_options
from .scenarios import BASE_CASE, ScenarioResult, line_outages, quantile_scenarios, run_scenarios
from .sensitivity import (
    Sensitivities,
    finite_difference_sensitivities,
    self_voltage_sensitivities,
    sensitivities,
    sensitivities_over_steps,
)
from .snapshot import SnapshotResult, snapshot

__all__ = [
    "BASE_CASE", "BRANCH_LINE", "BRANCH_TRAFO", "BranchTable", "BusTable", "ConstraintEpisode",
    "ConstraintLimits", "CrossCheckReport", "DenseInjections", "EmptyNetworkError", "EngineError",
    "Feeder", "InjectionTable", "Injections", "InputShapeError", "InvalidInputError",
    "IslandedNetworkError", "NetworkModel", "PowerFlowError", "PowerFlowResult", "ScenarioResult",
    "Sensitivities", "ShuntTable", "SnapshotResult", "SourceTable", "StepStatus",
    "UnsupportedElementError", "cross_check", "dense_injections", "detect_constraints",
    "finite_difference_sensitivities", "from_pandapower", "injections_from_profiles",
    "injections_from_simbench", "line_outages", "pandapower_time_series", "quantile_scenarios",
    "reference_options", "run_scenarios", "run_time_series", "self_voltage_sensitivities",
    "sensitivities", "sensitivities_over_steps", "simbench_profiles", "simbench_timestamps",
    "line_rating_mva", "snapshot", "voltage_bands",
]
