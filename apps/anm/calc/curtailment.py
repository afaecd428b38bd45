"""Curtailment as a UK ANM scheme does it: the last resort when flexibility cannot clear a
constraint.

Only generators on a *flexible* (ANM) connection behind the constraint location may be
curtailed; firm connections and G98 micro-generation never are. Within that group the network's
principle of access decides, in every interval of the episode:

* Last in, first out (LIFO): the generator whose connection offer was accepted last is curtailed
  first (fully), then the next, until the shortfall is covered.
* Pro rata: every generator of the group is curtailed by the same fraction of its output.

Shortfall is in MW at the constrained element; a generator's curtailment of ``x`` MW relieves
``x * factor`` there.
"""
from __future__ import annotations

import numpy as np

from .headroom import MIN_FACTOR, Candidate

LIFO, PRO_RATA = "lifo", "pro_rata"


def curtail(shortfall_mw, generators: list[Candidate], *, rule: str) -> tuple[list[dict], np.ndarray]:
    """Who is curtailed, by how many MW, in every interval of an episode.

    Parameters
    ----------
    shortfall_mw: (L,) MW still needed at the element after flexibility, per interval.
    generators: candidates; only ``curtailable`` ones with a useful factor take part.
      ``available_mw`` is what each would generate in each interval.
    rule: ``"lifo"`` or ``"pro_rata"``.

    Returns
    -------
    ``(plan, uncleared_mw)``: plan rows ``{"asset_id", "name", "connected_on", "factor",
    "mw": [L floats], "peak_mw", "element", "pp_index"}`` in curtailment order (LIFO: newest
    first), only generators curtailed at some interval; ``uncleared_mw`` (L,) is what even full
    curtailment of the group leaves.
    """
    if rule not in (LIFO, PRO_RATA):
        raise ValueError(f"Unknown curtailment rule {rule!r}; expected 'lifo' or 'pro_rata'.")
    shortfall = np.clip(np.nan_to_num(np.atleast_1d(np.asarray(shortfall_mw, dtype=float)), nan=0.0), 0.0, None)
    group = [g for g in generators if g.curtailable and g.factor >= MIN_FACTOR]
    group.sort(key=lambda g: (g.connected_on or "", g.asset_id), reverse=True)  # newest offer first
    avail = np.zeros((len(group), len(shortfall)))
    for i, g in enumerate(group):
        avail[i] = np.clip(np.nan_to_num(np.asarray(g.available_mw, dtype=float), nan=0.0), 0.0, None)
    factors = np.array([g.factor for g in group])
    mw = np.zeros_like(avail)
    if len(group) and shortfall.any():
        if rule == LIFO:
            remaining = shortfall.copy()
            for i in range(len(group)):
                mw[i] = np.minimum(avail[i], remaining / factors[i])
                remaining = np.clip(remaining - mw[i] * factors[i], 0.0, None)
        else:
            reach = (avail * factors[:, None]).sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                fraction = np.where(reach > 0, np.minimum(1.0, shortfall / reach), 0.0)
            mw = avail * fraction[None, :]
    relieved = (mw * factors[:, None]).sum(axis=0) if len(group) else np.zeros_like(shortfall)
    plan = [
        {"asset_id": g.asset_id, "name": g.name, "connected_on": g.connected_on, "factor": round(g.factor, 3),
         "mw": [round(float(v), 6) for v in mw[i]], "peak_mw": round(float(mw[i].max()), 6),
         "element": g.element, "pp_index": g.pp_index}
        for i, g in enumerate(group) if mw[i].max() > 1e-9
    ]
    return plan, np.clip(shortfall - relieved, 0.0, None)
