"""Plotly figures of a projection, built server-side as figure JSON."""
from __future__ import annotations

import json

import plotly.graph_objects as go

from apps.common.figures import add_band

SERIES = {"demand": "Demand", "pv": "Solar PV", "wind": "Wind", "net_export": "Net export"}  # quantity -> label


ELEMENT_LABELS = {"line": "Line", "trafo": "Transformer", "bus": "Bus"}
HEAT_COLOURS = [[0, "#1b5e20"], [0.5, "#c0ca33"], [0.6, "#ffb300"], [0.667, "#e65100"], [1, "#b71c1c"]]


def heatmap_figure(heatmap: dict, labels: dict[tuple[str, int], dict] | None = None) -> dict | None:
    """Element × time utilisation of the limit (100 % = at the limit): the element of every MV
    alarm first, most severe on top (labelled with its severity), then the most stressed.

    One heatmap trace per row (at y = its position; the axis labels name the rows: single-row
    heatmaps on a category axis break plotly.js), so that each row's hover names its element with
    its feeder and limit (``labels``: (element, pp_index) -> {"feeder", "limit"}, from
    ``apps.grid.selectors.element_labels``), e.g. "Line 'MV1.101 Line 12' · feeder F3 · 87 % of
    limit (rated 0.29 MVA)" and the time.
    """
    rows = heatmap.get("rows") or []
    if not rows:
        return None
    labels = labels or {}
    ticks = [(r["name"] if r["element"] == "primary" else f"{r['element']} {r['name']}")
             + (f" · {r['severity']}" if r.get("severity") else "") for r in rows][::-1]
    fig = go.Figure()
    for number, r in enumerate(reversed(rows)):
        label = labels.get((r["element"], r.get("pp_index")), {})
        feeder = f" · feeder {label['feeder']}" if label.get("feeder") else ""
        limit = f" ({label['limit']})" if label.get("limit") else ""
        named = (r["name"] if r["element"] == "primary"
                 else f"{ELEMENT_LABELS.get(r['element'], r['element'])} '{r['name']}'{feeder}")
        severity = f" · {r['severity']} alarm" if r.get("severity") else ""
        fig.add_trace(go.Heatmap(
            z=[r["values"]], x=heatmap["times"], y0=number, dy=1, zmin=0, zmax=150,
            name=named, colorscale=HEAT_COLOURS, showscale=number == 0,
            colorbar={"title": {"text": "% of limit"}, "thickness": 10, "tickvals": [0, 50, 100, 150]},
            hovertemplate=f"{named} · %{{z:.0f}} % of limit{limit}{severity}<br>%{{x}}<extra></extra>",
        ))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 30}, height=max(260, 18 * len(rows) + 60),
                      yaxis={"automargin": True, "tickfont": {"size": 10}, "tickvals": list(range(len(rows))),
                             "ticktext": ticks, "range": [-0.5, len(rows) - 0.5], "zeroline": False,
                             "showgrid": False},
                      xaxis={"type": "date"})
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
