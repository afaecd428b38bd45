"""Which pandapower elements and options the engine models: the one list that both the engine
(:func:`apps.grid.engine.convert.from_pandapower`) and the registry import read, so that a net
the registry accepts is a net the engine calculates as pandapower does, never a quietly
different one.
"""

from __future__ import annotations

import pandas as pd

# element tables the engine models (and the registry stores)
SUPPORTED_ELEMENTS = ("bus", "line", "trafo", "switch", "ext_grid", "load", "sgen", "storage", "shunt")

# element tables the engine does not model: refused (the engine: in-service rows; the registry,
# which could not store them: any row)
UNSUPPORTED_ELEMENTS = ("gen", "trafo3w", "ward", "xward", "impedance", "dcline", "motor",
                        "asymmetric_load", "asymmetric_sgen", "svc", "tcsc", "ssc", "vsc",
                        "bus_dc", "line_dc", "load_dc", "source_dc")

ZIP_LOAD_COLUMNS = ("const_z_p_percent", "const_i_p_percent", "const_z_q_percent", "const_i_q_percent",
                    "const_z_percent", "const_i_percent")


def _table(net, name: str) -> pd.DataFrame:
    table = net[name] if name in net else None
    return table if isinstance(table, pd.DataFrame) else pd.DataFrame()


def _flag(table: pd.DataFrame, column: str) -> pd.Series:
    """A True/False/missing column as booleans (missing = False)."""
    return table[column].astype(object).where(table[column].notna(), False).astype(bool)


def unsupported_features(net, *, out_of_service_too: bool = False) -> list[str]:
    """Every element or option of ``net`` the engine does not model, one message each.

    Parameters:
        net: pandapower net.
        out_of_service_too: also name out-of-service rows of unsupported tables (the registry
            cannot store them); the engine ignores those.

    Returns:
        Messages, empty when the engine models the whole net.
    """
    problems = []
    for name in UNSUPPORTED_ELEMENTS:
        table = _table(net, name)
        if not len(table):
            continue
        if out_of_service_too or "in_service" not in table or table["in_service"].astype(bool).any():
            problems.append(f"it has {len(table)} '{name}' element(s), which the engine does not model")
    load = _table(net, "load")
    zip_cols = [c for c in ZIP_LOAD_COLUMNS if c in load]
    if len(load) and zip_cols:
        zip_rows = load.index[(load[zip_cols].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy() != 0).any(axis=1)]
        if len(zip_rows):
            problems.append(f"voltage-dependent (ZIP) loads are not modelled (const_z/const_i percentages must "
                            f"be 0): load(s) {list(zip_rows[:5])}")
    switch = _table(net, "switch")
    if len(switch) and "z_ohm" in switch:
        bb = (switch["et"] == "b") & switch["closed"].astype(bool) & (switch["z_ohm"].fillna(0) > 0)
        if bb.any():
            problems.append(f"closed bus-bus switches with z_ohm > 0 are not modelled: {switch.index[bb].tolist()[:5]}")
    trafo = _table(net, "trafo")
    if len(trafo) and "tap_dependency_table" in trafo:
        if (_flag(trafo, "tap_dependency_table") & trafo["in_service"].astype(bool)).any():
            problems.append("transformers with tap_dependency_table=True (characteristic tables) are not modelled")
    shunt = _table(net, "shunt")
    if len(shunt) and "step_dependency_table" in shunt and _flag(shunt, "step_dependency_table").any():
        problems.append("shunts with step_dependency_table=True are not modelled")
    return problems
