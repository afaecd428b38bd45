"""The demo world: a real SimBench network with the organisations and people who use it.

Idempotent: running it again changes nothing that is already there.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.accounts.models import Organisation, User
from apps.forecasting.models import WeatherZone
from apps.forecasting.services import weather_zone_ensure
from apps.grid.models import DERAsset, Load, Network, Premise, Substation
from apps.grid.selectors import next_pp_index
from apps.grid.services import network_import, registry_element_save

from .world import DEMO_PROJECTION_START, DEMO_WEATHER_ZONE_LAT_LON, DEMO_WEATHER_ZONE_NAME
from .world_builder import shape_world

DEMO_NETWORK_CODE = "1-MVLV-rural-all-2-sw"
DEMO_NETWORK_NAME = "Northvale rural MV/LV"
DEMO_PASSWORD = "control-room-demo"
DSO, AGG_A, AGG_B, COMMUNITY, TSO = (
    "Northvale Distribution", "Brightside Energy", "VoltShare Flex", "Riverside Community Energy", "National Transmission",
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    organisation: str


DEMO_USERS = [
    DemoUser("operator", "Olivia", "Okafor", User.Role.OPERATOR, DSO),
    DemoUser("engineer", "Ewan", "Ellis", User.Role.ENGINEER, DSO),
    DemoUser("admin", "Ada", "Adeyemi", User.Role.ADMIN, DSO),
    DemoUser("brightside", "Bea", "Bright", User.Role.AGGREGATOR, AGG_A),
    DemoUser("voltshare", "Vik", "Shah", User.Role.AGGREGATOR, AGG_B),
    DemoUser("riverside", "Rhea", "Rivers", User.Role.AGGREGATOR, COMMUNITY),
    DemoUser("tso", "Tomas", "Sørensen", User.Role.TSO_CLIENT, TSO),
]


def _organisations() -> dict[str, Organisation]:
    kinds = {DSO: "dso", AGG_A: "aggregator", AGG_B: "aggregator", COMMUNITY: "community", TSO: "tso"}
    return {name: Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0] for name, kind in kinds.items()}


def _users(orgs: dict[str, Organisation]) -> None:
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={"first_name": spec.first_name, "last_name": spec.last_name, "role": spec.role,
                      "organisation": orgs[spec.organisation], "email": f"{spec.username}@example.org"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            if spec.role == User.Role.ADMIN:
                user.is_staff = user.is_superuser = True
            user.save()
        if spec.role in (User.Role.TSO_CLIENT, User.Role.ENGINEER):  # machines: the TSO's, the met feed's
            Token.objects.get_or_create(user=user)


def _connection_dates(network: Network) -> None:
    """Spread connection dates deterministically (needed for last-in-first-out curtailment)."""
    rows = list(DERAsset.objects.filter(network=network, connected_on__isnull=True))
    for der in rows:
        der.connected_on = dt.date(2012, 1, 1) + dt.timedelta(days=(der.pp_index * 37 + len(der.pp_element)) % 4700)
    DERAsset.objects.bulk_update(rows, ["connected_on"], batch_size=2000)


def _premise(network, bus_id: int, owner: Organisation, reference: str, name: str) -> Premise:
    premise, _ = Premise.objects.get_or_create(
        network=network, reference=reference,
        defaults={"name": name, "bus_id": bus_id, "owner": owner, "address": f"{name}, Northvale"},
    )
    Load.objects.filter(network=network, bus_id=bus_id, premise__isnull=True).update(premise=premise)
    DERAsset.objects.filter(network=network, bus_id=bus_id, premise__isnull=True).update(premise=premise, owner=owner)
    return premise



def _customers(network: Network, orgs: dict[str, Organisation]) -> None:
    """The community battery scheme (households are made by :mod:`.world_builder`)."""
    busbar = Substation.objects.filter(network=network, kind="secondary").order_by("name")[3].busbar
    scheme = _premise(network, busbar.id, orgs[COMMUNITY], "CE-0001", "Riverside Community Battery")
    if not scheme.der_assets.exists():
        registry_element_save(element=DERAsset(
            network=network, premise=scheme, owner=orgs[COMMUNITY], bus=busbar, name="Riverside community battery",
            kind=DERAsset.Kind.BATTERY, pp_element=DERAsset.PPElement.STORAGE,
            pp_index=next_pp_index(network=network, element=DERAsset.PPElement.STORAGE), p_mw=0.0, rated_mw=0.25, sn_mva=0.25,
            capacity_mwh=0.5, min_e_mwh=0.0, soc_percent=50.0, status=DERAsset.Status.OPERATIONAL, type="community_storage",
            connected_on=dt.date(2025, 9, 15), connection_type=DERAsset.ConnectionType.FLEXIBLE,
            offer_accepted_on=dt.date(2024, 11, 4),
        ))


def demo_weather_zone(network: Network) -> WeatherZone:
    """The network's weather zone (upper Wensleydale): forecasts read their ingested weather from
    it, and a met provider uploads to it (``POST /api/v1/forecasting/weather/``). A zone that an
    older demo made without a place gets the demo's name and coordinates."""
    latitude, longitude = DEMO_WEATHER_ZONE_LAT_LON
    zone = weather_zone_ensure(network=network, name=DEMO_WEATHER_ZONE_NAME, latitude=latitude, longitude=longitude)
    if zone.latitude is None and not WeatherZone.objects.filter(network=network, name=DEMO_WEATHER_ZONE_NAME).exists():
        zone.name, zone.latitude, zone.longitude = DEMO_WEATHER_ZONE_NAME, latitude, longitude
        zone.save(update_fields=["name", "latitude", "longitude"])
    return zone


def load_demo(stdout=None, *, first_projection: bool = True) -> Network:
    def say(text: str) -> None:
        if stdout:
            stdout.write(text)

    orgs = _organisations()
    _users(orgs)
    network = Network.objects.filter(name=DEMO_NETWORK_NAME).first()
    if network is None:
        say(f"Importing SimBench {DEMO_NETWORK_CODE} …")
        network = network_import(simbench_code=DEMO_NETWORK_CODE, name=DEMO_NETWORK_NAME)
        network.description = "SimBench rural MV grid with six wind farms and 90+ LV feeders (future scenario 2)."
        network.save(update_fields=["description"])
    began = time.perf_counter()
    with transaction.atomic():
        _connection_dates(network)
        shape_world(network, owners={"primary": orgs[AGG_A], "others": (orgs[AGG_A], orgs[AGG_B])}, say=say)
        _customers(network, orgs)
        demo_weather_zone(network)
    say(f"World in place ({time.perf_counter() - began:.1f} s).")
    if first_projection:
        _first_projection(network, say)
    return network


def _first_projection(network: Network, say) -> None:
    """A new control room opens on a projection and a forecast-accuracy history, not on empty
    pages. The first projection replays the demo day's late morning as the live view, so the
    room opens on the story of docs/demo.md whatever today's date; "Run projection now" (and
    beat, every 15 minutes where a worker runs) projects from the real clock after it."""
    from apps.anm.models import ProjectionRun
    from apps.anm.services import projection_request
    from apps.forecasting.models import ForecastRun
    from apps.forecasting.services import forecast_backfill

    if not ForecastRun.objects.filter(network=network).exists():
        say("Backfilling two days of forecasts to score …")
        forecast_backfill(network=network, days=2, every_hours=6)
    if not ProjectionRun.objects.filter(network=network).exists():
        say("Queueing the first ANM projection …")
        projection_request(network=network, start=DEMO_PROJECTION_START, live=True)
