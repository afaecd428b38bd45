"""Weather ingest API: a good payload is stored and audited; a bad one is rejected with a
message per row and field, and nothing is stored or replaced; DSO staff only."""
from __future__ import annotations

import datetime as dt

import pytest

from apps.audit.models import AuditEvent
from apps.forecasting.models import WeatherForecast
from apps.forecasting.services import weather_zone_ensure

URL = "/api/v1/forecasting/weather/"
ISSUED = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def zone(mv_network):
    return weather_zone_ensure(network=mv_network)


def rows(n: int = 8, start: dt.datetime = ISSUED) -> list[dict]:
    return [{"valid_at": (start + dt.timedelta(minutes=15 * k)).isoformat().replace("+00:00", "Z"),
             "ghi_w_m2": 100.0 + 10 * k, "wind_speed_m_s": 6.5, "temperature_c": 4.0} for k in range(n)]


def payload(zone, **extra) -> dict:
    return {**{"zone": zone.pk, "issued_at": "2026-03-02T06:00:00Z", "source": "test-met", "rows": rows()}, **extra}


def test_good_payload_is_stored_and_audited(client_for, operator, zone):
    response = client_for(operator).post(URL, payload(zone), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["stored"] == 8
    stored = list(WeatherForecast.objects.filter(zone=zone).order_by("valid_at"))
    assert len(stored) == 8 and stored[0].issued_at == ISSUED and stored[0].valid_at == ISSUED
    assert (stored[3].ghi_w_m2, stored[3].wind_speed_m_s, stored[3].temperature_c, stored[3].source) == (130.0, 6.5, 4.0, "test-met")
    event = AuditEvent.objects.get(action="weather.ingested")
    assert event.actor == operator and event.after["rows"] == 8


def test_engineer_may_ingest_and_read_back(client_for, engineer, zone):
    api = client_for(engineer)
    assert api.post(URL, payload(zone), format="json").status_code == 201
    latest = api.get(URL, {"zone": zone.pk}).json()
    assert len(latest["rows"]) == 8 and latest["rows"][0]["ghi_w_m2"] == 100.0


def test_bad_rows_are_each_reported_and_nothing_is_stored(client_for, operator, zone):
    bad = rows(8)
    bad[1]["ghi_w_m2"] = -5                                   # row 2: out of range
    bad[2]["wind_speed_m_s"] = "fast"                         # row 3: not a number
    bad[3]["valid_at"] = "2026-03-02T06:50:00Z"               # row 4: not on the quarter-hour
    bad[4]["valid_at"] = bad[0]["valid_at"]                   # row 5: repeats row 1
    del bad[5]["temperature_c"]                               # row 6: missing
    bad[6]["valid_at"] = "2026-03-05T06:00:00Z"               # row 7: beyond 48 h
    bad[7]["humidity"] = 80                                   # row 8: unknown field
    response = client_for(operator).post(URL, payload(zone, rows=bad), format="json")
    assert response.status_code == 400
    body = response.json()
    assert "nothing was stored" in body["detail"]
    found = {(e["row"], e["field"]) for e in body["errors"]}
    assert found == {(2, "ghi_w_m2"), (3, "wind_speed_m_s"), (4, "valid_at"), (5, "valid_at"), (6, "temperature_c"),
                     (7, "valid_at"), (8, "humidity")}
    messages = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert "between 0 and 1500" in messages[(2, "ghi_w_m2")] and "repeats row 1" in messages[(5, "valid_at")]
    assert WeatherForecast.objects.count() == 0
    assert not AuditEvent.objects.filter(action="weather.ingested").exists()


@pytest.mark.parametrize("row, field", [
    ("not a row", ""),
    ({"valid_at": "", "ghi_w_m2": 1, "wind_speed_m_s": 1, "temperature_c": 1}, "valid_at"),
    ({"valid_at": "2026-03-02T06:15:00", "ghi_w_m2": 1, "wind_speed_m_s": 1, "temperature_c": 1}, "valid_at"),
    ({"valid_at": "2026-03-02T06:15:00Z", "ghi_w_m2": None, "wind_speed_m_s": 1, "temperature_c": 1}, "ghi_w_m2"),
])
def test_each_kind_of_bad_row_is_reported_by_number(client_for, operator, zone, row, field):
    response = client_for(operator).post(URL, payload(zone, rows=[rows(1)[0], row]), format="json")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, field)]
    assert WeatherForecast.objects.count() == 0


def test_a_bad_replacement_replaces_nothing(client_for, operator, zone):
    api = client_for(operator)
    assert api.post(URL, payload(zone), format="json").status_code == 201
    before = list(WeatherForecast.objects.values_list("valid_at", "ghi_w_m2").order_by("valid_at"))
    bad = rows(8)
    for row in bad:
        row["ghi_w_m2"] = 999.0
    bad[7]["temperature_c"] = 99  # one bad row spoils the whole issue
    response = api.post(URL, payload(zone, rows=bad, replace=True), format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["row"] == 8
    assert list(WeatherForecast.objects.values_list("valid_at", "ghi_w_m2").order_by("valid_at")) == before


def test_resending_an_issue_needs_replace(client_for, operator, zone):
    api = client_for(operator)
    assert api.post(URL, payload(zone), format="json").status_code == 201
    again = api.post(URL, payload(zone, rows=rows(4)), format="json")
    assert again.status_code == 400 and "replace" in again.json()["errors"][0]["message"]
    assert WeatherForecast.objects.count() == 8
    replaced = api.post(URL, payload(zone, rows=rows(4), replace=True), format="json")
    assert replaced.status_code == 201 and WeatherForecast.objects.count() == 4


@pytest.mark.parametrize("change, field", [
    ({"issued_at": "2026-03-02T06:00:00"}, "issued_at"),   # no UTC offset
    ({"rows": []}, "rows"),
    ({"zone": 999999}, "zone"),
])
def test_bad_envelope_is_rejected_with_the_field(client_for, operator, zone, change, field):
    response = client_for(operator).post(URL, {**payload(zone), **change}, format="json")
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}
    assert WeatherForecast.objects.count() == 0


def test_too_many_rows_are_rejected(client_for, operator, zone):
    response = client_for(operator).post(URL, payload(zone, rows=rows(194)), format="json")
    assert response.status_code == 400 and WeatherForecast.objects.count() == 0


@pytest.mark.parametrize("who", ["aggregator_a", "tso_client"])
def test_only_dso_staff_may_ingest(request, client_for, zone, who):
    api = client_for(request.getfixturevalue(who))
    assert api.post(URL, payload(zone), format="json").status_code == 403
    assert api.get(URL, {"zone": zone.pk}).status_code == 403
    assert api.get("/api/v1/forecasting/zones/").status_code == 403
    assert WeatherForecast.objects.count() == 0


def test_anonymous_is_refused(api_client, zone):
    assert api_client.post(URL, payload(zone), format="json").status_code in (401, 403)
    assert WeatherForecast.objects.count() == 0


def test_zones_are_listed_for_staff(client_for, operator, zone):
    body = client_for(operator).get("/api/v1/forecasting/zones/").json()
    assert [z["id"] for z in body["results"]] == [zone.pk]
