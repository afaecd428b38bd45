"""The /forecasting/ page: DSO staff see the timeline and accuracy; aggregators are refused."""
from __future__ import annotations

import datetime as dt

import pytest

from apps.forecasting.models import ForecastRun
from apps.forecasting.services import forecast_run_issue

UTC = dt.timezone.utc


@pytest.fixture
def issued(mv_network):
    return forecast_run_issue(network=mv_network, issued_at=dt.datetime(2026, 6, 15, 6, 0, tzinfo=UTC), steps=96)


def test_operator_sees_the_timeline_and_accuracy(client, operator, issued):
    client.force_login(operator)
    response = client.get("/forecasting/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="forecast-figure-data"' in page and 'id="accuracy"' in page
    assert "/static/vendor/plotly.min.js" in page and "/static/js/forecasting.js" in page
    assert "cdn" not in page.lower()  # plotly.js is served from static/, never a CDN
    assert "P10–P90" in page and ">Forecasts</a>" in page


def test_page_without_forecasts_offers_to_issue_one(client, engineer, mv_network):
    client.force_login(engineer)
    page = client.get("/forecasting/").content.decode()
    assert 'id="no-forecast"' in page and 'id="issue-forecast"' in page and 'id="backfill"' in page


def test_aggregator_is_refused(client, aggregator_a, issued):
    client.force_login(aggregator_a)
    assert client.get("/forecasting/").status_code == 403
    assert client.post("/forecasting/issue/", {"network": issued.network_id}).status_code == 403
    assert ForecastRun.objects.count() == 1


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/forecasting/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_operator_issues_a_forecast_but_only_engineers_backfill(client, operator, mv_network):
    client.force_login(operator)
    response = client.post("/forecasting/issue/", {"network": mv_network.pk})
    assert response.status_code == 302 and ForecastRun.objects.count() == 1
    assert client.post("/forecasting/backfill/", {"network": mv_network.pk}).status_code == 403
    assert ForecastRun.objects.count() == 1
