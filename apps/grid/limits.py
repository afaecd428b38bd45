"""UK default operating limits, created with every network and editable per network afterwards.

Voltage: ESQCR 2002 reg. 27 — LV (230 V) +10 % / −6 %; 1 kV up to 132 kV ±6 %.
Thermal: the registry rating of a branch is its summer continuous rating. Seasonal factors and
cyclic allowances are typical values from ENA ER P27 (overhead lines: short thermal time
constant, so a small, short allowance), ER P17 (buried cables: seasonal ground temperature, a
daily cyclic factor) and ER P15 / IEC 60076-7 (ground-mounted transformers: cold-season uprating,
normal cyclic loading for a few hours). Seasons as in P27: winter Nov–Feb, spring/autumn Mar–Apr
and Sep–Oct, summer May–Aug.
"""
from __future__ import annotations

UK_VOLTAGE_LIMITS = (
    # name, from kV (incl.), below kV (excl.), vmin, vmax
    ("LV (below 1 kV)", 0.0, 1.0, 0.94, 1.10),
    ("1 kV to 132 kV", 1.0, 132.001, 0.94, 1.06),
    ("Above 132 kV", 132.001, 1000.0, 0.90, 1.10),
)

UK_THERMAL_RATINGS = {
    # class: winter, spring/autumn, cyclic % of continuous, minutes allowed between the two
    "overhead": (1.20, 1.10, 110.0, 15),
    "cable": (1.08, 1.04, 115.0, 60),
    "transformer": (1.10, 1.05, 130.0, 120),
}

WINTER_MONTHS = (11, 12, 1, 2)
SPRING_AUTUMN_MONTHS = (3, 4, 9, 10)
