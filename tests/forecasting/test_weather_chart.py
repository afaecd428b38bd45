"""The forecasts page's weather chart: the forecast's irradiance, wind and temperature bands in the
quantity colours, the newest upload on top, fetched by the page from /forecasting/weather/figure/;
and an upload to an unknown zone names the zones that exist."""
from __future__ import annotations

import datetime as dt

import pytest

from apps.common.figures import quantity_colour
from apps.controlroom.demo import demo_weather_zone
from apps.forecasting.figures import weather_figure
from apps.forecasting.selectors import weather_newest_issue
from apps.forecasting.services import forecast_run_issue, weather_forecast_ingest

UTC = dt.timezone.utc
ISSUED = dt.datetime(2026, 6, 15, 6, 0, tzinfo=UTC)
FIGURE_URL = "/forecasting/weather/figure/"


def upload(zone, *, issued=ISSUED, ghi=(100.0, 250.0, 400.0), source="test-met"):
    rows = [{"valid_at": issued + dt.timedelta(minutes=15 * k), "ghi_w_m2": g, "wind_speed_m_s": 5.0 + k,
             "temperature_c": -1.5 + k} for k, g in enumerate(ghi)]
    weather_forecast_ingest(zone=zone, issued_at=issued, rows=rows, source=source)


@pytest.fixture
def zone(mv_network):
    return demo_weather_zone(mv_network)


@pytest.fixture
def run(mv_network):
    return forecast_run_issue(network=mv_network, issued_at=ISSUED, steps=8)


def _traces(figure, name):
    return [t for t in figure["data"] if t.get("name") == name]


def test_bands_in_the_quantity_colours_and_the_upload_on_top(zone, run):
    upload(zone)
    upload(zone, issued=ISSUED - dt.timedelta(hours=6), ghi=(999.0,), source="older")  # not the newest: not drawn
    from apps.forecasting.selectors import forecast_run_series

    series = forecast_run_series(run=run)
    figure = weather_figure(run=run, series=series, uploaded=weather_newest_issue(zone=zone))
    # per panel: the band's two edges and its P50 line, then the upload
    assert len(figure["data"]) == 3 * 4
    assert [a["text"] for a in figure["layout"]["annotations"]] == [
        "Irradiance (W/m²)", "Hub-height wind speed (m/s)", "Temperature (°C)"]
    p50 = _traces(figure, "Forecast P50")
    assert [t["line"]["color"] for t in p50] == [quantity_colour(q) for q in ("ghi_w_m2", "wind_speed_m_s", "temperature_c")]
    assert p50[0]["line"]["color"] == quantity_colour("pv") and p50[1]["line"]["color"] == quantity_colour("wind")
    assert list(p50[2]["y"]) == series["temperature_c"]["p50"] and len(p50[0]["x"]) == 8
    uploaded = _traces(figure, "Uploaded (test-met)")
    assert [list(t["y"]) for t in uploaded] == [[100.0, 250.0, 400.0], [5.0, 6.0, 7.0], [-1.5, -0.5, 0.5]]
    assert uploaded[0]["x"][0].startswith("2026-06-15T06:00:00")


def test_no_chart_without_a_run_or_an_upload(zone):
    assert weather_figure(run=None, series={}, uploaded=weather_newest_issue(zone=zone)) is None
    upload(zone)
    figure = weather_figure(run=None, series={}, uploaded=weather_newest_issue(zone=zone))
    assert len(figure["data"]) == 3 and figure["data"][0]["name"] == "Uploaded (test-met)"


def test_page_shows_the_zone_and_fetches_the_chart(client, operator, zone, run):
    upload(zone)
    client.force_login(operator)
    page = client.get("/forecasting/").content.decode()
    assert "Weather · Northvale (upper Wensleydale)" in page
    assert f'data-src="{FIGURE_URL}?network={run.network_id}"' in page and "/static/js/weather.js" in page
    assert "Newest upload: issued <time datetime=\"2026-06-15T06:00:00+00:00\" data-clock>15 Jun 07:00</time>" in page  # BST and "3 quarter-hours from test-met" in page
    body = client.get(FIGURE_URL, {"network": run.network_id}).json()
    assert [list(t["y"]) for t in _traces(body["figure"], "Uploaded (test-met)")][0] == [100.0, 250.0, 400.0]
    assert _traces(body["figure"], "Uploaded (test-met)")[0]["x"][0] == "2026-06-15T07:00:00"  # the reader's clock (BST)


def test_page_without_a_zone_says_so(client, operator, mv_network):
    client.force_login(operator)
    page = client.get("/forecasting/").content.decode()
    assert 'id="no-weather-zone"' in page and "weather.js" not in page
    assert client.get(FIGURE_URL, {"network": mv_network.pk}).json() == {"figure": None}


def test_aggregator_may_not_read_the_chart(client, aggregator_a, zone):
    client.force_login(aggregator_a)
    assert client.get(FIGURE_URL, {"network": zone.network_id}).status_code == 403


def test_unknown_zone_names_the_zones_that_exist(client_for, operator, zone):
    response = client_for(operator).post("/api/v1/forecasting/weather/", {
        "zone": zone.pk + 1000, "issued_at": "2026-03-02T06:00:00Z",
        "rows": [{"valid_at": "2026-03-02T06:00:00Z", "ghi_w_m2": 1.0, "wind_speed_m_s": 1.0, "temperature_c": 1.0}]},
        format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "zone" and error["message"] == (
        f'there is no weather zone {zone.pk + 1000}; your zones are: {zone.pk} "Northvale (upper Wensleydale)" '
        f'(network {zone.network_id} "MV rural") (GET /api/v1/forecasting/zones/).')


def test_unknown_zone_when_there_are_none(client_for, operator, db):
    response = client_for(operator).post("/api/v1/forecasting/weather/", {
        "zone": 1, "issued_at": "2026-03-02T06:00:00Z",
        "rows": [{"valid_at": "2026-03-02T06:00:00Z", "ghi_w_m2": 1.0, "wind_speed_m_s": 1.0, "temperature_c": 1.0}]},
        format="json")
    assert response.json()["errors"] == [{"row": 0, "field": "zone", "message":
        "there is no weather zone 1; you have no weather zones yet (load_demo or the admin makes one per network)."}]


def test_demo_zone_names_and_places_a_zone_an_older_demo_made(mv_network):
    from apps.forecasting.models import WeatherZone
    from apps.forecasting.services import weather_zone_ensure

    old = weather_zone_ensure(network=mv_network)  # "Network zone", no place
    zone = demo_weather_zone(mv_network)
    assert zone.pk == old.pk and WeatherZone.objects.count() == 1
    zone.refresh_from_db()
    assert (zone.name, zone.latitude, zone.longitude) == ("Northvale (upper Wensleydale)", 54.304, -2.196)
    assert demo_weather_zone(mv_network).pk == zone.pk and WeatherZone.objects.count() == 1


def test_chart_and_page_queries_do_not_grow_with_the_upload(client, operator, zone, run):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(operator)

    def queries(url, **params):
        from django.core.cache import cache

        cache.clear()  # both counts from a cold figure cache (the page caches its timeline per minute)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    upload(zone, ghi=(100.0, 200.0))
    small = (queries(FIGURE_URL, network=run.network_id), queries("/forecasting/"))
    upload(zone, issued=ISSUED + dt.timedelta(hours=1), ghi=tuple(float(k) for k in range(96)))
    assert (queries(FIGURE_URL, network=run.network_id), queries("/forecasting/")) == small
