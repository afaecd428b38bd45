"""Every bad input the attack probe found (a 5xx, or a 201 for nonsense) is now a clear 4xx and
stores nothing."""
from __future__ import annotations

import copy
import io
import json

import pandapower as pp
import pytest

from apps.audit.models import AuditEvent
from apps.grid.models import DERAsset, Network
from apps.studies.models import StudyRun

HUGE = "99999999999999999999"
LIST_ENDPOINTS = ["/api/v1/networks/", "/api/v1/premises/", "/api/v1/der-assets/", "/api/v1/studies/",
                  "/api/v1/forecasting/zones/", "/api/v1/forecasting/runs/"]


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_huge_limit_and_offset_are_clamped_on_every_list(url, mv_network, client_for, operator):
    for params in ({"limit": HUGE}, {"offset": HUGE}, {"limit": HUGE, "offset": HUGE}, {"limit": "-3"}):
        response = client_for(operator).get(url, params)
        assert response.status_code == 200, (url, params, response.content[:200])
    assert len(client_for(operator).get(url, {"limit": HUGE}).json()["results"]) <= 500


@pytest.mark.parametrize("url", ["/api/v1/anm/projection/", "/api/v1/anm/alarms/", "/api/v1/forecasting/accuracy/"])
@pytest.mark.parametrize("value", ["abc", "\x00", HUGE, ""])
def test_bad_network_query_is_400(url, value, mv_network, client_for, operator):
    response = client_for(operator).get(url, {"network": value})
    assert response.status_code == 400, response.content[:200]
    assert "network" in response.json()


def test_bad_alarm_state_and_nul_are_400(mv_network, client_for, operator):
    api = client_for(operator)
    assert api.get("/api/v1/anm/alarms/", {"network": mv_network.pk, "state": "\x00"}).status_code == 400
    assert api.get("/api/v1/anm/alarms/", {"network": mv_network.pk, "state": "bogus"}).status_code == 400
    assert api.get("/api/v1/anm/alarms/", {"network": mv_network.pk, "state": "active"}).status_code == 200
    for url in ("/api/v1/studies/", "/api/v1/der-assets/"):
        for key in ("state", "kind", "status", "network", "owner"):
            assert api.get(url, {key: "\x00"}).status_code in (200, 400)  # never a 5xx


@pytest.mark.parametrize("days", ["99999999999", "-1", "abc", "0"])
def test_accuracy_days_out_of_range_is_400(days, mv_network, client_for, operator):
    response = client_for(operator).get("/api/v1/forecasting/accuracy/", {"network": mv_network.pk, "days": days})
    assert response.status_code == 400 and "days" in response.json()


def test_forecasting_page_with_bad_network_is_404(mv_network, client, operator):
    client.force_login(operator)
    for value in ("abc", HUGE, "\x00"):
        assert client.get("/forecasting/", {"network": value}).status_code == 404


@pytest.mark.parametrize("study", ["abc", HUGE, "-1"])
def test_study_figure_with_bad_study_is_404(study, mv_network, client_for, operator):
    assert client_for(operator).get(f"/api/v1/studies/{study}/figure/").status_code == 404


# --- time windows, seeds, timezone -----------------------------------------------------------

@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "2300-01-01T00:00:00Z", "9999-12-31T23:45:00Z",
                                   "2026-06-15T10:00:00"])
def test_projection_start_outside_the_window_or_naive_is_400(start, mv_network, client_for, engineer):
    for url, body in (("/api/v1/anm/projection/", {"network": mv_network.pk, "start": start}),
                      ("/api/v1/studies/", {"kind": "projection", "network": mv_network.pk, "parameters": {"start": start}})):
        response = client_for(engineer).post(url, body, format="json")
        assert response.status_code == 400, response.content[:300]
        assert "start" in json.dumps(response.json())
    assert not StudyRun.objects.exists()


