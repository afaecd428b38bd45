"""The forecast timeline as Plotly figure JSON (built server-side, drawn by plotly.js)."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apps.common.figures import add_band

from .models import ForecastRun
from .selectors import WeatherIssue

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


WEATHER_PANELS = (  # variable, title (colours: apps.common.figures, the power each drives)
    ("ghi_w_m2", "Irradiance (W/m²)"),
    ("wind_speed_m_s", "Hub-height wind speed (m/s)"),
    ("temperature_c", "Temperature (°C)"),
)
UPLOADED_COLOUR = "#1d2733"


def weather_figure(*, run: ForecastRun | None, series: dict[str, dict[str, list[float]]],
                   uploaded: WeatherIssue | None = None, now: dt.datetime | None = None) -> dict | None:
    """The weather zone's irradiance, wind speed and temperature: the forecast run's P10–P90
    bands and P50 lines, and the newest uploaded issue (``POST /api/v1/forecasting/weather/``)
    as points on top when there is one.

    Parameters:
        run: the forecast run whose weather is drawn (None: only the upload).
        series: quantity -> p10/p50/p90 lists of the run (``forecast_run_series``; the weather
            quantities are read from it).
        uploaded: the newest ingested issue of the zone, or None.
        now: draws a "now" line when inside the drawn span.

    Returns:
        Plotly figure as a JSON-ready dict, or None when there is neither a run with weather nor
        an upload.
    """
    has_run = run is not None and any(series.get(variable) for variable, _ in WEATHER_PANELS)
    has_upload = uploaded is not None and bool(uploaded.rows)
    if not has_run and not has_upload:
        return None
    fig = make_subplots(rows=len(WEATHER_PANELS), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[title for _, title in WEATHER_PANELS])
    x = []
    if has_run:
        times = pd.date_range(run.start, periods=run.steps, freq=f"{run.step_minutes}min")
        x = [t.isoformat() for t in times]
    upload_x = [row.valid_at.isoformat() for row in uploaded.rows] if has_upload else []
    for row_number, (variable, title) in enumerate(WEATHER_PANELS, start=1):
        label, unit = title.split(" (")[0], title.split(" (")[1].rstrip(")")
        legend = row_number == 1
        values = series.get(variable) if has_run else None
        if values:
            add_band(fig, x=x, series=values, quantity=variable, label=label, band_name="Forecast P10–P90",
                     band_group="band", line_name="Forecast P50", line_group="p50", showlegend=legend,
                     row=row_number, col=1, hovertemplate=f"{label} P50 %{{y:.1f}} {unit}<extra></extra>")
        if has_upload:
            y = [getattr(row, variable) for row in uploaded.rows]
            fig.add_trace(go.Scatter(
                x=upload_x, y=y, mode="lines+markers", name=f"Uploaded ({uploaded.source or 'no source'})",
                legendgroup="uploaded", showlegend=legend,
                line={"color": UPLOADED_COLOUR, "width": 1, "dash": "dot"}, marker={"color": UPLOADED_COLOUR, "size": 4},
                hovertemplate=f"{label} uploaded %{{y:.1f}} {unit}<extra></extra>"), row=row_number, col=1)
    span = sorted(pd.Timestamp(t) for t in x[:1] + x[-1:] + upload_x[:1] + upload_x[-1:])
    if now is not None and span[0] <= pd.Timestamp(now) <= span[-1]:
        fig.add_vline(x=pd.Timestamp(now).isoformat(), line={"color": "#c62828", "width": 1, "dash": "dash"})
    fig.update_layout(
        height=560, margin={"l": 60, "r": 20, "t": 40, "b": 30}, hovermode="x unified",
        legend={"orientation": "h", "y": 1.09, "x": 0}, plot_bgcolor="#fff", paper_bgcolor="#fff",
        font={"size": 12},
    )
    fig.update_yaxes(gridcolor="#e6eaef", zerolinecolor="#b8c2cc", rangemode="tozero")
    fig.update_yaxes(rangemode="normal", row=3, col=1)  # temperature may be below zero
    fig.update_xaxes(gridcolor="#e6eaef")
    return json.loads(fig.to_json())
