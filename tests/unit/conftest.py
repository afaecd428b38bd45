"""Session-scoped networks for the engine's unit tests (no database, no Django)."""

from __future__ import annotations

import warnings

import pytest

from engine_fixtures import build_small_net

warnings.filterwarnings("ignore", message=".*numba.*")

MV_CODE = "1-MV-rural--2-sw"
MVLV_CODE = "1-MVLV-rural-all-2-sw"


@pytest.fixture(scope="session")
def small_net():
    return build_small_net()


@pytest.fixture(scope="session")
def small_model(small_net):
    from apps.grid.engine import from_pandapower

    return from_pandapower(small_net)


@pytest.fixture(scope="session")
def mv_net():
    import simbench

    return simbench.get_simbench_net(MV_CODE)


@pytest.fixture(scope="session")
def mv_model(mv_net):
    from apps.grid.engine import from_pandapower

    return from_pandapower(mv_net)


@pytest.fixture(scope="session")
def mv_profiles(mv_net):
    from apps.grid.engine import simbench_profiles

    return simbench_profiles(mv_net)


@pytest.fixture(scope="session")
def mv_injections(mv_model, mv_net, mv_profiles):
    """Two days (192 quarter-hours) of the SimBench profiles."""
    from apps.grid.engine import injections_from_simbench

    return injections_from_simbench(mv_model, mv_net, profiles=mv_profiles, n_steps=192)


@pytest.fixture(scope="session")
def mv_result(mv_model, mv_injections):
    from apps.grid.engine import run_time_series

    return run_time_series(mv_model, mv_injections)


@pytest.fixture(scope="session")
def mvlv_net():
    import simbench

    return simbench.get_simbench_net(MVLV_CODE)
