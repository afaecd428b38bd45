"""Named, hoverable, findable figures: every element's hover text names it with its feeder, value
and limit; the worst elements are listed worst first; a feeder zooms the figure; the snapshot says
what it solved. Values by hand from the MV SimBench rows (line 0: 20 kV, 0.22 kA; transformer 0:
25 MVA; bus 4: 20 kV, band 0.94–1.06 pu)."""
from __future__ import annotations

import pytest
from django.utils.html import escape

from apps.grid.engine.model import line_rating_mva
from apps.grid.engine.ratings import voltage_share
from apps.grid.figures import network_figure
from apps.grid.models import Bus, Feeder
from apps.grid.selectors import feeder_bounds, snapshot_worst
from apps.studies.services import study_run_create

F1 = "MV1.101 busbar1.1 F1"
HAND_RESULT = {  # a snapshot result written by hand: four elements with results
    "line_loading_percent": {"0": 120.0, "1": 40.0},
    "trafo_loading_percent": {"0": 95.0},
    "bus_vm_pu": {"4": 1.075, "5": 0.97},
}


def trace(figure: dict, name: str) -> dict:
    return next(t for t in figure["data"] if t.get("name") == name)


def test_ratings_by_hand():
    assert line_rating_mva(vn_kv=0.4, max_i_ka=0.42) == pytest.approx(0.29098, abs=1e-5)  # √3 · 0.4 · 0.42
    assert line_rating_mva(vn_kv=20.0, max_i_ka=0.22, df=0.5, parallel=2) == pytest.approx(7.6210, abs=1e-4)
    assert voltage_share(1.075, vmin_pu=0.94, vmax_pu=1.06) == pytest.approx(1.25)  # 0.075 / 0.06
    assert voltage_share(0.97, vmin_pu=0.94, vmax_pu=1.06) == pytest.approx(0.5)  # 0.03 / 0.06


def test_topology_hover_names_each_line_with_feeder_and_rating(mv_network):
    figure = network_figure(mv_network)
    texts = trace(figure, "Lines")["text"]
    assert len(texts) == 101
    assert f"Line 'MV1.101 Line 1' · feeder {F1} · rated 7.62 MVA" in texts
    substations = trace(figure, "Primary substations")["text"]
    assert all(t.startswith("Primary substation '") for t in substations)
    pv = next(t for t in figure["data"] if t.get("name", "").startswith("Solar PV"))
    assert pv["text"][0].startswith("Solar PV '") and " kW rated · " in pv["text"][0]


def test_snapshot_hover_gives_value_and_limit(mv_network):
    figure = network_figure(mv_network, HAND_RESULT)
    assert f"Line 'MV1.101 Line 1' · feeder {F1} · 120 % of 7.62 MVA" in trace(figure, "Lines")["text"]
    assert "Transformer 'HV1-MV1.101-Trafo1' · 95 % of 25.00 MVA" in trace(figure, "Transformer loading")["text"]
    assert f"Bus 'MV1.101 Bus 4' · feeder {F1} · 1.075 pu (limits 0.94–1.06 pu)" in trace(figure, "Bus voltage")["text"]


def test_worst_elements_are_ranked_by_the_share_of_their_limit(mv_network):
    worst = snapshot_worst(mv_network, HAND_RESULT)
    # bus 4 uses 125 % of its band, line 0 120 % of its rating, the transformer 95 %, bus 5 50 %, line 1 40 %
    assert [(r.key, round(r.share, 3)) for r in worst] == [
        ("bus:4", 1.25), ("line:0", 1.2), ("transformer:0", 0.95), ("bus:5", 0.5), ("line:1", 0.4)]
    assert [r.key for r in snapshot_worst(mv_network, HAND_RESULT, count=2)] == ["bus:4", "line:0"]
    feeder = Feeder.objects.get(network=mv_network, name=F1)
    assert {r.feeder for r in snapshot_worst(mv_network, HAND_RESULT, feeder=feeder)} == {F1}
    assert [r.key for r in snapshot_worst(mv_network, HAND_RESULT, feeder=feeder)][:2] == ["bus:4", "line:0"]


def test_feeder_bounds_are_its_buses_box_padded(mv_network):
    feeder = Feeder.objects.get(network=mv_network, name=F1)
    xs, ys = zip(*Bus.objects.filter(feeder=feeder, x__isnull=False).values_list("x", "y"))
    pad = max(max(xs) - min(xs), max(ys) - min(ys)) * 0.05
    box = feeder_bounds(mv_network)[feeder.pk]
    assert box["name"] == F1
    assert box["x"] == pytest.approx([min(xs) - pad, max(xs) + pad])
    assert box["y"] == pytest.approx([min(ys) - pad, max(ys) + pad])


def test_figure_api_zooms_to_a_feeder(mv_network, client_for, operator, aggregator_a):
    feeder = Feeder.objects.get(network=mv_network, name=F1)
    api = client_for(operator)
    whole = api.get(f"/api/v1/networks/{mv_network.pk}/figure/").json()
    assert "range" not in whole["layout"]["xaxis"]
    zoomed = api.get(f"/api/v1/networks/{mv_network.pk}/figure/?feeder={feeder.pk}").json()
    box = feeder_bounds(mv_network)[feeder.pk]
    assert zoomed["layout"]["xaxis"]["range"] == pytest.approx(box["x"])
    assert zoomed["layout"]["yaxis"]["range"] == pytest.approx(box["y"])
    assert api.get(f"/api/v1/networks/{mv_network.pk}/figure/?feeder=999999").status_code == 400
    assert client_for(aggregator_a).get(f"/api/v1/networks/{mv_network.pk}/figure/?feeder={feeder.pk}").status_code in (403, 404)


def test_page_zooms_to_a_feeder_and_offers_each(client, operator, mv_network):
    feeder = Feeder.objects.get(network=mv_network, name=F1)
    client.force_login(operator)
    page = client.get(f"/networks/{mv_network.pk}/?feeder={feeder.pk}").content.decode()
    assert 'id="feeder-select"' in page and f'<option value="{feeder.pk}" selected>{F1}</option>' in page
    assert page.count("<option value=") >= 9  # the whole network and the 8 feeders
    # the figures (fetched, cached whole) open on the feeder's box, which the page carries
    import json
    import re

    from apps.grid.selectors import feeder_bounds

    zoom = re.search(r'<script id="figure-zoom" type="application/json">(.*?)</script>', page).group(1)
    assert json.loads(zoom) == json.loads(json.dumps(feeder_bounds(mv_network)[feeder.pk]))
    assert client.get(f"/networks/{mv_network.pk}/?feeder=abc").status_code == 200  # ignored, whole network


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_snapshot_lists_worst_elements_and_says_what_it_solved(client, client_for, operator, mv_network):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    mv_network.refresh_from_db()
    assert run.result["inputs"] == {"set_points": "stored", "network_revision": mv_network.revision}
    client.force_login(operator)
    page = client.get(f"/networks/{mv_network.pk}/").content.decode()
    assert f"at stored set-points, network revision {mv_network.revision}</span>" in page
    assert page.count('class="linkish worst-item"') == 10
    worst = client_for(operator).get(f"/api/v1/networks/{mv_network.pk}/worst/").json()
    shares = [e["share"] for e in worst["elements"]]
    assert worst["study"] == run.pk and len(shares) == 10 and shares == sorted(shares, reverse=True)
    assert escape(worst["elements"][0]["text"]) in page  # the page lists what the API lists, in order
    snapshot = network_figure(mv_network, run.result)
    assert worst["elements"][0]["text"] in {t for tr in snapshot["data"] for t in (tr.get("text") or [])}
