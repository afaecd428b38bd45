"""ANM API and page: who may see and run projections, acknowledging alarms over HTTP."""
from __future__ import annotations

import datetime as dt

import pytest

from apps.anm.models import Alarm, ProjectionRun
from apps.anm.services import projection_request
from apps.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]
SUNNY_NOON = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def projected(mv_network, operator):
    study = projection_request(network=mv_network, requested_by=operator, start=SUNNY_NOON, seed=7, live=True)
    study.refresh_from_db()
    assert study.state == "succeeded", study.error
    return ProjectionRun.objects.get(study=study)


def test_latest_projection_payload(projected, client_for, operator, mv_network):
    payload = client_for(operator).get(f"/api/v1/anm/projection/?network={mv_network.pk}").json()
    assert payload["run"]["id"] == projected.pk
    assert payload["heatmap"]["data"][0]["type"] == "heatmap"
    assert {t.get("name") for t in payload["timeline"]["data"]} >= {"Demand P50", "Net export P10–P90"}
    assert len(payload["timeline"]["data"][0]["x"]) == 192
    assert payload["run"]["summary"]["violations"] == len(
        [e for e in projected.episodes.all() if e.level == "violation"])
    # MV/primary constraint locations as cards, LV ones on their own list
    assert payload["episodes"] and all(e["voltage_level"] == "mv" for e in payload["episodes"])
    assert payload["lv_episodes"] == []  # the MV network has no LV side
    # one card per location; its windows are every violation episode there
    titles = [c["title"] for c in payload["episodes"]]
    assert len(titles) == len(set(titles))
    assert sum(len(c["windows"]) for c in payload["episodes"]) == payload["run"]["summary"]["violations"]
    card = payload["episodes"][0]
    assert card["element"] in {"feeder", "trafo", "primary", "line", "busbar"}
    assert card["title"] and card["worst"]["name"] and card["members_count"] >= 1 and card["cases"]


def test_projection_needs_dso_staff(projected, client_for, aggregator_a, tso_client, mv_network):
    for user in (aggregator_a, tso_client):
        client = client_for(user)
        assert client.get(f"/api/v1/anm/projection/?network={mv_network.pk}").status_code == 403
        assert client.post("/api/v1/anm/projection/", {"network": mv_network.pk}, format="json").status_code == 403


def test_run_projection_over_the_api(mv_network, client_for, engineer):
    response = client_for(engineer).post(
        "/api/v1/anm/projection/", {"network": mv_network.pk, "start": SUNNY_NOON.isoformat(), "steps": 96},
        format="json")
    assert response.status_code == 201, response.content
    run = ProjectionRun.objects.get(study_id=response.json()["study"])
    assert run.steps == 96 and run.inputs["seed"] and run.inputs["limits"]


def test_bad_projection_request_is_a_clear_400(mv_network, client_for, engineer):
    response = client_for(engineer).post("/api/v1/anm/projection/", {"network": mv_network.pk, "steps": 0}, format="json")
    assert response.status_code == 400 and "steps" in response.json()
    assert not ProjectionRun.objects.exists()


