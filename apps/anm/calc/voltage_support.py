"""Voltage support before curtailment, for MV voltage constraints.

G99 asks generators to run anywhere between 0.95 power factor leading and lagging, so a
generator making ``P`` MW can absorb (or supply) up to ``P · tan(acos 0.95) ≈ 0.329 P`` MVAr;
the primary's on-load tap changer can move the busbar target, which moves every voltage on its
feeders by about the same amount, as far as the other end of the band allows. Both come before
any active-power curtailment; the card says what each gives and what is left.
"""
from __future__ import annotations

import math

import numpy as np

PF_LIMIT = 0.95
Q_PER_P = math.tan(math.acos(PF_LIMIT))
TARGET_STEP_LIMIT_PU = 0.03  # at most ±3 % on the busbar target: two tap steps either way
TARGET_MARGIN_PU = 0.005  # keep this far from the opposite limit anywhere on the primary


def voltage_support(*, excess_pu: float, dv_dq: np.ndarray, gen_p_mw: np.ndarray, target_room_pu: float) -> dict:
    """What reactive power and the primary's voltage target give against a voltage excess.

    Parameters
    ----------
    excess_pu: how far the worst bus is beyond its limit (> 0).
    dv_dq: (n,) |dV/dQ| of the worst bus per MVAr at each generator (pu/MVAr).
    gen_p_mw: (n,) each generator's output at the peak (MW).
    target_room_pu: how far the busbar target may move before another bus leaves its band (≥ 0).

    Returns
    -------
    ``{"excess_pu", "reactive_mvar", "reactive_pu", "target_pu", "remaining_pu", "remaining_fraction"}``
    """
    q = np.clip(np.nan_to_num(gen_p_mw, nan=0.0), 0.0, None) * Q_PER_P
    reactive_pu = float(np.sum(np.abs(np.nan_to_num(dv_dq, nan=0.0)) * q))
    reactive_pu = min(reactive_pu, excess_pu)
    target_pu = min(max(target_room_pu, 0.0), TARGET_STEP_LIMIT_PU, excess_pu - reactive_pu)
    remaining = max(excess_pu - reactive_pu - target_pu, 0.0)
    return {"excess_pu": round(excess_pu, 4), "reactive_mvar": round(float(q.sum()), 3),
            "reactive_pu": round(reactive_pu, 4), "target_pu": round(target_pu, 4), "remaining_pu": round(remaining, 4),
            "remaining_fraction": remaining / excess_pu if excess_pu > 0 else 0.0}
