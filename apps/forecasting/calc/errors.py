"""The forecast error model of the demo provider and the spread of every forecast.

A forecast issued at ``t0`` for a step starting at ``t`` has lead ``h = t − t0`` in hours and
error standard deviation ``σ(h) = a + b·√h`` (relative or absolute, per quantity). The realised
error path is ``σ(h)·z(t)`` where ``z`` is an AR(1) process with unit variance,
``z_k = φ·z_{k−1} + √(1−φ²)·η_k``, so errors persist across neighbouring steps as real
weather-forecast errors do (φ = 0.95 per quarter-hour: correlation time ≈ 5 h). The P50 is
truth plus that error; P10 and P90 are P50 ∓ 1.2816·σ(h) (the 10 % and 90 % points of a normal),
then clipped to physical bounds. The seed comes from the network id and the issue time, so the
same forecast is reproduced exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

Z90 = 1.2815515655446004  # standard normal 90th percentile
QUANTILES = {"p10": -Z90, "p50": 0.0, "p90": Z90}
AR1_PHI_15MIN = 0.95

# Child streams of one forecast's SeedSequence, in a fixed order so that adding loads does not
# change the weather paths.
STREAMS = ("ghi", "wind", "temperature", "demand_common", "demand_local", "other_gen", "ev")


@dataclass(frozen=True)
class ErrorSpec:
    """``σ(h) = a + b·√h``; ``relative`` says whether σ multiplies the value or is absolute."""

    a: float
    b: float
    relative: bool = True
    unit: str = ""

    def sigma(self, lead_hours) -> np.ndarray:
        """Standard deviation at lead times (hours; negative leads count as 0)."""
        return self.a + self.b * np.sqrt(np.maximum(np.asarray(lead_hours, dtype=float), 0.0))


ERRORS = {
    # Irradiance: ~8 % near issue, ~28 % day-ahead, ~36 % at 48 h (relative to GHI; zero at night).
    "ghi": ErrorSpec(0.08, 0.04, True, "fraction of GHI"),
    # Hub-height wind: 0.7 m/s near issue, ~2.2 m/s day-ahead, ~2.8 m/s at 48 h.
    "wind": ErrorSpec(0.7, 0.30, False, "m/s"),
    "temperature": ErrorSpec(0.5, 0.20, False, "°C"),
    # Demand: a component shared by every load of the zone (weather, calendar) and one per load.
    "demand_common": ErrorSpec(0.02, 0.010, True, "fraction of demand"),
    "demand_local": ErrorSpec(0.04, 0.010, True, "fraction of demand"),
    "other_gen": ErrorSpec(0.03, 0.020, True, "fraction of output"),
    "ev": ErrorSpec(0.10, 0.030, True, "fraction of EV charging"),
}


def error_model_summary() -> dict:
    """The error model as plain data (stored with every forecast run)."""
    return {
        "sigma": "a + b*sqrt(lead_hours)",
        "specs": {name: asdict(spec) for name, spec in ERRORS.items()},
        "ar1_phi_per_15min": AR1_PHI_15MIN,
        "quantile_z": Z90,
    }


def derive_seed(network_id: int, issued_at_epoch_s: float) -> int:
    """The reproducible seed of a forecast: network id and issue time (whole minutes).

    Parameters:
        network_id: registry id of the network.
        issued_at_epoch_s: issue time as Unix seconds.

    Returns:
        A non-negative integer below 2**63 (fits a BigIntegerField).
    """
    return int(network_id) * 100_000_000 + int(issued_at_epoch_s // 60) % 100_000_000


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent random generators for each error component of one forecast."""
    children = np.random.SeedSequence(int(seed)).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}


def ar1_paths(rng: np.random.Generator, steps: int, n: int, *, step_minutes: int = 15,
              phi_15min: float = AR1_PHI_15MIN) -> np.ndarray:
    """Unit-variance AR(1) paths, one per column.

    Parameters:
        rng: generator to draw from.
        steps: number of steps (rows).
        n: number of independent paths (columns).
        step_minutes: step length; φ scales as φ_15^(step/15).
        phi_15min: lag-one correlation per quarter-hour.

    Returns:
        (steps, n) array, each column marginally N(0, 1).
    """
    phi = phi_15min ** (step_minutes / 15.0)
    shocks = rng.standard_normal((steps, n))
    out = np.empty_like(shocks)
    out[0] = shocks[0]
    scale = np.sqrt(1.0 - phi * phi)
    for k in range(1, steps):  # a recursion over steps, vectorised over the paths
        out[k] = phi * out[k - 1] + scale * shocks[k]
    return out
