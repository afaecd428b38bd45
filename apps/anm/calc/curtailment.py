"""Curtailment under principles of access: the last resort when flexibility cannot clear a
constraint.

* Last in, first out (LIFO): the most recently connected generator is curtailed first, fully,
  then the next, until the shortfall is covered.
* Pro rata: every useful generator is curtailed by the same fraction of its output.

Shortfall is in MW at the constrained element; a generator's curtailment of ``x`` MW relieves
``x * factor`` there.
"""
from __future__ import annotations

from .headroom import MIN_FACTOR, Candidate

LIFO, PRO_RATA = "lifo", "pro_rata"


def curtail(shortfall_mw: float, generators: list[Candidate], *, rule: str, step: int = 0) -> list[dict]:
    """Which generators are curtailed, and by how many MW, to cover ``shortfall_mw``.

    Parameters
    ----------
    shortfall_mw: MW still needed at the element after flexibility.
    generators: curtailable candidates; ``available_mw[step]`` is what each generates then.
    rule: ``"lifo"`` or ``"pro_rata"``.
    step: the interval (index into ``available_mw``) being cleared.

    Returns
    -------
    A list of ``{"asset_id", "name", "curtail_mw", "connected_on"}``, in curtailment order; the
    curtailed effect may fall short of the shortfall when the generators are not enough
    (the caller compares).
    """
    if rule not in (LIFO, PRO_RATA):
        raise ValueError(f"Unknown curtailment rule {rule!r}; expected 'lifo' or 'pro_rata'.")
    useful = [g for g in generators if g.curtailable and g.factor >= MIN_FACTOR and g.available_mw[step] > 0]
    if shortfall_mw <= 0 or not useful:
        return []
    plan = []
    if rule == LIFO:
        remaining = shortfall_mw
        for g in sorted(useful, key=lambda g: (g.connected_on or "", g.asset_id), reverse=True):
            if remaining <= 1e-9:
                break
            mw = min(float(g.available_mw[step]), remaining / g.factor)
            remaining -= mw * g.factor
            plan.append({"asset_id": g.asset_id, "name": g.name, "curtail_mw": mw, "connected_on": g.connected_on})
        return plan
    reach = sum(float(g.available_mw[step]) * g.factor for g in useful)
    fraction = min(1.0, shortfall_mw / reach)
    return [
        {"asset_id": g.asset_id, "name": g.name, "curtail_mw": float(g.available_mw[step]) * fraction,
         "connected_on": g.connected_on}
        for g in useful
    ]
