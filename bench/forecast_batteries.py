"""Battery charge headroom and PV quantiles on the demo grid at 13:00 on 21 June, before and
after reading SimBench's PV_Storage rows as PV + home battery (issue 8, item 1).

Run from the repository root::

    .venv/bin/python bench/forecast_batteries.py [--var-dir DIR]

Imports SimBench ``1-MVLV-rural-all-2-sw`` (the demo grid, without the demo's household
changes) into a scratch SQLite database and forecasts 48 h from 06:00 UTC on 21 June 2026.

* before: the previous model, recomputed here from the SimBench rows: every PV_Storage row a
  battery of |p_mw| MW and ``max_e_mwh`` MWh at a constant 50 % state of charge, following its
  profile as a schedule; charge headroom ``min(rated − schedule, free energy / 1 h)``.
* after: ``forecast_injections`` — PV split out and forecast from weather, batteries in
  self-consumption from the state of charge simulated from the day before.

The last line is::

    RESULT charge_before_mw=… charge_after_mw=… soc_full_share=… charge_energy_11_15_mwh=… pv_p50_mw=… pv_p90_over_truth=… forecast_s=…
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore")
CODE = "1-MVLV-rural-all-2-sw"
UTC = dt.timezone.utc
START = dt.datetime(2026, 6, 21, 6, 0, tzinfo=UTC)
AT = dt.datetime(2026, 6, 21, 13, 0, tzinfo=UTC)

from projection import configure  # noqa: E402  (bench/ is on the path: embedded settings on a scratch dir)


def before_mw(net, at: dt.datetime) -> float:
    """The previous model's charge headroom (MW) summed over the PV_Storage rows at ``at``."""
    import simbench

    from apps.forecasting.calc.timebase import simbench_steps
    import pandas as pd

    row = int(simbench_steps(pd.DatetimeIndex([at.replace(tzinfo=None)]))[0])
    absolute = simbench.get_absolute_values(net, profiles_instead_of_study_cases=True)
    schedule = absolute[("storage", "p_mw")].iloc[row]
    rated = net.storage.sn_mva
    capacity = net.storage.max_e_mwh
    charge = np.minimum(rated - schedule, (capacity - 0.5 * capacity) / 1.0)
    return float(np.maximum(charge, 0.0).sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", default=None)
    args = parser.parse_args()
    var_dir = args.var_dir or tempfile.mkdtemp(prefix="bench-batteries-")
    configure(var_dir)
    from django.core.management import call_command

    import simbench

    from apps.forecasting.calc.physics import pv_power_rel  # noqa: F401  (documents the model used)
    from apps.forecasting.selectors import forecast_injections
    from apps.grid.models import DERAsset, Network
    from apps.grid.services import network_import

    call_command("migrate", verbosity=0)
    network = Network.objects.filter(source=f"simbench:{CODE}").first() or network_import(simbench_code=CODE)
    net = simbench.get_simbench_net(CODE)
    before = before_mw(net, AT)

    forecast_injections(network=network, start=START)  # warm the profile cache
    t0 = time.perf_counter()
    bundle = forecast_injections(network=network, start=START, seed=1)
    forecast_s = time.perf_counter() - t0
    avail = bundle.availability
    k = bundle.valid_times.get_loc(AT)
    after = float(avail["battery_charge_mw"].iloc[k].sum())
    soc = avail["battery_soc_mwh"].iloc[k]
    capacity = avail["battery_capacity_mwh"].iloc[0]
    full = float((soc >= capacity * 0.999).mean())
    # Energy the ANM may use over an 11:00–15:00 export constraint: (capacity − max SOC)/η per battery.
    w = slice(bundle.valid_times.get_loc(AT - dt.timedelta(hours=2)), bundle.valid_times.get_loc(AT + dt.timedelta(hours=2)))
    room = (capacity - avail["battery_soc_mwh"].iloc[w].max()).clip(lower=0) / avail["battery_efficiency"].iloc[0]
    window_mwh = float(room.sum())
    homes = DERAsset.objects.filter(network=network, type="PV_Storage").count()
    pv = bundle.totals["pv"]
    # The clear sky of the demo world at 13:00 is that day's truth (21 June is a clear day in PV8).
    from apps.forecasting.actuals import SimbenchActuals

    truth_pv = SimbenchActuals().totals(network=network, valid_times=bundle.valid_times[k:k + 1],
                                        step_minutes=15)["pv"][0]
    print(f"  {homes} PV_Storage rows -> PV + home battery; {len(avail['battery_charge_mw'].columns)} batteries")
    print(f"  13:00 21 June: charge headroom before {before:.2f} MW, after {after:.2f} MW; "
          f"{full:.0%} of batteries full; PV P10/P50/P90 {pv['p10'].iloc[k]:.2f}/{pv['p50'].iloc[k]:.2f}/"
          f"{pv['p90'].iloc[k]:.2f} MW, truth {truth_pv:.2f} MW; mean state of charge {float((soc / capacity).mean()):.0%}")
    print(f"RESULT charge_before_mw={before:.2f} charge_after_mw={after:.2f} soc_full_share={full:.2f} "
          f"charge_energy_11_15_mwh={window_mwh:.2f} pv_p50_mw={pv['p50'].iloc[k]:.2f} pv_p90_over_truth={pv['p90'].iloc[k] / truth_pv:.3f} "
          f"forecast_s={forecast_s:.2f}")


if __name__ == "__main__":
    main()
