"""Forecast accuracy: MAE of the P50 and pinball loss of the quantiles, per lead-time band.

Scores are kept as sums (``n``, Σ|error|, Σ pinball, number covered) so that bands can be
added up across forecast runs exactly; the mean is taken only when shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUANTILE_LEVELS = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
# (name, lower hours inclusive, upper hours exclusive)
LEAD_BANDS = (("0-6h", 0.0, 6.0), ("6-24h", 6.0, 24.0), ("24-48h", 24.0, 48.0 + 1e-9))


@dataclass(frozen=True)
class BandScore:
    """Sums over the scored steps of one band.

    Attributes:
        n: steps scored (actual known).
        abs_error_sum: Σ |actual − P50|.
        pinball_sum: Σ over steps of the mean pinball loss over P10, P50, P90.
        banded: steps whose forecast has a band (P90 > P10); night-time PV and known battery
            schedules have none and would make coverage look perfect, so they are left out of it.
        covered: banded steps with P10 ≤ actual ≤ P90.
    """

    n: int
    abs_error_sum: float
    pinball_sum: float
    banded: int
    covered: int

    @property
    def mae(self) -> float | None:
        return self.abs_error_sum / self.n if self.n else None

    @property
    def pinball(self) -> float | None:
        return self.pinball_sum / self.n if self.n else None

    @property
    def coverage(self) -> float | None:
        return self.covered / self.banded if self.banded else None


def pinball_loss(actual, forecast, tau: float) -> np.ndarray:
    """Pinball (quantile) loss: τ·(y − q) when y ≥ q, else (1 − τ)·(q − y).

    Parameters:
        actual: observed values y.
        forecast: quantile forecasts q.
        tau: quantile level in (0, 1).

    Returns:
        Element-wise loss (same units as the values).
    """
    diff = np.asarray(actual, dtype=float) - np.asarray(forecast, dtype=float)
    return np.maximum(tau * diff, (tau - 1.0) * diff)


def score_bands(lead_hours, actual, quantiles: dict[str, np.ndarray],
                bands=LEAD_BANDS) -> dict[str, BandScore]:
    """Score one forecast series against actuals, per lead-time band.

    Parameters:
        lead_hours: (T,) lead of each step.
        actual: (T,) actual values; NaN = not known yet (skipped).
        quantiles: {"p10", "p50", "p90"} -> (T,) forecasts.
        bands: (name, low, high) lead bands; steps outside every band are ignored.

    Returns:
        band name -> :class:`BandScore` (bands with no scored step have n = 0).
    """
    lead = np.asarray(lead_hours, dtype=float)
    y = np.asarray(actual, dtype=float)
    known = ~np.isnan(y)
    pinball = np.mean([pinball_loss(y, quantiles[q], tau) for q, tau in QUANTILE_LEVELS.items()], axis=0)
    abs_error = np.abs(y - np.asarray(quantiles["p50"], dtype=float))
    p10, p90 = np.asarray(quantiles["p10"], dtype=float), np.asarray(quantiles["p90"], dtype=float)
    banded = p90 > p10
    inside = banded & (p10 <= y) & (y <= p90)
    out = {}
    for name, low, high in bands:
        mask = known & (lead >= low) & (lead < high)
        out[name] = BandScore(
            n=int(mask.sum()), abs_error_sum=float(abs_error[mask].sum()),
            pinball_sum=float(pinball[mask].sum()), banded=int(banded[mask].sum()), covered=int(inside[mask].sum()),
        )
    return out
