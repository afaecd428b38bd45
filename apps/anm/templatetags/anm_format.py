"""How the ANM page writes its numbers (server-side, so no markup is built in JavaScript)."""
from __future__ import annotations

from django import template

from apps.accounts.templatetags.clock import clock
from apps.anm.calc.titles import CASE_LABELS

register = template.Library()


@register.filter
def constraint_value(value: float | None, unit: str) -> str:
    """A peak or limit in its unit: voltage to 3 decimals (pu), loading in whole percent, MW to 2."""
    value = float(value or 0.0)
    if unit == "pu":
        return f"{value:.3f} pu"
    if unit == "%":
        return f"{value:.0f} %"
    return f"{value:.2f} {unit}"


@register.filter
def mw(value: float | None) -> str:
    return f"{float(value or 0.0):.2f} MW"


@register.filter
def kw_or_mw(value: float | None) -> str:
    """Small flexibility in kW, the rest in MW."""
    value = float(value or 0.0)
    return f"{value * 1000:.0f} kW" if value < 1 else f"{value:.2f} MW"


@register.filter
def mvar_pu(value: float | None, digits: int = 3) -> str:
    return f"{float(value or 0.0):.{digits}f}"


@register.filter
def when(iso: str | None) -> str:
    """A time as the room reads it: the one rule of apps.common.clock, in the reader's zone."""
    return clock(iso)


@register.filter
def useful_flex(assets: list[dict]) -> list[dict]:
    """Flexibility that gives something at the peak (half a kW or more)."""
    return [a for a in assets or [] if a.get("peak_effective_mw", 0) >= 0.0005]


@register.filter
def case_label(case: str) -> str:
    return CASE_LABELS.get(case, case)


@register.filter
def case_short(case: str) -> str:
    return case_label(case).split(" (")[0]


@register.filter
def hours(steps: int | None, step_minutes: int | None) -> str:
    """The horizon of ``steps`` intervals of ``step_minutes`` in whole hours: 192, 15 → ``48``."""
    return f"{(steps or 0) * (step_minutes or 0) / 60:g}"


@register.filter
def short_count(cards: list[dict]) -> int:
    """How many of the listed constraint cards flexibility cannot cover (marked "short")."""
    return sum(1 for card in cards if not card.get("coverable"))
