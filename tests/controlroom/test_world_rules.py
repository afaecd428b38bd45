"""The pure rules of the demo world (apps.controlroom.world): sizes, shares, names, transformer
steps. Hand values; no database."""
from __future__ import annotations

import numpy as np
import pytest

from apps.controlroom import world


def test_street_names_are_distinct_and_start_with_the_household_street():
    names = world.street_names(90)
    assert names[0] == "Orchard Lane"
    assert len(set(names)) == 90
    assert all(len(n.split()) == 2 and n.split()[1] in world.STREET_KINDS for n in names)


@pytest.mark.parametrize("profiles, kind", [
    (["H0-A"], "home"), (["H0-C", "Soil_Alternative_2"], "home"), (["L2-A"], "farm"),
    (["L1-A", "HLS_A_3.7"], "farm"), (["G3-A"], "business"), (["Air_Parallel_1"], "home"),
])
def test_premise_kind_from_simbench_profiles(profiles, kind):
    assert world.premise_kind(profiles) == kind


def test_domestic_pv_is_mostly_2_5_to_6_kwp():
    sizes = np.array([world.domestic_pv_kwp(i) for i in range(5000)])
    assert sizes.min() >= 2.5 and sizes.max() <= 8.0
    assert ((sizes >= 2.5) & (sizes <= 6.0)).mean() >= 0.9


def test_domestic_batteries_are_home_sizes():
    sizes = {world.domestic_battery(i) for i in range(2000)}
    assert sizes == {(5.0, 10.0), (5.0, 13.5), (3.0, 5.2)}


def test_farm_and_business_pv_capped_home_pv_resized():
    assert world.pv_kwp("farm", 1, 117.2) == 50.0
    assert world.pv_kwp("farm", 1, 24.5) == 24.5
    assert world.pv_kwp("business", 1, 83.3) == 30.0
    assert 2.5 <= world.pv_kwp("home", 1, 37.0) <= 8.0
    assert world.battery_size("farm", 1, 73.4) == (20.0, 40.0)


def test_ev_share_and_ratings():
    have = np.array([world.has_ev_charger(i) for i in range(10_000)])
    assert have.mean() == pytest.approx(world.EV_HOME_SHARE, abs=0.015)
    ratings = np.array([world.ev_rating_kw(i) for i in range(10_000)])
    assert set(np.unique(ratings)) == {3.6, 7.4, 11.0, 22.0}
    assert (ratings == 7.4).mean() == pytest.approx(0.80, abs=0.02)


@pytest.mark.parametrize("current, export, expected", [
    (160, 120, 160),    # carries its PV: unchanged
    (160, 424, 500),    # smallest UK size that carries it
    (250, 300, 315),
    (400, 420, 500),
    (400, 1500, 1000),  # the largest ground-mounted size
])
def test_uprating_by_uk_size_steps(current, export, expected):
    assert world.uprated_kva(current, export) == expected
