"""The demo world as load_demo builds it on the real SimBench network (loaded once for the module,
rolled back at the end): planning-sized secondary transformers, domestic sizes, one street per LV
network, EV chargers, readable names, flexible MV connections with offer dates, idempotence."""
from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
from django.db import transaction

from apps.controlroom.world_builder import PV_AC_PER_KWP


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    from apps.controlroom.demo import load_demo

    with django_db_blocker.unblock():
        with transaction.atomic():
            network = load_demo(first_projection=False)
            yield network
            transaction.set_rollback(True)


def _lv_network(subnet: str) -> str:
    return subnet.split("_")[-1]


pytestmark = pytest.mark.django_db


def test_no_secondary_transformer_over_its_rating_at_peak_pv(demo):
    """Planning check: every PV system behind a secondary transformer at its AC peak (the most
    it can give on any day, the demo day included), no demand credit, within the rating."""
    from apps.grid.models import DERAsset, Transformer

    pv_kw = defaultdict(float)
    for der in DERAsset.objects.filter(network=demo, bus__vn_kv__lt=1.0).select_related("bus"):
        if der.kind == "pv":
            pv_kw[_lv_network(der.bus.subnet)] += der.rated_mw * 1000
        elif der.type == "PV_Storage" and der.p_mw < 0:  # rooftop PV read through its battery
            pv_kw[_lv_network(der.bus.subnet)] += -der.p_mw * 1000
    trafos = list(Transformer.objects.filter(network=demo, vn_lv_kv__lt=1.0).select_related("lv_bus"))
    assert len(trafos) == 90
    loading = {t.name: pv_kw[_lv_network(t.lv_bus.subnet)] * PV_AC_PER_KWP / (t.sn_mva * 1000) for t in trafos}
    assert max(loading.values()) <= 1.0, sorted(loading.items(), key=lambda kv: -kv[1])[:3]
    uprated = [t for t in trafos if "uprated" in t.std_type]
    assert uprated and all(round(t.sn_mva * 1000) in (200, 315, 500, 800, 1000) for t in uprated)


def test_domestic_sizes(demo):
    from apps.grid.models import DERAsset

    homes = DERAsset.objects.filter(network=demo, premise__reference__startswith="HH-")
    pv = [d.rated_mw * 1000 for d in homes.filter(kind="pv")]
    assert pv and min(pv) >= 2.5 and max(pv) <= 8.0
    assert sum(2.5 <= k <= 6.0 for k in pv) / len(pv) >= 0.9
    batteries = list(homes.filter(kind="battery"))
    assert batteries and all(d.rated_mw <= 0.005 + 1e-9 and 0.0052 - 1e-9 <= d.capacity_mwh <= 0.0135 + 1e-9
                             for d in batteries)
    for d in DERAsset.objects.filter(network=demo, bus__vn_kv__lt=1.0, kind="pv"):
        assert d.rated_mw <= 0.050 + 1e-9, d.name  # no premise has more than a farm roof's 50 kWp


def test_one_street_per_lv_network_and_unique_addresses(demo):
    from apps.grid.models import Premise

    premises = list(Premise.objects.filter(network=demo, bus__vn_kv__lt=1.0).exclude(reference="CE-0001").select_related("bus"))
    assert len(premises) > 5000
    networks_of_street = defaultdict(set)
    for p in premises:
        number, street = p.name.split(" ", 1)
        assert number.isdigit()
        networks_of_street[street].add(_lv_network(p.bus.subnet))
    assert all(len(nets) == 1 for nets in networks_of_street.values())
    assert len(networks_of_street) == 90
    assert len({p.name for p in premises}) == len(premises)
    assert len({p.bus_id for p in premises}) == len(premises)


def test_ev_share_and_ratings(demo):
    from apps.grid.models import DERAsset, Premise

    homes = Premise.objects.filter(network=demo, reference__startswith="HH-").count()
    chargers = list(DERAsset.objects.filter(network=demo, kind="ev_charger"))
    assert 0.25 <= len(chargers) / homes <= 0.35
    ratings = Counter(round(c.rated_mw * 1000, 1) for c in chargers)
    assert set(ratings) <= {3.6, 7.4, 11.0, 22.0}
    assert ratings[7.4] / len(chargers) >= 0.75
    assert all(c.premise and c.premise.reference.startswith("HH-") for c in chargers)
    assert len({c.premise_id for c in chargers}) == len(chargers)  # one charger per home


