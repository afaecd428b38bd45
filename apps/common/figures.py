"""What every Plotly figure of the product shares: one colour per quantity, and one way to draw
a P10–P90 band with its P50 line (figures are built server-side as JSON and drawn by plotly.js)."""
from __future__ import annotations

import plotly.graph_objects as go

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
