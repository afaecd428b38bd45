"""Plotly figures of a network, built server-side as figure JSON for plotly.js.

SVG traces (``Scatter``), not WebGL (``Scattergl``): plotly.js builds its WebGL programs with
``new Function``, which the Content-Security-Policy (no 'unsafe-eval') forbids, and without a GPU
there is no WebGL at all; either way the figure showed "WebGL is not supported" instead of the
network."""
from __future__ import annotations

import json

import plotly.graph_objects as go
from plotly.colors import qualitative

from apps.common.figures import quantity_colour

from .engine.model import line_rating_mva
from .models import Bus, DERAsset, Feeder, Line, Network, Substation
from .selectors import snapshot_readings

FEEDER_PALETTE = qualitative.Dark24 + qualitative.Light24
DER_STYLE = {  # kind -> (marker symbol, colour)
    "pv": ("star", quantity_colour("pv")),
    "wind": ("triangle-up", quantity_colour("wind")),
    "battery": ("square", quantity_colour("battery")),
    "ev_charger": ("diamond", quantity_colour("ev_charger")),
    "biomass": ("pentagon", "#8f5d3b"),
    "hydro": ("circle", "#2274a5"),
    "other": ("x", "#555555"),
}
LOADING_BANDS = [  # (upper bound %, colour, label)
    (50, "#2e7d32", "< 50 %"),
    (80, "#f9a825", "50–80 %"),
    (100, "#ef6c00", "80–100 %"),
    (float("inf"), "#c62828", "> 100 %"),
]


def _band_colour(loading_percent: float) -> str:
    return next(colour for upper, colour, _ in LOADING_BANDS if loading_percent <= upper)


def _segments(lines, xy) -> tuple[list, list]:
    xs, ys = [], []
    for from_id, to_id in lines:
        a, b = xy.get(from_id), xy.get(to_id)
        if a is None or b is None:
            continue
        xs += [a[0], b[0], None]
        ys += [a[1], b[1], None]
    return xs, ys


def _midpoints(network: Network, xy: dict) -> list[tuple]:
    """Each line's midpoint and its hover words (name, feeder, rating): lines hover only at their
    vertices, so a marker at the middle of each carries its name."""
    out = []
    vn = dict(Bus.objects.filter(network=network).values_list("id", "vn_kv"))
    for idx, name, f, t, feeder, max_i_ka, df, parallel in Line.objects.filter(network=network).values_list(
            "pp_index", "name", "from_bus_id", "to_bus_id", "feeder__name", "max_i_ka", "df", "parallel"):
        a, b = xy.get(f), xy.get(t)
        if a is None or b is None:
            continue
        rating = line_rating_mva(vn_kv=vn.get(f, 0.0), max_i_ka=max_i_ka, df=df, parallel=parallel)
        where = f" · feeder {feeder}" if feeder else ""
        out.append((round((a[0] + b[0]) / 2, 6), round((a[1] + b[1]) / 2, 6),
                    f"Line '{name or idx}'{where} · rated {rating:.2f} MVA"))
    return out


def _hover_markers(name: str, points: list[tuple], *, size: int = 7, visible=True, color="rgba(0,0,0,0)") -> go.Scatter:
    """Markers that carry hover text (``points``: (x, y, text)), drawn clear over the lines."""
    return go.Scatter(
        x=[p[0] for p in points], y=[p[1] for p in points], mode="markers", name=name, text=[p[2] for p in points],
        hoverinfo="text", showlegend=False, visible=visible, marker={"size": size, "color": color},
    )


