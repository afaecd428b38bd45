"""Weather ingest over real HTTP, as a met provider does it against the demo: a token from
``/api/v1/auth/token/``, an upload to the demo's weather zone, then the forecasts page's weather
chart (fetched by the page) carries the uploaded values."""
from __future__ import annotations

import datetime as dt

import pytest
import requests

from apps.controlroom.demo import demo_weather_zone
from apps.forecasting.models import WeatherForecast
from tests.servers import daphne_server

pytestmark = pytest.mark.django_db(transaction=True)


def quarter_hour_now() -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    return now - dt.timedelta(minutes=now.minute % 15)


def weather_rows(issued: dt.datetime, n: int) -> list[dict]:
    return [{"valid_at": (issued + dt.timedelta(minutes=15 * k)).isoformat(), "ghi_w_m2": 50.0 * k,
             "wind_speed_m_s": 9.5, "temperature_c": 11.0 + 0.5 * k} for k in range(n)]


def session_login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30)
    response = session.post(f"{base}/accounts/login/", timeout=30, allow_redirects=False, data={
        "username": username, "password": "pw", "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    assert response.status_code == 302, response.text[:500]
    return session


def test_upload_with_a_token_is_stored_and_drawn_on_the_forecasts_page(mv_network, engineer, operator):
    zone = demo_weather_zone(mv_network)
    issued = quarter_hour_now()
    with daphne_server() as base:
        token = requests.post(f"{base}/api/v1/auth/token/", data={"username": "eng", "password": "pw"}, timeout=30)
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Token {token.json()['token']}"}
        url = f"{base}/api/v1/forecasting/weather/"

        zones = requests.get(f"{base}/api/v1/forecasting/zones/", headers=headers, timeout=30).json()
        assert [z["id"] for z in zones["results"]] == [zone.pk]

        wrong = requests.post(url, headers=headers, timeout=30, json={
            "zone": zone.pk + 1, "issued_at": issued.isoformat(), "rows": weather_rows(issued, 4)})
        assert wrong.status_code == 400 and f'your zones are: {zone.pk} "Northvale' in wrong.json()["errors"][0]["message"]

        stored = requests.post(url, headers=headers, timeout=30, json={
            "zone": zone.pk, "issued_at": issued.isoformat(), "source": "http-met", "rows": weather_rows(issued, 4)})
        assert stored.status_code == 201, stored.text
        assert stored.json()["stored"] == 4
        assert sorted(WeatherForecast.objects.filter(zone=zone).values_list("ghi_w_m2", flat=True)) == [0, 50, 100, 150]

        page = session_login(base, "op")
        html = page.get(f"{base}/forecasting/", timeout=60).text
        assert "4 quarter-hours from http-met" in html
        figure = page.get(f"{base}/forecasting/weather/figure/", params={"network": mv_network.pk}, timeout=60).json()["figure"]
        uploaded = [t for t in figure["data"] if t["name"] == "Uploaded (http-met)"]
        assert [list(t["y"]) for t in uploaded] == [[0, 50, 100, 150], [9.5] * 4, [11.0, 11.5, 12.0, 12.5]]
