"""Engine limits from a network's operating limits (plain data, no Django).

``operating_limits`` is what ``apps.grid.selectors.network_operating_limits`` returns and what a
projection stores in its inputs, so a rerun uses the same limits:

```
{"voltage": [{"vn_kv_min", "vn_kv_max", "vmin_pu", "vmax_pu"}, ...],
 "thermal": {"overhead"|"cable"|"transformer": {"winter", "spring_autumn", "cyclic_percent", "cyclic_minutes"}},
 "line_class": {"<line pp_index>": "overhead"|"cable"},
 "site_voltage": {"<bus pp_index>": [vmin or null, vmax or null]},
 "primary": {"firm_mva": float|null, "reverse_mw": float|null},
 "feeders": {"<head line pp_index>": [export_mw or null, import_mw or null]},
 "prealarm_fraction": 0.9, "voltage_prealarm_margin_pu": 0.01}
```
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from apps.grid.engine import BRANCH_LINE, ConstraintLimits, NetworkModel

WINTER_MONTHS = (11, 12, 1, 2)
SPRING_AUTUMN_MONTHS = (3, 4, 9, 10)
PREALARM_FRACTION = 0.9


def season_factor(times: pd.DatetimeIndex, rating: dict) -> np.ndarray:
    """(T,) continuous-rating factor of each step's season (UK ER P27 seasons)."""
    month = np.asarray(times.month)
    return np.where(np.isin(month, WINTER_MONTHS), rating["winter"],
                    np.where(np.isin(month, SPRING_AUTUMN_MONTHS), rating["spring_autumn"], 1.0))


def bus_voltage_limits(model: NetworkModel, limits: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per-bus (vmin, vmax): the row whose range holds the bus's nominal voltage, then site overrides."""
    vn = model.buses.vn_kv
    vmin, vmax = np.full(len(vn), 0.94), np.full(len(vn), 1.06)
    for row in sorted(limits["voltage"], key=lambda r: r["vn_kv_min"]):
        sel = (vn >= row["vn_kv_min"]) & (vn < row["vn_kv_max"])
        vmin[sel], vmax[sel] = row["vmin_pu"], row["vmax_pu"]
    site = limits.get("site_voltage") or {}
    if site:
        positions = {int(v): i for i, v in enumerate(model.buses.pp_index)}
        for bus, (lo, hi) in site.items():
            pos = positions.get(int(bus))
            if pos is None:
                continue
            if lo is not None:
                vmin[pos] = lo
            if hi is not None:
                vmax[pos] = hi
    return vmin, vmax


def branch_classes(model: NetworkModel, limits: dict) -> np.ndarray:
    """(n_branch,) thermal class of every branch: transformers, and lines by their type (cable default)."""
    b = model.branches
    line_class = limits.get("line_class") or {}
    return np.array([
        (line_class.get(str(int(idx)), "cable") if kind == BRANCH_LINE else "transformer")
        for kind, idx in zip(b.kind, b.pp_index)], dtype=object)


def constraint_limits(model: NetworkModel, limits: dict, times: pd.DatetimeIndex, step_minutes: int) -> ConstraintLimits:
    """The engine's :class:`ConstraintLimits` for ``model`` over ``times``.

    Thermal: continuous limit = 100 % of the registry (summer) rating × the season's factor per
    step; cyclic rating = continuous × cyclic %; a branch may sit between the two for
    ``cyclic_minutes`` (pre-alarm) before it is a violation. Voltage: statutory limits by level
    with site overrides. Primary: export against the reverse-power capability, import against the
    firm (N-1) capacity. Feeder heads only where a limit is set (otherwise the head line's thermal
    limit governs, once).
    """
    classes = branch_classes(model, limits)
    thermal = limits["thermal"]
    factors = {cls: season_factor(times, rating) for cls, rating in thermal.items()}
    continuous = np.column_stack([100.0 * factors[c] for c in classes]) if len(classes) else np.zeros((len(times), 0))
    cyclic = continuous * np.array([thermal[c]["cyclic_percent"] / 100.0 for c in classes])
    allowance = np.array([int(thermal[c]["cyclic_minutes"]) // step_minutes for c in classes], dtype=np.int64)
    vmin, vmax = bus_voltage_limits(model, limits)
    primary = limits.get("primary") or {}
    firm = primary.get("firm_mva")
    reverse = primary.get("reverse_mw", None)
    feeders = limits.get("feeders") or {}
    return ConstraintLimits(
        thermal_limit_percent=continuous, thermal_cyclic_percent=cyclic, thermal_allowance_steps=allowance,
        thermal_prealarm_fraction=limits.get("prealarm_fraction", PREALARM_FRACTION),
        bus_vmin_pu=vmin, bus_vmax_pu=vmax,
        voltage_prealarm_margin_pu=limits.get("voltage_prealarm_margin_pu", 0.01),
        primary_import_limit_mw=firm, primary_export_limit_mw=reverse if reverse is not None else firm,
        feeder_limits_from_capacity=False,
        feeder_export_limit_mw={int(k): v[0] for k, v in feeders.items() if v[0] is not None},
        feeder_import_limit_mw={int(k): v[1] for k, v in feeders.items() if v[1] is not None},
        exchange_prealarm_fraction=limits.get("prealarm_fraction", PREALARM_FRACTION),
    )
