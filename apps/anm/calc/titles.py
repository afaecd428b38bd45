"""How constraint locations are named to the control room (pure: used by alarms and cards)."""
from __future__ import annotations

KIND_LABELS = {"thermal": "Thermal overload", "overvoltage": "Over-voltage", "undervoltage": "Under-voltage",
               "export": "Reverse power flow (export limit)", "import": "Import limit"}
CASE_LABELS = {"export": "export bound (generation P90, demand P10)", "median": "median (P50)",
               "import": "import bound (generation P10, demand P90)"}
LOCATION_LABELS = {"feeder": "feeder", "trafo": "transformer", "primary": "", "line": "line", "busbar": "busbar"}


def location_title(*, kind: str, element: str, name: str, direction: str = "") -> str:
    """How a constraint location is named to the room, e.g. 'Over-voltage on feeder MV1.101 F2'."""
    label = KIND_LABELS.get(kind, kind)
    if kind == "thermal" and direction:
        label += " (export)" if direction == "export" else " (import)"
    where = "at the primary substation" if element == "primary" else f"on {LOCATION_LABELS.get(element, element)} {name}"
    return f"{label} {where}"
