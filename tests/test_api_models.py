"""Every model exposed by the API, through the generic case of :mod:`tests.api_cases`."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from apps.anm.models import Alarm
from apps.forecasting.models import ForecastRun, WeatherZone
from apps.grid.models import Bus, DERAsset, Network, Premise
from apps.live.services import event_publish
from apps.live.streams import org_stream
from apps.studies.models import StudyRun

from .api_cases import LIST_SIZE, ApiModelCase, listed_ids

_counter = itertools.count(1)
ISSUED = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.timezone.utc)


def _bus(network) -> Bus:
    return Bus.objects.get_or_create(network=network, pp_index=0, defaults={"name": "Bus 0", "vn_kv": 20.0})[0]


def make_network(orgs, network, owner):
    return Network.objects.create(name=f"Grid {next(_counter)}")


def make_premise(orgs, network, owner):
    return Premise.objects.create(network=network, bus=_bus(network), owner=orgs[owner], name=f"Premise {next(_counter)}")


def make_der(orgs, network, owner):
    n = next(_counter)
    premise = make_premise(orgs, network, owner)
    return DERAsset.objects.create(network=network, bus=premise.bus, premise=premise, owner=orgs[owner], pp_index=n,
                                   pp_element="sgen", kind="pv", p_mw=0.01, name=f"PV {n}")


def make_study(orgs, network, owner):
    return StudyRun.objects.create(kind="snapshot", network=network, organisation=orgs[owner])


def make_zone(orgs, network, owner):
    return WeatherZone.objects.create(network=network, name=f"Zone {next(_counter)}")


def make_forecast_run(orgs, network, owner):
    issued = ISSUED + dt.timedelta(hours=next(_counter))
    return ForecastRun.objects.create(network=network, issued_at=issued, start=issued, steps=4, seed=1,
                                      weather_source="simbench-demo")


def make_alarm(orgs, network, owner):
    n = next(_counter)
    return Alarm.objects.create(network=network, key=f"line:{n}:overload", title=f"Line {n} overload", severity="high",
                                breach_at=ISSUED, peak_value=112.0, unit="%", last_seen_at=ISSUED)


def make_event(orgs, network, owner):
    return event_publish(stream=org_stream(orgs[owner].pk), kind="test.ping", payload={"n": next(_counter)})


CASES = [
    # Every signed-in user may see which networks exist (their contents are scoped): no foreign case.
    ApiModelCase("network", "/api/v1/networks/", make_network, viewer="aggregator_a"),
    ApiModelCase("premise", "/api/v1/premises/", make_premise, viewer="aggregator_a", owner="agg_a",
                 foreign_viewer="aggregator_b"),
    ApiModelCase("der-asset", "/api/v1/der-assets/", make_der, viewer="aggregator_a", owner="agg_a",
                 foreign_viewer="aggregator_b"),
    ApiModelCase("study", "/api/v1/studies/", make_study, viewer="aggregator_a", owner="agg_a",
                 foreign_viewer="aggregator_b"),
    ApiModelCase("weather-zone", "/api/v1/forecasting/zones/", make_zone, viewer="operator",
                 foreign_viewer="aggregator_a", foreign_status=403),
    ApiModelCase("forecast-run", "/api/v1/forecasting/runs/", make_forecast_run, viewer="operator",
                 foreign_viewer="aggregator_a", foreign_status=403),
    ApiModelCase("alarm", "/api/v1/anm/alarms/", make_alarm, viewer="operator", foreign_viewer="aggregator_a",
                 foreign_status=403, query={"network": None}, detail=False),
    ApiModelCase("event", "/api/v1/events/", make_event, viewer="aggregator_a", owner="agg_a",
                 foreign_viewer="aggregator_b", detail=False, key="seq"),
]

pytestmark = pytest.mark.parametrize("case", CASES, ids=str)


@pytest.fixture
def grid(db):
    return Network.objects.create(name="Test grid")


@pytest.fixture
def params(case, grid) -> dict:
    """The list's required parameters, with this test's grid."""
    return {key: grid.pk if value is None else value for key, value in (case.query or {}).items()}


def pk(case, obj):
    return getattr(obj, case.key)


def detail_url(case, obj) -> str:
    if not case.detail:
        pytest.skip(f"{case.name}: listed only, no detail route")
    return f"{case.url}{obj.pk}/"


@pytest.fixture
def make(case, orgs, grid):
    def one(owner=case.owner):
        return case.make(orgs, grid, owner)

    return one


def test_list(case, make, params, request, client_for):
    obj = make()
    response = client_for(request.getfixturevalue(case.viewer)).get(case.url, params)
    assert response.status_code == 200 and pk(case, obj) in listed_ids(response.json(), case.key)


def test_detail(case, make, request, client_for):
    obj = make()
    response = client_for(request.getfixturevalue(case.viewer)).get(detail_url(case, obj))
    assert response.status_code == 200 and response.json()["id"] == obj.pk


def test_another_organisations_object_is_not_found(case, make, params, request, client_for):
    if case.foreign_viewer is None:
        pytest.skip(f"{case.name}: every signed-in user may see these")
    obj = make()
    api = client_for(request.getfixturevalue(case.foreign_viewer))
    listing = api.get(case.url, params)
    assert listing.status_code == case.foreign_status or pk(case, obj) not in listed_ids(listing.json(), case.key)
    if case.detail:
        assert api.get(detail_url(case, obj)).status_code == case.foreign_status


def test_anonymous_is_refused(case, make, params, api_client):
    obj = make()
    assert api_client.get(case.url, params).status_code in (401, 403)
    if case.detail:
        assert api_client.get(detail_url(case, obj)).status_code in (401, 403)


def test_list_costs_a_bounded_number_of_queries(case, make, params, request, client_for,
                                                django_assert_max_num_queries):
    for _ in range(LIST_SIZE):
        make()
    api = client_for(request.getfixturevalue(case.viewer))
    with django_assert_max_num_queries(case.max_queries):
        response = api.get(case.url, {**params, "limit": LIST_SIZE})
    assert response.status_code == 200 and len(listed_ids(response.json(), case.key)) == LIST_SIZE
