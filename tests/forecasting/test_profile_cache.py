"""SimBench relative profiles: parsed once, then read from the cache file by a new process."""
from __future__ import annotations

import numpy as np
import pytest

from apps.forecasting.calc import simbench_profiles as sp


def test_codes_map_to_their_scenario_data_set():
    assert sp.dataset_for_code("1-MV-rural--2-sw") == "1-complete_data-mixed-all-2-sw"
    assert sp.dataset_for_code("1-MVLV-rural-all-2-sw") == "1-complete_data-mixed-all-2-sw"
    assert sp.dataset_for_code("1-LV-rural1--0-no_sw") == "1-complete_data-mixed-all-0-sw"
    assert sp.dataset_for_code("") == "1-complete_data-mixed-all-2-sw"


def test_cache_file_replaces_the_csvs(tmp_path, monkeypatch):
    dataset = "1-complete_data-mixed-all-2-sw"
    sp.clear_memory_cache()
    try:
        first = sp.relative_profiles(dataset, tmp_path)
        path = sp.cache_path(tmp_path, dataset)
        assert path.exists()
        sp.clear_memory_cache()  # as if a new process started

        def no_csv(_):
            raise AssertionError("the CSVs were parsed again")

        monkeypatch.setattr(sp, "_parse_csvs", no_csv)
        second = sp.relative_profiles(dataset, tmp_path)
        assert second.columns == first.columns
        for namespace in sp.FILES:
            assert np.array_equal(second.values[namespace], first.values[namespace])
        assert sp.relative_profiles(dataset, tmp_path) is second  # memory within the process
        assert second.column("sgen", "PV3") >= 0 and second.column("sgen", "no-such-profile") == -1
    finally:
        sp.clear_memory_cache()


def test_unknown_data_set_is_a_clear_error():
    with pytest.raises(sp.ProfileDataError, match="not in the installed simbench"):
        sp.relative_profiles("no-such-data-set", None)
