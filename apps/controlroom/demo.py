"""The demo world: a real SimBench network with the organisations and people who use it.

Idempotent: running it again changes nothing that is already there.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from rest_framework.authtoken.models import Token

from apps.accounts.models import Organisation, User
from apps.grid.models import DERAsset, Load, Network, Premise, Substation
from apps.grid.services import network_import_simbench

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
        if spec.role == User.Role.TSO_CLIENT:
            Token.objects.get_or_create(user=user)


def _connection_dates(network: Network) -> None:
    """Spread connection dates deterministically (needed for last-in-first-out curtailment)."""
    rows = list(DERAsset.objects.filter(network=network, connected_on__isnull=True))
    for der in rows:
        der.connected_on = dt.date(2012, 1, 1) + dt.timedelta(days=(der.pp_index * 37 + len(der.pp_element)) % 4700)
    DERAsset.objects.bulk_update(rows, ["connected_on"], batch_size=2000)


def _homes(network: Network) -> list[int]:
    """LV buses with a load and a battery first (households), then those with a load and PV."""
    lv_loads = set(Load.objects.filter(network=network, bus__vn_kv__lt=1.0).values_list("bus_id", flat=True))
    def buses(kind):
        return set(DERAsset.objects.filter(network=network, kind=kind, bus_id__in=lv_loads).values_list("bus_id", flat=True))
    battery, pv = buses("battery"), buses("pv")
    return sorted(battery) + sorted(pv - battery)


def _premise(network, bus_id: int, owner: Organisation, reference: str, name: str) -> Premise:
    premise, _ = Premise.objects.get_or_create(
        network=network, reference=reference,
        defaults={"name": name, "bus_id": bus_id, "owner": owner, "address": f"{name}, Northvale"},
    )
    Load.objects.filter(network=network, bus_id=bus_id, premise__isnull=True).update(premise=premise)
    DERAsset.objects.filter(network=network, bus_id=bus_id, premise__isnull=True).update(premise=premise, owner=owner)
    return premise


def _next_index(network: Network, element: str) -> int:
    if element == DERAsset.PPElement.LOAD:
        top = max(Load.objects.filter(network=network).aggregate(m=Max("pp_index"))["m"] or 0,
                  DERAsset.objects.filter(network=network, pp_element="load").aggregate(m=Max("pp_index"))["m"] or 0)
    else:
        top = DERAsset.objects.filter(network=network, pp_element=element).aggregate(m=Max("pp_index"))["m"] or 0
    return top + 1


def _customers(network: Network, orgs: dict[str, Organisation]) -> None:
    homes = _homes(network)
    household = _premise(network, homes[0], orgs[AGG_A], "HH-0001", "14 Orchard Lane")
    battery = household.der_assets.get(kind=DERAsset.Kind.BATTERY)
    if not household.der_assets.filter(kind=DERAsset.Kind.PV).exists():
        # SimBench pairs each home battery with a PV profile ("Storage_PV8_L1-A") and sizes it at
        # about 1 kWh per kWp; give the household that PV system.
        profile = next((part for part in battery.profile.split("_") if part.startswith("PV")), "PV8")
        rated = round(battery.capacity_mwh or 0.005, 4)
        DERAsset.objects.create(
            network=network, premise=household, owner=orgs[AGG_A], bus_id=household.bus_id, name="14 Orchard Lane PV",
            kind=DERAsset.Kind.PV, pp_element=DERAsset.PPElement.SGEN, pp_index=_next_index(network, "sgen"),
            p_mw=rated, rated_mw=rated, sn_mva=rated, status=DERAsset.Status.OPERATIONAL, type="PV", profile=profile,
            connected_on=dt.date(2021, 6, 1),
        )
    if not household.der_assets.filter(kind=DERAsset.Kind.EV_CHARGER).exists():
        DERAsset.objects.create(
            network=network, premise=household, owner=orgs[AGG_A], bus_id=household.bus_id, name="14 Orchard Lane EV charger",
            kind=DERAsset.Kind.EV_CHARGER, pp_element=DERAsset.PPElement.LOAD,
            pp_index=_next_index(network, DERAsset.PPElement.LOAD), p_mw=0.0, rated_mw=0.011, sn_mva=0.011,
            status=DERAsset.Status.OPERATIONAL, type="ev_charger", profile="", connected_on=dt.date(2026, 3, 2),
        )
    # Spread the other homes across feeders, alternating between the two aggregators.
    for number, bus_id in enumerate(homes[5::17][:48], start=2):
        owner, prefix = (orgs[AGG_A], "BS") if number % 2 == 0 else (orgs[AGG_B], "VS")
        _premise(network, bus_id, owner, f"{prefix}-{number:04d}", f"{number} Meadow Row")
    busbar = Substation.objects.filter(network=network, kind="secondary").order_by("name")[3].busbar
    scheme = _premise(network, busbar.id, orgs[COMMUNITY], "CE-0001", "Riverside Community Battery")
    if not scheme.der_assets.exists():
        DERAsset.objects.create(
            network=network, premise=scheme, owner=orgs[COMMUNITY], bus=busbar, name="Riverside community battery",
            kind=DERAsset.Kind.BATTERY, pp_element=DERAsset.PPElement.STORAGE,
            pp_index=_next_index(network, DERAsset.PPElement.STORAGE), p_mw=0.0, rated_mw=0.25, sn_mva=0.25,
            capacity_mwh=0.5, min_e_mwh=0.0, soc_percent=50.0, status=DERAsset.Status.OPERATIONAL, type="community_storage",
            connected_on=dt.date(2025, 9, 15),
        )


def load_demo(stdout=None) -> Network:
    def say(text: str) -> None:
        if stdout:
            stdout.write(text)

    orgs = _organisations()
    _users(orgs)
    network = Network.objects.filter(name=DEMO_NETWORK_NAME).first()
    if network is None:
        say(f"Importing SimBench {DEMO_NETWORK_CODE} …")
        network = network_import_simbench(code=DEMO_NETWORK_CODE, name=DEMO_NETWORK_NAME)
        network.description = "SimBench rural MV grid with six wind farms and 90+ LV feeders (future scenario 2)."
        network.save(update_fields=["description"])
    with transaction.atomic():
        _connection_dates(network)
        _customers(network, orgs)
    _first_projection(network, say)
    return network


def _first_projection(network: Network, say) -> None:
    """A new control room opens on a projection and a forecast-accuracy history, not on empty
    pages (beat reruns the projection every 15 minutes from then on)."""
    from apps.anm.models import ProjectionRun
    from apps.anm.services import projection_request
    from apps.forecasting.models import ForecastRun
    from apps.forecasting.services import forecast_backfill

    if not ForecastRun.objects.filter(network=network).exists():
        say("Backfilling two days of forecasts to score …")
        forecast_backfill(network=network, days=2, every_hours=6)
    if not ProjectionRun.objects.filter(network=network).exists():
        say("Queueing the first ANM projection …")
        projection_request(network=network)
