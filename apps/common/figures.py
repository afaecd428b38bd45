"""What every Plotly figure of the product shares: one colour per quantity, and one way to draw
a P10–P90 band with its P50 line (figures are built server-side as JSON and drawn by plotly.js)."""
from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from .clock import wall_clock_iso

# One colour per quantity, wherever it is drawn (forecast bands, projection timeline, DER markers).
QUANTITY_RGB: dict[str, tuple[int, int, int]] = {
    "demand": (55, 71, 79),
    "pv": (245, 183, 0),
    "wind": (0, 166, 237),
    "net_export": (198, 40, 40),
    "battery": (127, 184, 0),
    "ev_charger": (216, 17, 89),
    # Weather: irradiance and wind speed in the colour of the power they drive.
    "ghi_w_m2": (245, 183, 0),
    "wind_speed_m_s": (0, 166, 237),
    "temperature_c": (230, 81, 0),
}
BAND_ALPHA = 0.2


def quantity_colour(quantity: str, *, alpha: float | None = None) -> str:
    """The quantity's colour as CSS: ``rgb(…)``, or ``rgba(…)`` with ``alpha`` for a band."""
    r, g, b = QUANTITY_RGB[quantity]
    return f"rgb({r},{g},{b})" if alpha is None else f"rgba({r},{g},{b},{alpha})"


def add_band(fig: go.Figure, *, x: list, series: dict[str, list[float]], quantity: str, label: str,
             band_name: str, band_group: str, line_name: str, line_group: str, hovertemplate: str,
             showlegend: bool = True, row: int | None = None, col: int | None = None) -> None:
    """Draw ``series`` (``p10``/``p50``/``p90`` lists) as a P10–P90 band and a P50 line.

    Parameters
    ----------
    fig: the figure to add three traces to (P90 edge, P10 edge filled to it, P50 line).
    quantity: a key of ``QUANTITY_RGB`` (the colour of both band and line).
    label: the quantity as the reader knows it (used in hover text by callers).
    band_name, band_group, line_name, line_group: legend names and groups of band and line.
    row, col: the subplot, for figures made with ``make_subplots``.
    """
    at = {"row": row, "col": col} if row is not None else {}
    fig.add_trace(go.Scatter(x=x, y=series["p90"], mode="lines", line={"width": 0}, showlegend=False,
                             hoverinfo="skip", legendgroup=band_group), **at)
    fig.add_trace(go.Scatter(x=x, y=series["p10"], mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=quantity_colour(quantity, alpha=BAND_ALPHA), name=band_name,
                             legendgroup=band_group, showlegend=showlegend, hoverinfo="skip"), **at)
    fig.add_trace(go.Scatter(x=x, y=series["p50"], mode="lines", name=line_name, legendgroup=line_group,
                             showlegend=showlegend, line={"color": quantity_colour(quantity), "width": 2},
                             hovertemplate=hovertemplate), **at)


HOVER_TIME_FORMAT = "%d %b %H:%M"  # d3 format: 24-hour, with the date (Plotly hover of a date axis)


def _is_time(value) -> bool:
    return isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value


def figure_in_zone(figure: dict | None, zone: dt.tzinfo) -> dict | None:
    """A copy of a figure whose times (date-axis x values, shapes, annotations) are wall-clock
    times in ``zone``, with a 24-hour hover format on every x axis.

    Plotly.js knows no time zones: it draws an ISO time's digits. Figures are built (and cached)
    in UTC; this is applied last, per reader, so that axes and hover read in the reader's zone.
    """
    if not figure:
        return figure
    out = {**figure, "data": [], "layout": {**figure.get("layout", {})}}
    timed = False
    for trace in figure.get("data", []):
        x = trace.get("x")
        if isinstance(x, list) and any(_is_time(v) for v in x[:3]):
            timed = True
            trace = {**trace, "x": [wall_clock_iso(v, zone=zone) if _is_time(v) else v for v in x]}
        out["data"].append(trace)
    layout = out["layout"]
    for key in ("shapes", "annotations"):
        if key in layout:
            layout[key] = [{**item, **{k: wall_clock_iso(item[k], zone=zone) for k in ("x", "x0", "x1")
                                       if _is_time(item.get(k))}} for item in layout[key]]
    axes = [k for k in layout if k.startswith("xaxis")] or ["xaxis"]
    for key in axes if timed else ():
        layout[key] = {**layout.get(key, {}), "hoverformat": HOVER_TIME_FORMAT}
    return out
