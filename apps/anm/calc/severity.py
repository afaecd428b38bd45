"""Alarm severity from how far beyond the limit a constraint goes and how soon it starts."""
from __future__ import annotations

CRITICAL, HIGH, MEDIUM, LOW = "critical", "high", "medium", "low"
ORDER = {CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3}


def overshoot_percent(peak: float, limit: float, unit: str) -> float:
    """How far past the limit the peak goes, as a percentage of the limit (voltage: of the
    allowed deviation from 1 pu, so 1.06 pu against 1.05 is 20 %)."""
    if unit == "pu":
        allowed = abs(limit - 1.0) or 0.05
        return 100.0 * abs(peak - limit) / allowed
    return 100.0 * (abs(peak) - abs(limit)) / abs(limit) if limit else 100.0


def severity(*, overshoot: float, hours_to_breach: float, coverable: bool) -> str:
    """Critical: starts within 2 h and (well past the limit or flexibility cannot clear it);
    high: within 6 h, or far past the limit; medium: later but real; low: small and far off."""
    soon, near = hours_to_breach <= 2.0, hours_to_breach <= 6.0
    if soon and (overshoot >= 10.0 or not coverable):
        return CRITICAL
    if near or overshoot >= 25.0 or not coverable:
        return HIGH
    if overshoot >= 5.0 or hours_to_breach <= 24.0:
        return MEDIUM
    return LOW