def test_acknowledge_alarm_over_the_api(projected, client_for, operator, engineer, mv_network):
    alarm = Alarm.objects.filter(network=mv_network, state="active").first()
    assert alarm is not None, "the sunny-noon projection should raise alarms"
    response = client_for(operator).post(f"/api/v1/anm/alarms/{alarm.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged" and response.json()["acknowledged_by"] == "op"
    listed = client_for(engineer).get(f"/api/v1/anm/alarms/?network={mv_network.pk}&state=acknowledged").json()
    assert [a["id"] for a in listed] == [alarm.pk]
    assert AuditEvent.objects.filter(action="alarm.acknowledged", object_id=str(alarm.pk), actor=operator).exists()


def test_page_for_operator_and_refused_for_aggregator(projected, client, operator, aggregator_a, mv_network):
    client.force_login(operator)
    page = client.get(f"/anm/networks/{mv_network.pk}/").content.decode()
    # rendered on the server: cards, alarm rows and the figures' JSON; the script only draws and swaps
    assert 'id="heatmap-data"' in page and "/static/js/anm.js" in page and "/static/vendor/htmx.min.js" in page
    assert page.count('class="episode ') == len({(e.kind, e.element, e.name, e.direction)
                                                 for e in projected.episodes.filter(level="violation",
                                                                                     voltage_level="mv")})
    alarm = Alarm.objects.filter(network=mv_network, state="active").first()
    assert f'id="alarm-{alarm.pk}"' in page
    client.force_login(aggregator_a)
    assert client.get(f"/anm/networks/{mv_network.pk}/").status_code == 403


def test_run_button_queues_a_projection(client, operator, mv_network):
    client.force_login(operator)
    response = client.post(f"/anm/networks/{mv_network.pk}/run/", follow=True)
    assert "Projection #" in response.content.decode()
    assert ProjectionRun.objects.filter(network=mv_network).count() == 1


@pytest.mark.parametrize("name, marker", [
    ("projection-age", 'id="projection-age"'), ("kpis", 'id="projection-kpis"'), ("figures", 'id="timeline-data"'),
    ("mv-cards", 'id="episodes"'), ("lv-rows", 'id="lv-rows"'), ("alarm-rows", 'id="alarm-rows"'),
    ("curtailment-rows", 'id="curtailment-rows"'),
])
def test_each_partial_is_served_alone_for_an_in_place_swap(projected, client, operator, mv_network, name, marker):
    client.force_login(operator)
    html = client.get(f"/anm/networks/{mv_network.pk}/parts/{name}/").content.decode()
    assert html.strip().startswith("<") and marker in html and "<html" not in html


def test_alarm_row_partial_and_acknowledging_from_the_page(projected, client, operator, aggregator_a, mv_network):
    alarm = Alarm.objects.filter(network=mv_network, state="active").first()
    client.force_login(operator)
    row = client.get(f"/anm/networks/{mv_network.pk}/parts/alarm-row/?alarm={alarm.pk}").content.decode()
    assert row.strip().startswith(f'<tr id="alarm-{alarm.pk}"') and 'data-ack=' in row
    assert client.get(f"/anm/networks/{mv_network.pk}/parts/nothing/").status_code == 404
    acked = client.post(f"/anm/networks/{mv_network.pk}/alarms/{alarm.pk}/acknowledge/").content.decode()
    assert 'class="acked"' in acked and "data-ack=" not in acked
    alarm.refresh_from_db()
    assert alarm.state == "acknowledged" and alarm.acknowledged_by == operator
    client.force_login(aggregator_a)
    assert client.get(f"/anm/networks/{mv_network.pk}/parts/kpis/").status_code == 403


def _tile(html: str, tile_id: str) -> int:
    import re

    return int(re.search(rf'<b id="{tile_id}">(\d+)</b>', html).group(1))


def test_tiles_are_the_counts_of_what_the_page_lists(projected, client, operator, mv_network):
    from apps.anm.models import ConstraintEpisode

    # Give the run two LV violation episodes at one secondary transformer (one location, two
    # windows) and one at another: the LV list has 2 rows and its tile says 2.
    for index, hour in [(7, 12), (7, 15), (8, 12)]:
        start = SUNNY_NOON.replace(hour=hour)
        ConstraintEpisode.objects.create(
            run=projected, element="trafo", pp_index=index, name=f"LV T{index}",
            kind="thermal", level="violation", direction="import", voltage_level="lv", case="import",
            cases=["import"], start=start, end=start + dt.timedelta(hours=1), peak_at=start, peak_value=130.0,
            limit=100.0, unit="%", worst={"element": "trafo", "pp_index": index, "name": f"LV T{index}"},
            members=[], members_count=1, relief_mw=[0.1], headroom_mw=[0.2], severity="low")
    client.force_login(operator)
    html = client.get(f"/anm/networks/{mv_network.pk}/").content.decode()
    cards = html.count('class="episode ')
    lv_rows = html.count("data-lv-episode=")
    alarm_rows = html.count('<tr id="alarm-')
    short = html.count('class="badge red">short</span>')
    assert lv_rows == 2 and _tile(html, "count-lv") == 2
    assert cards >= 1 and _tile(html, "count-mv") == cards
    assert _tile(html, "open-alarms") == alarm_rows == Alarm.objects.filter(network=mv_network).exclude(
        state="cleared").count()
    assert _tile(html, "count-short") == short
    assert "and 1 more window" in html  # the two-window LV location says so
    # The tiles partial (swapped on live events) counts the same.
    part = client.get(f"/anm/networks/{mv_network.pk}/parts/kpis/").content.decode()
    assert (_tile(part, "count-mv"), _tile(part, "count-lv"), _tile(part, "open-alarms")) == (cards, 2, alarm_rows)


def test_one_id_per_run_the_studys(projected, client, operator, mv_network):
    """The header and the 'queued' message name a projection by its study's id (the id the
    studies list and API use), never the projection record's own."""
    client.force_login(operator)
    html = client.get(f"/anm/networks/{mv_network.pk}/").content.decode()
    assert f"Projection #{projected.study_id} computed" in html
    queued = client.post(f"/anm/networks/{mv_network.pk}/run/", follow=True).content.decode()
    newest = ProjectionRun.objects.order_by("-id").first()
    # Tasks run in-process here: the study is over before the page is drawn, and the message says so.
    assert newest.study.state == "succeeded"
    assert f'<li class="run-{newest.study_id} info">Projection #{newest.study_id} finished.</li>' in queued
    assert "queued" not in queued