def test_projection_window_is_measured_from_an_injectable_now(mv_network, client_for, engineer, monkeypatch):
    import datetime as dt

    from apps.common import fields

    # Pinned 'now': a start three days later is inside the window, nine days later is not.
    monkeypatch.setattr(fields, "reference_now", lambda: dt.datetime(2026, 6, 15, tzinfo=dt.timezone.utc))
    form_ok = {"network": mv_network.pk, "start": "2026-06-18T00:00:00Z"}
    form_far = {"network": mv_network.pk, "start": "2026-06-24T00:00:00Z"}
    from apps.anm.api import ProjectionRequestSerializer

    assert ProjectionRequestSerializer(data=form_ok).is_valid()
    far = ProjectionRequestSerializer(data=form_far)
    assert not far.is_valid() and "start" in far.errors


@pytest.mark.parametrize("seed", [10**40, -1, 2**63])
def test_unbounded_seed_is_400(seed, mv_network, client_for, engineer):
    response = client_for(engineer).post("/api/v1/anm/projection/", {"network": mv_network.pk, "seed": seed}, format="json")
    assert response.status_code == 400 and "seed" in response.json()
    assert not StudyRun.objects.exists()


def test_forecast_run_seed_is_bounded_and_events_after_is_safe(mv_network, client_for, engineer):
    from apps.forecasting.models import ForecastRun

    api = client_for(engineer)
    response = api.post("/api/v1/forecasting/runs/", {"network": mv_network.pk, "seed": 10**40}, format="json")
    assert response.status_code == 400 and "seed" in response.json()
    assert not ForecastRun.objects.exists()
    assert api.get("/api/v1/events/", {"after": HUGE}).status_code in (200, 400)
    assert api.get("/api/v1/events/", {"after": "\x00"}).status_code == 400


@pytest.mark.parametrize("issued_at", ["9999-12-31T23:45:00Z", "0001-01-01T00:00:00Z", "2026-03-02T06:00:00"])
def test_weather_issued_outside_window_is_400_and_stores_nothing(issued_at, mv_network, client_for, operator):
    from apps.forecasting.models import WeatherForecast
    from apps.forecasting.services import weather_zone_ensure

    zone = weather_zone_ensure(network=mv_network)
    rows = [{"valid_at": issued_at if issued_at.endswith("Z") else issued_at + "Z", "ghi_w_m2": 1.0,
             "wind_speed_m_s": 1.0, "temperature_c": 1.0}]
    response = client_for(operator).post("/api/v1/forecasting/weather/",
                                         {"zone": zone.pk, "issued_at": issued_at, "rows": rows}, format="json")
    assert response.status_code == 400
    assert any(e["field"] == "issued_at" for e in response.json()["errors"])
    assert not WeatherForecast.objects.exists()


# --- body sizes ------------------------------------------------------------------------------

def test_ten_megabyte_weather_body_is_413_before_parsing(mv_network, client, operator):
    client.force_login(operator)
    body = b'{"rows": [' + b"0," * (5 * 1024 * 1024) + b"0]}"
    response = client.post("/api/v1/forecasting/weather/", body, content_type="application/json")
    assert response.status_code == 413


def test_large_projection_body_and_parameters_are_refused(mv_network, client_for, engineer):
    api = client_for(engineer)
    big = {"network": mv_network.pk, "padding": "x" * (10 * 1024 * 1024)}
    assert api.post("/api/v1/anm/projection/", big, format="json").status_code == 413
    bloated = {"kind": "projection", "network": mv_network.pk, "parameters": {"x": "y" * 20_000}}
    assert api.post("/api/v1/studies/", bloated, format="json").status_code == 400
    assert not StudyRun.objects.exists() and not AuditEvent.objects.filter(action="study.queued").exists()


@pytest.mark.parametrize("kind,parameters,field", [
    ("snapshot", {"anything": 1}, "anything"),
    ("projection", {"steps": 100000}, "steps"),
    ("projection", {"steps": 192, "step_minutes": 60}, "steps"),
    ("projection", {"bogus": True}, "bogus"),
])
def test_study_parameters_are_validated_per_kind(kind, parameters, field, mv_network, client_for, engineer):
    response = client_for(engineer).post("/api/v1/studies/", {"kind": kind, "network": mv_network.pk,
                                                              "parameters": parameters}, format="json")
    assert response.status_code == 400 and field in json.dumps(response.json())
    assert not StudyRun.objects.exists()