def network_figure(network: Network, snapshot: dict | None = None) -> dict:
    """The network drawn on its coordinates: feeders coloured, DER by type, substations; every
    element names itself on hover (name, feeder, value and limit).

    With ``snapshot`` (a snapshot study result), lines are coloured by loading band and buses
    by voltage instead, and the hover text gives each line's, transformer's and bus's value
    against its limit ("Line 'MV1.101 Line 12' · feeder F3 · 87 % of 0.29 MVA").
    """
    # coordinates to 6 decimals (10 cm on a longitude/latitude map): half the figure's bytes otherwise
    xy = {pk: (round(x, 6), round(y, 6))
          for pk, x, y in Bus.objects.filter(network=network, x__isnull=False).values_list("id", "x", "y")}
    lines = list(Line.objects.filter(network=network).values_list("pp_index", "from_bus_id", "to_bus_id", "feeder_id", "in_service"))
    fig = go.Figure()

    if snapshot is None:
        feeders = list(Feeder.objects.filter(network=network).values_list("id", "name", "vn_kv"))
        by_feeder: dict = {}
        for _, f, t, feeder_id, _ in lines:
            by_feeder.setdefault(feeder_id, []).append((f, t))
        for number, (feeder_id, name, vn_kv) in enumerate(feeders):
            xs, ys = _segments(by_feeder.get(feeder_id, []), xy)
            mv = vn_kv >= 1.0
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines", name=name if mv else "LV feeders", hoverinfo="skip",
                line={"color": FEEDER_PALETTE[number % len(FEEDER_PALETTE)], "width": 2.5 if mv else 1},
                legendgroup="mv" if mv else "lv", showlegend=mv or name == next((n for _, n, v in feeders if v < 1.0), None),
                legendgrouptitle_text="MV feeders" if mv and number == 0 else None,
            ))
        xs, ys = _segments(by_feeder.get(None, []), xy)
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="Other lines", hoverinfo="skip",
                                       line={"color": "#999", "width": 1}))
        fig.add_trace(_hover_markers("Lines", _midpoints(network, xy)))
    else:
        loading = snapshot.get("line_loading_percent", {})
        for upper, colour, label in LOADING_BANDS:
            lower = next((u for u, _, _ in reversed(LOADING_BANDS) if u < upper), -1)
            band = [(f, t) for idx, f, t, _, _ in lines if lower < (loading.get(str(idx)) or 0.0) <= upper]
            xs, ys = _segments(band, xy)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"Loading {label}", hoverinfo="skip",
                                       line={"color": colour, "width": 2}))
        readings = snapshot_readings(network, snapshot)
        placed = [r for r in readings if r.x is not None and r.y is not None]
        fig.add_trace(_hover_markers("Lines", [(round(r.x, 6), round(r.y, 6), r.text) for r in placed if r.kind == "line"]))
        buses = [r for r in placed if r.kind == "bus"]
        fig.add_trace(go.Scatter(
            x=[r.x for r in buses], y=[r.y for r in buses], mode="markers", name="Bus voltage",
            text=[r.text for r in buses], hoverinfo="text",
            marker={"size": 5, "color": [r.value for r in buses], "colorscale": "RdBu_r", "cmin": 0.94, "cmax": 1.06,
                    "colorbar": {"title": {"text": "Voltage (pu)", "side": "top"}, "thickness": 10, "orientation": "h",
                                 "x": 0.5, "y": 0.0, "yanchor": "top", "len": 0.5}},
        ))
        trafos = [r for r in placed if r.kind == "transformer"]
        if trafos:
            fig.add_trace(go.Scatter(
                x=[r.x for r in trafos], y=[r.y for r in trafos], mode="markers", name="Transformer loading",
                text=[r.text for r in trafos], hoverinfo="text",
                marker={"symbol": "square-open", "size": 9, "line": {"width": 1.5},
                        "color": [_band_colour(r.value) for r in trafos]},
            ))

    ders = DERAsset.objects.filter(network=network).values_list("kind", "name", "bus_id", "rated_mw", "status",
                                                                "bus__feeder__name")
    by_kind: dict = {}
    for kind, name, bus_id, rated, status, feeder in ders:
        if bus_id in xy:
            by_kind.setdefault(kind, []).append((name, xy[bus_id], rated or 0.0, status, feeder))
    labels = dict(DERAsset.Kind.choices)
    for kind, items in by_kind.items():
        symbol, colour = DER_STYLE.get(kind, DER_STYLE["other"])
        fig.add_trace(go.Scatter(
            x=[i[1][0] for i in items], y=[i[1][1] for i in items], mode="markers", name=f"{labels[kind]} ({len(items)})",
            text=[f"{labels[kind]} '{i[0]}'{f' · feeder {i[4]}' if i[4] else ''} · {i[2] * 1000:.0f} kW rated · {i[3]}"
                  for i in items], hoverinfo="text", legendgroup="der",
            visible=True if snapshot is None else "legendonly",  # voltages matter more on the power-flow view
            marker={"symbol": symbol, "color": colour, "size": 11 if kind in ("wind", "biomass", "hydro") else 5,
                    "opacity": 1.0 if kind in ("wind", "biomass", "hydro") else 0.75,
                    "line": {"width": 0.5, "color": "#222"}},
        ))
    subs = Substation.objects.filter(network=network, busbar__x__isnull=False).values_list("name", "kind", "busbar__x", "busbar__y")
    for kind, size in (("primary", 16), ("secondary", 7)):
        chosen = [s for s in subs if s[1] == kind]
        if chosen:
            fig.add_trace(go.Scatter(
                x=[s[2] for s in chosen], y=[s[3] for s in chosen], mode="markers", name=f"{kind.title()} substations",
                text=[f"{kind.title()} substation '{s[0]}'" for s in chosen], hoverinfo="text",
                marker={"symbol": "square", "size": size, "color": "#222" if kind == "primary" else "#666"},
            ))
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 10}, hovermode="closest", plot_bgcolor="#fbfbfb",
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1.6},
        legend={"itemsizing": "constant", "font": {"size": 11}}, uirevision=f"network-{network.pk}",
    )
    return json.loads(fig.to_json())  # plain JSON types, ready for json_script


def figure_zoomed(figure: dict, box: dict | None) -> dict:
    """A copy of a network figure zoomed to ``box`` (``{"x": [lo, hi], "y": [lo, hi]}``, a feeder's
    from ``apps.grid.selectors.feeder_bounds``); the figure itself (cached) is not changed."""
    if not box:
        return figure
    layout = {**figure.get("layout", {})}
    layout["xaxis"] = {**layout.get("xaxis", {}), "range": list(box["x"]), "autorange": False}
    layout["yaxis"] = {**layout.get("yaxis", {}), "range": list(box["y"]), "autorange": False}
    return {**figure, "layout": layout}
