"""In a real browser: a met provider uploads a weather forecast through the API with a token, and
the engineer opening the forecasts page sees it on the weather chart over the forecast's bands.
Screenshot: test-artifacts/forecasts-weather-upload.png."""
from __future__ import annotations

import math

import pytest
import requests

from apps.controlroom.demo import demo_weather_zone
from apps.forecasting.services import forecast_run_issue
from tests.forecasting.test_weather_http import quarter_hour_now, weather_rows
from tests.e2e.browsing import signed_in_page
from tests.servers import ARTIFACTS, daphne_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_weather_upload_through_the_api_shows_on_the_forecasts_page(browser, mv_network, engineer):
    zone = demo_weather_zone(mv_network)
    issued = quarter_hour_now()
    forecast_run_issue(network=mv_network, issued_at=issued, steps=96)  # its bands, under the upload
    with daphne_server() as base:
        token = requests.post(f"{base}/api/v1/auth/token/", data={"username": "eng", "password": "pw"}, timeout=30)
        headers = {"Authorization": f"Token {token.json()['token']}"}
        rows = weather_rows(issued, 96)  # 24 h: a clear day from 08:00 to 16:00 UTC, mild and windy
        for k, row in enumerate(rows):
            hour = (issued.hour + issued.minute / 60 + k / 4) % 24
            day = max(0.0, math.sin(math.pi * (hour - 8) / 8)) if 8 <= hour <= 16 else 0.0
            row.update(ghi_w_m2=round(350 * day, 1), wind_speed_m_s=round(9 + 3 * math.sin(k / 15), 1),
                       temperature_c=round(6 + 4 * day, 1))
        response = requests.post(f"{base}/api/v1/forecasting/weather/", headers=headers, timeout=30, json={
            "zone": zone.pk, "issued_at": issued.isoformat(), "source": "e2e-met", "rows": rows})
        assert response.status_code == 201, response.text

        page, errors = signed_in_page(browser, base, "eng", width=1500, height=1000)
        page.goto(f"{base}/forecasting/?network={mv_network.pk}")
        page.wait_for_selector("#weather-figure[data-drawn='1'] .main-svg", timeout=30_000)
        legend = page.locator("#weather-figure .legendtext")
        assert legend.filter(has_text="Uploaded (e2e-met)").count() == 1
        assert legend.filter(has_text="Forecast P10–P90").count() == 1
        assert "96 quarter-hours from e2e-met" in page.inner_text("#weather-zone")
        # the uploaded points are drawn: one marker per row in each of the three panels
        assert page.locator("#weather-figure .scatterlayer .trace .points path").count() >= 3 * 96
        page.locator("#weather").scroll_into_view_if_needed()
        page.locator("#weather").screenshot(path=str(ARTIFACTS / "forecasts-weather-upload.png"))
        assert errors == []