def test_projection_study_parameters_are_used(mv_network, client_for, engineer, monkeypatch):
    from apps.studies import services

    monkeypatch.setattr(services.transaction, "on_commit", lambda fn: None)  # not run here
    response = client_for(engineer).post("/api/v1/studies/", {"kind": "projection", "network": mv_network.pk,
                                                              "parameters": {"steps": 8, "seed": 5}}, format="json")
    assert response.status_code == 201, response.content
    run = StudyRun.objects.get()
    assert (run.parameters["steps"], run.parameters["seed"]) == (8, 5)


# --- network import: physical ranges, per element --------------------------------------------

def _upload(api, net_json: str, name: str = "bad"):
    upload = io.BytesIO(net_json.encode())
    upload.name = "net.json"
    return api.post("/api/v1/networks/import/", {"name": name, "file": upload}, format="multipart")


def _edited(mv_net, edit) -> str:
    net = copy.deepcopy(mv_net)
    edit(net)
    return pp.to_json(net)


def test_import_with_length_abc_is_400_naming_the_line(mv_net, db, client_for, engineer):
    def edit(net):
        net.line["length_km"] = net.line["length_km"].astype(object)
        net.line.at[net.line.index[0], "length_km"] = "abc"

    response = _upload(client_for(engineer), _edited(mv_net, edit))
    assert response.status_code == 400, response.content[:300]
    assert "line 0" in response.json()["detail"] and "length_km" in response.json()["detail"]
    assert not Network.objects.exists()


@pytest.mark.parametrize("table,column,value,expected", [
    ("bus", "vn_kv", 0.0, "vn_kv = 0 must be > 0"),
    ("bus", "vn_kv", -20.0, "vn_kv = -20 must be > 0"),
    ("line", "length_km", -1.0, "length_km = -1 must be > 0"),
    ("load", "p_mw", 1e308, "p_mw = 1e+308 must be >= -10000"),
    ("sgen", "p_mw", float("inf"), "p_mw = inf is not finite"),
])
def test_import_outside_physical_ranges_is_400_per_element(table, column, value, expected, mv_net, db, client_for,
                                                           engineer):
    from apps.grid.pandapower_io import NetworkImportError
    from apps.grid.services import network_import

    def edit(net):
        net[table].at[net[table].index[0], column] = value

    # pandas writes inf as null in JSON, so the non-finite case goes through the service itself.
    if value == float("inf"):
        with pytest.raises(NetworkImportError) as caught:
            network_import(net=_net(mv_net, edit), name="bad", source="test")
        detail = str(caught.value)
    else:
        response = _upload(client_for(engineer), _edited(mv_net, edit))
        assert response.status_code == 400, response.content[:300]
        detail = response.json()["detail"]
    assert f"{table} 0" in detail and expected in detail
    assert not Network.objects.exists()


def _net(mv_net, edit):
    net = copy.deepcopy(mv_net)
    edit(net)
    return net


def test_import_json_with_infinity_literal_is_400(mv_net, db, client_for, engineer):
    text = pp.to_json(mv_net)
    data = json.loads(text)
    sgen = json.loads(data["_object"]["sgen"]["_object"])
    sgen["data"][0][sgen["columns"].index("p_mw")] = "__INF__"
    data["_object"]["sgen"]["_object"] = json.dumps(sgen).replace('"__INF__"', "Infinity")
    response = _upload(client_for(engineer), json.dumps(data))
    assert response.status_code == 400, response.content[:300]
    assert "sgen 0" in response.json()["detail"] and "p_mw" in response.json()["detail"]
    assert not Network.objects.exists()


def test_infinite_set_point_in_the_registry_does_not_break_summary_or_der_list(mv_network, client_for, operator):
    # Even a value written around the import checks (e.g. by SQL) is shown as null, not a 500.
    DERAsset.objects.filter(pk=DERAsset.objects.filter(network=mv_network).first().pk).update(
        p_mw=float("inf"), rated_mw=float("inf"))
    api = client_for(operator)
    assert api.get(f"/api/v1/networks/{mv_network.pk}/summary/").status_code == 200
    response = api.get("/api/v1/der-assets/", {"limit": 500})
    assert response.status_code == 200
    assert any(row["p_mw"] is None for row in response.json()["results"])
