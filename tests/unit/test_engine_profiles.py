"""Injection arrays from profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from apps.grid.engine import injections_from_profiles


def test_profiles_map_by_pandapower_index(small_model):
    loads = small_model.loads
    idx = loads.pp_index[::-1]  # columns in another order than the model
    values = np.arange(3 * len(idx), dtype=float).reshape(3, len(idx))
    frame = pd.DataFrame(values, columns=idx)
    sgen = pd.DataFrame(np.ones((3, 1)), columns=[small_model.sgens.pp_index[1]])  # one sgen only
    inj = injections_from_profiles(small_model, {("load", "p_mw"): frame, ("sgen", "p_mw"): sgen},
                                   start=1, n_steps=2)
    assert inj.load_p_mw.shape == (2, len(loads))
    np.testing.assert_allclose(inj.load_p_mw[0], values[1, ::-1])
    np.testing.assert_allclose(inj.sgen_p_mw[:, 0], small_model.sgens.p_mw[0])  # no profile: set-point
    np.testing.assert_allclose(inj.sgen_p_mw[:, 1], 1.0)
    np.testing.assert_allclose(inj.load_q_mvar[1], loads.q_mvar)


def test_simbench_profiles_give_storage(mv_model, mv_injections):
    assert mv_injections.storage_p_mw.shape == (192, len(mv_model.storages))
    assert np.abs(mv_injections.storage_p_mw).sum() > 0
    assert mv_injections.timestamps[1] - mv_injections.timestamps[0] == np.timedelta64(15, "m")
