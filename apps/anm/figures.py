"""Plotly figures of a projection, built server-side as figure JSON."""
from __future__ import annotations

import json

import plotly.graph_objects as go

from apps.common.figures import add_band

SERIES = {"demand": "Demand", "pv": "Solar PV", "wind": "Wind", "net_export": "Net export"}  # quantity -> label


def heatmap_figure(heatmap: dict) -> dict | None:
    """Element × time utilisation of the limit (100 % = at the limit): the element of every MV
    alarm first, most severe on top (labelled with its severity), then the most stressed."""
    rows = heatmap.get("rows") or []
    if not rows:
        return None
    labels = [(r["name"] if r["element"] == "primary" else f"{r['element']} {r['name']}")
              + (f" · {r['severity']}" if r.get("severity") else "") for r in rows][::-1]
    fig = go.Figure(go.Heatmap(
        z=[r["values"] for r in rows][::-1], x=heatmap["times"], y=labels, zmin=0, zmax=150,
        colorscale=[[0, "#1b5e20"], [0.5, "#c0ca33"], [0.6, "#ffb300"], [0.667, "#e65100"], [1, "#b71c1c"]],
        colorbar={"title": {"text": "% of limit"}, "thickness": 10, "tickvals": [0, 50, 100, 150]},
        hovertemplate="%{y}<br>%{x}<br>%{z:.0f} % of limit<extra></extra>",
    ))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 30}, height=max(260, 18 * len(rows) + 60),
                      yaxis={"automargin": True, "tickfont": {"size": 10}}, xaxis={"type": "date"})
    return json.loads(fig.to_json())


def timeline_figure(timeline: dict) -> dict | None:
    """Demand, PV, wind and net export with their P10–P90 bands."""
    times = timeline.get("times")
    if not times:
        return None
    fig = go.Figure()
    for quantity, label in SERIES.items():
        series = timeline.get(quantity)
        if not series:
            continue
        add_band(fig, x=times, series=series, quantity=quantity, label=label, band_name=f"{label} P10–P90",
                 band_group=quantity, line_name=f"{label} P50", line_group=quantity,
                 hovertemplate=f"{label}: %{{y:.2f}} MW<extra></extra>")
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 30}, height=300, hovermode="x unified",
                      yaxis={"title": {"text": "MW"}, "automargin": True}, xaxis={"type": "date"},
                      legend={"orientation": "h", "y": -0.15, "font": {"size": 11}})
    return json.loads(fig.to_json())
