"""Battery state of charge over a forecast horizon, by operating mode (pure numpy, no Django).

A battery's own operation, before anyone asks it for flexibility:

* ``MODE_SELF_CONSUMPTION`` (home batteries; the default): charge from the premise's PV surplus
  until full, discharge to cover the premise's demand, stop at the reserve.
* ``MODE_SCHEDULE``: follow a schedule sent by its aggregator (MW, + = charging), clipped to
  the power rating and to the energy between the reserve and full.
* ``MODE_IDLE``: hold (telemetry-driven batteries until telemetry arrives, #12; a battery with
  no premise flows). The state of charge stays where it starts.

Efficiency is one-way (``efficiency`` per unit), applied on the way in and on the way out:
charging ``p`` MW for ``Δt`` h stores ``p·η·Δt`` MWh; discharging ``p`` MW draws ``p·Δt/η``
MWh. Self-discharge (SimBench: 0.13 %/day) is neglected over a 48 h horizon.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODE_SELF_CONSUMPTION, MODE_SCHEDULE, MODE_IDLE = 0, 1, 2


@dataclass
class BatteryRun:
    """What a battery does over the horizon under its own operation.

    Attributes:
        p_mw: (T, n) grid-side power, + = charging (pandapower storage convention).
        soc_mwh: (T, n) stored energy at the *end* of each step.
        charge_mw / discharge_mw: (T, n) extra charging / discharging the battery could do in each
            step on top of ``p_mw``, within its power rating and the energy left after the step.
    """

    p_mw: np.ndarray
    soc_mwh: np.ndarray
    charge_mw: np.ndarray
    discharge_mw: np.ndarray


def simulate_batteries(*, desired_mw: np.ndarray, mode: np.ndarray, e0_mwh: np.ndarray, capacity_mwh: np.ndarray,
                       reserve_mwh: np.ndarray, rated_mw: np.ndarray, efficiency: np.ndarray,
                       step_hours: float) -> BatteryRun:
    """Integrate state of charge step by step.

    Parameters:
        desired_mw: (T, n) what the battery would like to do, + = charge: the premise's PV
            surplus (PV − demand) for self-consumption, the aggregator's schedule for schedule
            mode (ignored for idle).
        mode: (n,) MODE_* per battery.
        e0_mwh: (n,) stored energy at the start of the horizon.
        capacity_mwh / reserve_mwh / rated_mw / efficiency: (n,) limits (efficiency per unit, one-way).
        step_hours: step length.

    Returns:
        :class:`BatteryRun`.
    """
    desired = np.where(mode[None, :] == MODE_IDLE, 0.0, np.nan_to_num(np.asarray(desired_mw, dtype=float)))
    steps, n = desired.shape
    eta = np.clip(efficiency, 1e-6, 1.0)
    reserve = np.minimum(reserve_mwh, capacity_mwh)
    e = np.clip(e0_mwh, reserve, capacity_mwh).astype(float)
    dt = step_hours
    to_grid_in, to_grid_out = 1.0 / (eta * dt), eta / dt      # stored MWh -> grid MW this step
    stored_in, stored_out = eta * dt, dt / eta               # grid MW -> stored MWh this step
    p = np.zeros((steps, n))
    soc = np.zeros((steps, n))
    for k in range(steps):  # a recursion over steps, vectorised over batteries
        want = desired[k]
        charge_k = np.minimum(np.minimum(want, rated_mw), (capacity_mwh - e) * to_grid_in)
        discharge_k = np.maximum(np.maximum(want, -rated_mw), (reserve - e) * to_grid_out)
        pk = np.where(want >= 0, charge_k, discharge_k)
        e = np.clip(e + pk * np.where(pk >= 0, stored_in, stored_out), reserve, capacity_mwh)
        p[k], soc[k] = pk, e
    # Headroom on top of the run, from the energy left after each step.
    charge = np.maximum(np.minimum(rated_mw - p, (capacity_mwh - soc) * to_grid_in), 0.0)
    discharge = np.maximum(np.minimum(rated_mw + p, (soc - reserve) * to_grid_out), 0.0)
    return BatteryRun(p_mw=p, soc_mwh=soc, charge_mw=charge, discharge_mw=discharge)
