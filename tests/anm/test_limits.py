"""UK operating limits: statutory voltage limits by level with site overrides, seasonal and
cyclic thermal ratings, and the primary's firm capacity — from the registry to the engine."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.anm.calc.limits import bus_voltage_limits, constraint_limits, season_factor
from apps.grid.models import Bus, Substation, ThermalRating, VoltageLimit
from apps.grid.selectors import network_operating_limits

THERMAL = {"overhead": {"winter": 1.2, "spring_autumn": 1.1, "cyclic_percent": 110.0, "cyclic_minutes": 15},
           "cable": {"winter": 1.08, "spring_autumn": 1.04, "cyclic_percent": 115.0, "cyclic_minutes": 60},
           "transformer": {"winter": 1.1, "spring_autumn": 1.05, "cyclic_percent": 130.0, "cyclic_minutes": 120}}
UK_VOLTAGE = [{"vn_kv_min": 0.0, "vn_kv_max": 1.0, "vmin_pu": 0.94, "vmax_pu": 1.10},
              {"vn_kv_min": 1.0, "vn_kv_max": 132.001, "vmin_pu": 0.94, "vmax_pu": 1.06}]


@pytest.fixture(scope="module")
def small_model():
    """0: 110 kV source, 1: 20 kV busbar, 2: 20 kV (line 0), 3: 20 kV (line 1), 4: 0.4 kV behind a 20/0.4 kV unit."""
    import pandapower as pp

    from apps.grid.engine import from_pandapower

    net = pp.create_empty_network()
    hv, bb, a, b = (pp.create_bus(net, kv) for kv in (110.0, 20.0, 20.0, 20.0))
    lv = pp.create_bus(net, 0.4)
    pp.create_ext_grid(net, hv)
    pp.create_transformer(net, hv, bb, std_type="25 MVA 110/20 kV")
    pp.create_line(net, bb, a, 2.0, "NA2XS2Y 1x95 RM/25 12/20 kV")
    pp.create_line(net, a, b, 2.0, "NA2XS2Y 1x95 RM/25 12/20 kV")
    pp.create_transformer(net, b, lv, std_type="0.25 MVA 20/0.4 kV")
    pp.create_load(net, lv, p_mw=0.1)
    return from_pandapower(net)


def test_seasons_follow_er_p27():
    times = pd.DatetimeIndex(["2026-01-15", "2026-04-15", "2026-06-15", "2026-10-01", "2026-11-30"], tz="UTC")
    np.testing.assert_allclose(season_factor(times, THERMAL["cable"]), [1.08, 1.04, 1.0, 1.04, 1.08])


def test_voltage_limits_by_level_and_site(small_model):
    vmin, vmax = bus_voltage_limits(small_model, {"voltage": UK_VOLTAGE, "site_voltage": {"3": [None, 1.04]}})
    pos = small_model.bus_position([0, 1, 2, 3, 4])
    np.testing.assert_allclose(vmin[pos], [0.94, 0.94, 0.94, 0.94, 0.94])
    np.testing.assert_allclose(vmax[pos], [1.06, 1.06, 1.06, 1.04, 1.10])  # LV +10 %; bus 3 its own site limit


def test_engine_limits_for_a_summer_and_a_winter_step(small_model):
    times = pd.DatetimeIndex(["2026-07-01 12:00", "2026-12-01 12:00"], tz="UTC")
    limits = constraint_limits(small_model, {"voltage": UK_VOLTAGE, "thermal": THERMAL, "line_class": {"0": "overhead"},
                                             "primary": {"firm_mva": 25.0, "reverse_mw": 20.0}}, times, 15)
    head = small_model.branch_position("line", [0])[0]
    tail = small_model.branch_position("line", [1])[0]
    trafo = small_model.branch_position("trafo", [1])[0]
    np.testing.assert_allclose(limits.thermal_limit_percent[:, head], [100.0, 120.0])   # overhead line
    np.testing.assert_allclose(limits.thermal_limit_percent[:, tail], [100.0, 108.0])   # cable
    np.testing.assert_allclose(limits.thermal_limit_percent[:, trafo], [100.0, 110.0])  # transformer
    np.testing.assert_allclose(limits.thermal_cyclic_percent[:, trafo], [130.0, 143.0])
    assert (limits.thermal_allowance_steps[head], limits.thermal_allowance_steps[tail],
            limits.thermal_allowance_steps[trafo]) == (1, 4, 8)
    assert limits.primary_import_limit_mw == 25.0 and limits.primary_export_limit_mw == 20.0
    assert limits.feeder_limits_from_capacity is False  # the head line's thermal limit governs, once


@pytest.mark.django_db
def test_a_network_gets_uk_defaults_and_firm_capacity(mv_network):
    assert set(VoltageLimit.objects.filter(network=mv_network).values_list("vmin_pu", "vmax_pu")) == \
        {(0.94, 1.10), (0.94, 1.06), (0.90, 1.10)}
    assert ThermalRating.objects.filter(network=mv_network).count() == 3
    primary = Substation.objects.get(network=mv_network, kind="primary")
    limits = network_operating_limits(mv_network, substation=primary)
    units = sorted(t.sn_mva for t in primary.transformers.all())
    expected = sum(units[:-1]) if len(units) > 1 else units[0]
    assert limits["primary"] == {"firm_mva": expected, "reverse_mw": expected}
    # editable per site: a primary with a lower reverse-power capability, a bus with its own limit
    Substation.objects.filter(pk=primary.pk).update(reverse_power_mw=12.0)
    bus = Bus.objects.filter(network=mv_network).first()
    Bus.objects.filter(pk=bus.pk).update(site_vmax_pu=1.03)
    primary.refresh_from_db()
    limits = network_operating_limits(mv_network, substation=primary)
    assert limits["primary"]["reverse_mw"] == 12.0
    assert limits["site_voltage"] == {str(bus.pp_index): [None, 1.03]}