def test_names_a_person_can_read(demo):
    from apps.grid.models import DERAsset, Load, Premise

    simbench_name = re.compile(r"LV\d|Storage \d|SGen|MV Load")
    assert not [d.name for d in DERAsset.objects.filter(network=demo) if simbench_name.search(d.name)][:5]
    assert not [ld.name for ld in Load.objects.filter(network=demo, bus__vn_kv__lt=1.0) if simbench_name.search(ld.name)][:5]
    refs = Premise.objects.filter(network=demo).values_list("reference", flat=True)
    assert all(re.fullmatch(r"(HH|FM|BZ|CE)-\d{4}", r) for r in refs)
    household = Premise.objects.get(network=demo, reference="HH-0001")
    assert household.name == "14 Orchard Lane" and household.owner.name == "Brightside Energy"
    kinds = Counter(household.der_assets.values_list("kind", flat=True))
    assert kinds == {"pv": 1, "battery": 1, "ev_charger": 1}
    assert household.der_assets.get(kind="pv").name == "14 Orchard Lane PV"


def test_flexible_mv_connections_with_distinct_offer_dates(demo):
    from apps.grid.models import DERAsset

    mv = DERAsset.objects.filter(network=demo, bus__vn_kv__gte=1.0, kind__in=["wind", "pv"])
    flexible = list(mv.filter(connection_type="flexible"))
    assert len(flexible) >= 0.75 * mv.count()
    dates = [d.offer_accepted_on for d in flexible]
    assert None not in dates and len(set(dates)) == len(dates)
    assert not DERAsset.objects.filter(network=demo, premise__reference__startswith="HH-", kind="pv").exclude(
        connection_type="g98").exists()


def test_demo_network_has_its_weather_zone_and_forecasts_use_it(demo):
    """Upper Wensleydale, where the Dales names of the wind farms put Northvale; every network of
    the demo points at a zone; the engineer (who may upload) has an API token; a forecast of
    the demo network takes an upload to that zone."""
    import datetime as dt

    from rest_framework.authtoken.models import Token

    from apps.forecasting.models import WeatherZone
    from apps.forecasting.selectors import forecast_injections, weather_zone_of
    from apps.forecasting.services import weather_forecast_ingest
    from apps.grid.models import Network

    zone = WeatherZone.objects.get(network=demo)
    assert (zone.name, zone.latitude, zone.longitude) == ("Northvale (upper Wensleydale)", 54.304, -2.196)
    assert all(weather_zone_of(network) is not None for network in Network.objects.all())
    assert weather_zone_of(demo) == zone
    assert Token.objects.filter(user__username="engineer").exists()

    issued = dt.datetime(2026, 8, 12, 6, 0, tzinfo=dt.timezone.utc)
    rows = [{"valid_at": issued + dt.timedelta(minutes=15 * k), "ghi_w_m2": 200.0 + 100 * k,
             "wind_speed_m_s": 8.0, "temperature_c": 14.0} for k in range(4)]
    assert weather_forecast_ingest(zone=zone, issued_at=issued, rows=rows, source="test-met") == 4
    bundle = forecast_injections(network=demo, start=issued, steps=4, issued_at=issued)
    assert bundle.inputs["weather"]["zone_id"] == zone.pk
    assert bundle.inputs["weather"]["source"] == "ingest" and bundle.inputs["weather"]["steps_from_ingest"] == 4
    assert list(bundle.weather["ghi_w_m2"]["p50"]) == [200.0, 300.0, 400.0, 500.0]


def test_load_demo_again_changes_nothing(demo):
    from apps.controlroom.demo import load_demo
    from apps.forecasting.models import WeatherZone
    from apps.grid.models import DERAsset, Premise, Transformer

    def snapshot():
        return (Premise.objects.filter(network=demo).count(), DERAsset.objects.filter(network=demo).count(),
                sorted(Transformer.objects.filter(network=demo).values_list("sn_mva", flat=True)),
                list(WeatherZone.objects.values_list("id", "name")))

    before = snapshot()
    load_demo(first_projection=False)
    assert snapshot() == before
