"""The forecast timeline as Plotly figure JSON (built server-side, drawn by plotly.js)."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apps.common.figures import add_band

from .models import ForecastRun

PANELS = (  # quantity, title (colours: one per quantity, apps.common.figures)
    ("demand", "Demand (MW)"),
    ("pv", "Solar PV (MW)"),
    ("wind", "Wind (MW)"),
    ("net_export", "Net export (MW, + = towards the primary)"),
)


def forecast_timeline_figure(run: ForecastRun, series: dict[str, dict[str, list[float]]],
                             actuals: dict[str, list[float]] | None = None,
                             now: dt.datetime | None = None) -> dict:
    """P10–P90 bands and P50 lines of a run's demand, PV, wind and net export.

    Parameters:
        run: the forecast run.
        series: quantity -> p10/p50/p90 lists (from ``forecast_run_series``).
        actuals: quantity -> actual values for the steps that have happened (NaN/None after).
        now: draws a "now" line when inside the horizon.

    Returns:
        Plotly figure as a JSON-ready dict.
    """
    times = pd.date_range(run.start, periods=run.steps, freq=f"{run.step_minutes}min")
    x = [t.isoformat() for t in times]
    fig = make_subplots(rows=len(PANELS), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[title for _, title in PANELS])
    for row, (quantity, title) in enumerate(PANELS, start=1):
        values = series.get(quantity)
        if not values:
            continue
        legend = row == 1
        label = title.split(" (")[0]
        add_band(fig, x=x, series=values, quantity=quantity, label=label, band_name="P10–P90", band_group="band",
                 line_name="P50", line_group="p50", showlegend=legend, row=row, col=1,
                 hovertemplate=f"{label} P50 %{{y:.2f}}<extra></extra>")
        if actuals and quantity in actuals:
            fig.add_trace(go.Scatter(x=x, y=actuals[quantity], mode="lines", name="Actual", legendgroup="actual",
                                     line={"color": "#1d2733", "width": 1.5, "dash": "dot"}, showlegend=legend,
                                     hovertemplate="actual %{y:.2f}<extra></extra>"), row=row, col=1)
    if now is not None and times[0] <= pd.Timestamp(now) <= times[-1]:
        fig.add_vline(x=pd.Timestamp(now).isoformat(), line={"color": "#c62828", "width": 1, "dash": "dash"})
    fig.update_layout(
        height=760, margin={"l": 60, "r": 20, "t": 40, "b": 30}, hovermode="x unified",
        legend={"orientation": "h", "y": 1.06, "x": 0}, plot_bgcolor="#fff", paper_bgcolor="#fff",
        font={"size": 12},
    )
    fig.update_yaxes(gridcolor="#e6eaef", zerolinecolor="#b8c2cc")
    fig.update_xaxes(gridcolor="#e6eaef")
    return json.loads(fig.to_json())
