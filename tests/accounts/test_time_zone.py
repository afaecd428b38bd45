"""The user's time zone: set on the settings page and over the API, and every page shows a time
in it with the same words (ANM and forecasts pages, in two zones)."""
from __future__ import annotations

import datetime as dt

import pytest

from apps.audit.models import AuditEvent


def test_default_zone_and_patch_over_the_api(client_for, operator):
    api = client_for(operator)
    assert api.get("/api/v1/me/").json()["time_zone"] == "Europe/London"
    response = api.patch("/api/v1/me/", {"time_zone": "America/New_York"}, format="json")
    assert response.status_code == 200 and response.json()["time_zone"] == "America/New_York"
    operator.refresh_from_db()
    assert operator.time_zone == "America/New_York"
    assert AuditEvent.objects.filter(action="accounts.time_zone_set", actor=operator).count() == 1


def test_a_zone_that_does_not_exist_is_a_400(client_for, aggregator_a):
    response = client_for(aggregator_a).patch("/api/v1/me/", {"time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400 and "time_zone" in response.json().get("errors", response.json()).__str__()
    aggregator_a.refresh_from_db()
    assert aggregator_a.time_zone == "Europe/London"


def test_settings_page_changes_the_zone(client, aggregator_a):
    client.force_login(aggregator_a)
    page = client.get("/accounts/settings/").content.decode()
    assert 'id="settings-form"' in page and '<option value="Europe/London" selected>' in page
    assert client.post("/accounts/settings/", {"time_zone": "Asia/Tokyo"}).status_code == 302
    aggregator_a.refresh_from_db()
    assert aggregator_a.time_zone == "Asia/Tokyo"
    page = client.get("/").content.decode()
    assert '<script id="clock-zone" type="application/json">"Asia/Tokyo"</script>' in page
    assert client.post("/accounts/settings/", {"time_zone": "Nowhere/Else"}).status_code == 200
    aggregator_a.refresh_from_db()
    assert aggregator_a.time_zone == "Asia/Tokyo"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
@pytest.mark.parametrize(("zone", "text"), [("Europe/London", "15 Jun 11:00"), ("America/New_York", "15 Jun 06:00")])
def test_a_time_reads_the_same_on_the_anm_and_forecasts_pages(client, operator, mv_network, zone, text):
    from apps.anm.services import projection_request
    from apps.forecasting.services import forecast_run_issue

    moment = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)  # the forecast's issue = the projection's start
    forecast_run_issue(network=mv_network, issued_at=moment, steps=96)
    projection_request(network=mv_network, requested_by=operator, start=moment, seed=7, live=True)
    operator.time_zone = zone
    operator.save(update_fields=["time_zone"])
    client.force_login(operator)
    anm = client.get(f"/anm/networks/{mv_network.pk}/").content.decode()
    forecasts = client.get("/forecasting/").content.decode()
    expected = f'<time datetime="2026-06-15T10:00:00+00:00"'
    assert f">{text}</time>" in anm and f">{text}</time>" in forecasts
    assert expected in forecasts
    # The figures are drawn on the same wall clock: the forecast axis starts at the reader's time.
    wall = "2026-06-15T11:00:00" if zone == "Europe/London" else "2026-06-15T06:00:00"
    assert f'"{wall}"' in forecasts and f'"{wall}"' in anm


def test_the_api_keeps_utc_whatever_the_users_zone(client_for, operator, mv_network):
    from apps.studies.models import StudyRun

    operator.time_zone = "Asia/Tokyo"
    operator.save(update_fields=["time_zone"])
    run = StudyRun.objects.create(kind="snapshot", network=mv_network, requested_by=operator)
    StudyRun.objects.filter(pk=run.pk).update(created_at=dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC))  # BST
    body = client_for(operator).get(f"/api/v1/studies/{run.pk}/").json()
    assert body["created_at"] == "2026-06-15T10:00:00Z"  # UTC, as the live events carry it
