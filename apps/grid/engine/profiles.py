"""Injection time series from SimBench profiles (used by the bench and by forecasting)."""

from __future__ import annotations

import numpy as np

from .model import InjectionTable, NetworkModel
from .powerflow import Injections

STEPS_PER_DAY_15MIN = 96


def _columns_for(table: InjectionTable, frame, fallback: np.ndarray, rows: slice) -> np.ndarray:
    """(T, n) array in model order; elements without a profile keep their set-point."""
    block = frame.iloc[rows]
    n_steps = len(block)
    if frame.shape[1] == 0:
        return np.broadcast_to(fallback, (n_steps, len(table))).copy()
    columns = np.asarray(frame.columns, dtype=np.int64)
    order = np.argsort(columns)
    where = np.searchsorted(columns[order], table.pp_index)
    where = np.clip(where, 0, len(columns) - 1)
    found = columns[order][where] == table.pp_index
    values = block.to_numpy(dtype=float)
    out = np.empty((n_steps, len(table)))
    out[:, found] = values[:, order[where[found]]]
    out[:, ~found] = fallback[~found]
    return out


def injections_from_profiles(model: NetworkModel, profiles: dict, *, start: int = 0,
                             n_steps: int | None = None, timestamps=None) -> Injections:
    """Build :class:`Injections` from absolute-value profiles.

    Parameters:
        model: the network model.
        profiles: dict keyed ``(element, column)`` -> DataFrame (rows = steps, columns =
            pandapower indices), as returned by
            ``simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)``. Keys used:
            ``('load','p_mw')``, ``('load','q_mvar')``, ``('sgen','p_mw')``, ``('sgen','q_mvar')``,
            ``('storage','p_mw')``, ``('storage','q_mvar')``; a missing key keeps the set-point.
        start: first step.
        n_steps: number of steps (default: to the end of the profiles).
        timestamps: optional (T_total,) labels; sliced like the profiles.

    Returns:
        :class:`Injections` with (n_steps, n) arrays.
    """
    total = next(len(f) for f in profiles.values())
    stop = total if n_steps is None else min(total, start + n_steps)
    rows = slice(start, stop)
    tables = {"load": model.loads, "sgen": model.sgens, "storage": model.storages}
    arrays = {}
    for element, table in tables.items():
        for column, fallback in (("p_mw", table.p_mw), ("q_mvar", table.q_mvar)):
            frame = profiles.get((element, column))
            if frame is None:
                arrays[f"{element}_{column}"] = np.broadcast_to(fallback, (stop - start, len(table))).copy()
            else:
                arrays[f"{element}_{column}"] = _columns_for(table, frame, fallback, rows)
    ts = None if timestamps is None else np.asarray(timestamps)[start:stop]
    return Injections(**arrays, timestamps=ts)


def simbench_profiles(net) -> dict:
    """Absolute-value profiles of a SimBench net (imports simbench on first use).

    Parameters:
        net: a SimBench pandapower net (with ``net.profiles``).

    Returns:
        Dict keyed ``(element, column)`` -> DataFrame, see :func:`injections_from_profiles`.
    """
    import simbench

    return simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)


def simbench_timestamps(n_steps: int, start: str = "2016-01-01T00:00") -> np.ndarray:
    """Quarter-hour timestamps of the SimBench year (2016, a leap year: 35,136 steps)."""
    return np.datetime64(start) + np.arange(n_steps) * np.timedelta64(15, "m")


def injections_from_simbench(model: NetworkModel, net, *, start: int = 0,
                             n_steps: int | None = None, profiles: dict | None = None) -> Injections:
    """:class:`Injections` for ``n_steps`` quarter-hours of a SimBench net's profiles.

    Parameters:
        model: model built from ``net``.
        net: the SimBench pandapower net.
        start / n_steps: step range (default: the whole year).
        profiles: already computed profiles (to avoid recomputing them).

    Returns:
        :class:`Injections` with timestamps.
    """
    profiles = simbench_profiles(net) if profiles is None else profiles
    total = next(len(f) for f in profiles.values())
    return injections_from_profiles(model, profiles, start=start, n_steps=n_steps,
                                    timestamps=simbench_timestamps(total))
