"""The ANM heatmap names each row's element with its feeder and limit on hover (one trace per row,
most stressed on top), and the time axis reads in the reader's zone."""
from __future__ import annotations

from apps.anm.figures import heatmap_figure
from apps.grid.selectors import element_labels

F1 = "MV1.101 busbar1.1 F1"
HEATMAP = {
    "times": ["2026-06-15T10:00:00+00:00", "2026-06-15T10:15:00+00:00"],
    "rows": [  # most stressed first, as the projection stores them
        {"element": "line", "pp_index": 0, "name": "MV1.101 Line 1", "peak": 120.0, "values": [90.0, 120.0]},
        {"element": "bus", "pp_index": 4, "name": "MV1.101 Bus 4", "peak": 80.0, "values": [80.0, 40.0]},
    ],
}


def test_element_labels_by_hand(mv_network):
    labels = element_labels(mv_network, [("line", 0), ("bus", 4), ("trafo", 0), ("line", 99999)])
    assert labels[("line", 0)] == {"feeder": F1, "limit": "rated 7.62 MVA"}  # √3 · 20 kV · 0.22 kA
    assert labels[("bus", 4)] == {"feeder": F1, "limit": "band 0.94–1.06 pu"}
    assert labels[("trafo", 0)] == {"feeder": "", "limit": "rated 25.00 MVA"}
    assert ("line", 99999) not in labels


def test_each_row_hovers_with_name_feeder_value_and_limit(mv_network):
    labels = element_labels(mv_network, [("line", 0), ("bus", 4)])
    figure = heatmap_figure(HEATMAP, labels)
    # bottom to top: the worst row is drawn last, on top
    assert [t["y0"] for t in figure["data"]] == [0, 1]
    assert figure["layout"]["yaxis"]["ticktext"] == ["bus MV1.101 Bus 4", "line MV1.101 Line 1"]
    assert figure["data"][1]["hovertemplate"] == (
        f"Line 'MV1.101 Line 1' · feeder {F1} · %{{z:.0f}} % of limit (rated 7.62 MVA)<br>%{{x}}<extra></extra>")
    assert figure["data"][0]["hovertemplate"].startswith(f"Bus 'MV1.101 Bus 4' · feeder {F1} · ")
    assert [t["showscale"] for t in figure["data"]] == [True, False]  # one colour bar
    assert heatmap_figure({"rows": []}) is None
    bare = heatmap_figure(HEATMAP)  # without labels: still named
    assert bare["data"][1]["hovertemplate"].startswith("Line 'MV1.101 Line 1' · %{z:.0f} % of limit<br>")
