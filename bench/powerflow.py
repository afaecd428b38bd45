"""Benchmark of the grid engine against pandapower, measured in the same run.

Run from the repository root::

    .venv/bin/python bench/powerflow.py [--mvlv-reference-steps 12] [--samples 50]

Prints each figure, its ratio to pandapower, and ends with one line::

    RESULT speedup_mv=... speedup_mvlv=... year_s=... n1_s=... max_dv_pu=... max_dloading_pct=...
           taps_moved=... tap_mismatches=... oltc_rounds=...

Engine times include building the model from the pandapower net (``from_pandapower``), so the
speed-ups compare like with like: pandapower net + injections in, results out.

Taps act and the primaries regulate, as the product imports SimBench (``apply_tap_defaults``:
tap changer type "Ratio" so SimBench's tap positions act, an OLTC on each HV/MV transformer).
pandapower runs with one ``DiscreteTapControl`` per OLTC (``run_control``) as the reference, each
step starting from the same taps as the engine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
warnings.filterwarnings("ignore")

import simbench  # noqa: E402

from apps.grid.engine import (  # noqa: E402
    cross_check,
    detect_constraints,
    from_pandapower,
    injections_from_simbench,
    pandapower_time_series,
    quantile_scenarios,
    run_scenarios,
    run_time_series,
    simbench_profiles,
)
from apps.grid.engine.taps import apply_tap_defaults  # noqa: E402

MV = "1-MV-rural--2-sw"
MVLV = "1-MVLV-rural-all-2-sw"


def timed(fn, *args, repeat: int = 1, **kwargs):
    """(best wall time over ``repeat`` runs, last return value)."""
    best, value = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, value


def engine_run(net, injections):
    """What a caller does: convert the net, then solve the given injections."""
    model = from_pandapower(net)
    return run_time_series(model, injections)


def compare_with_timeseries(model, engine_result, reference, n):
    dv = np.nanmax(np.abs(engine_result.vm_pu[:n] - reference["vm_pu"][:n]))
    dl_line = np.nanmax(np.abs(engine_result.line_loading_percent[:n] - reference["line_loading_percent"][:n]))
    dl_trafo = np.nanmax(np.abs(engine_result.trafo_loading_percent[:n] - reference["trafo_loading_percent"][:n]))
    return float(dv), float(max(dl_line, dl_trafo))


def speed_case(code: str, n_steps: int, reference_steps: int, label: str) -> tuple:
    net = simbench.get_simbench_net(code)
    apply_tap_defaults(net)
    profiles = simbench_profiles(net)
    model = from_pandapower(net)
    # the same injection arrays go to both solvers; building them is not timed for either
    injections = injections_from_simbench(model, net, profiles=profiles, n_steps=n_steps)

    engine_run(net, injections.slice(0, 4))  # warm-up (imports, first power-grid-model call)
    t_engine, result = timed(engine_run, net, injections, repeat=3)
    t_convert, _ = timed(from_pandapower, net, repeat=3)

    t_ref, reference = timed(pandapower_time_series, net, model, injections, steps=reference_steps)
    per_step_ref = t_ref / reference_steps
    per_step_engine = t_engine / n_steps
    speedup = per_step_ref / per_step_engine
    scaled = "" if reference_steps == n_steps else (
        f" (timed on the first {reference_steps} steps, scaled per step to {n_steps})")
    dv, dl = compare_with_timeseries(model, result, reference, reference_steps)
    moved = (result.tap_pos[:, model.taps.reg] != model.taps.pos[model.taps.reg]).any(axis=1)
    print(f"[{label}] {code}: {len(net.bus)} buses, {n_steps} steps; {len(model.taps.reg)} OLTC(s), "
          f"taps moved in {int(moved.sum())} steps, {result.extra.get('tap_rounds', 1)} power-flow rounds")
    print(f"  engine (from_pandapower + power flow): {t_engine * 1e3:9.1f} ms "
          f"= {per_step_engine * 1e3:.3f} ms/step (conversion alone {t_convert * 1e3:.1f} ms)")
    print(f"  pandapower run_timeseries:             {per_step_ref * n_steps * 1e3:9.1f} ms "
          f"= {per_step_ref * 1e3:.3f} ms/step{scaled}")
    print(f"  speed-up vs run_timeseries: {speedup:.1f}x   "
          f"(same steps: max|dV| {dv:.2e} pu, max|dloading| {dl:.2e} %-pt)")
    return speedup, net, model, profiles, per_step_ref


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mv-reference-steps", type=int, default=192)
    parser.add_argument("--mvlv-reference-steps", type=int, default=12)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    t_start = time.perf_counter()

    speedup_mv, mv_net, mv_model, mv_profiles, mv_ref_step_s = speed_case(
        MV, 192, args.mv_reference_steps, "speed MV")
    speedup_mvlv, mvlv_net, mvlv_model, mvlv_profiles, _ = speed_case(
        MVLV, 96, args.mvlv_reference_steps, "speed MVLV")

    # a whole year through the engine, constraint detection included
    def year():
        model = from_pandapower(mv_net)
        injections = injections_from_simbench(model, mv_net, profiles=mv_profiles)
        result = run_time_series(model, injections, keep_flows=False)
        episodes = detect_constraints(result)
        return result, episodes

    year_s, (year_result, episodes) = timed(year)
    over = np.nanmax(year_result.vm_pu, axis=1) > 1.05
    n_violations = sum(1 for e in episodes if e.level == "violation")
    ctrl = mv_model.taps.controlled_bus[mv_model.taps.reg]
    busbar = year_result.vm_pu[:, ctrl]
    year_taps = year_result.tap_pos[:, mv_model.taps.reg]
    print(f"[year] OLTC: busbar {np.nanmin(busbar):.4f}-{np.nanmax(busbar):.4f} pu, taps "
          f"{int(year_taps.min())}..{int(year_taps.max())}, moved in "
          f"{(year_taps != mv_model.taps.pos[mv_model.taps.reg]).any(axis=1).mean() * 100:.1f} % of steps; "
          f"some bus < 0.94 pu in {(np.nanmin(year_result.vm_pu, axis=1) < 0.94).mean() * 100:.1f} %")
    print(f"[year] {MV}: {year_result.n_steps} steps + constraint detection in {year_s:.2f} s "
          f"({year_s / year_result.n_steps * 1e3:.3f} ms/step); failed steps {int((~year_result.converged).sum())}; "
          f"{len(episodes)} episodes ({n_violations} violations); "
          f"some bus > 1.05 pu in {over.mean() * 100:.1f} % of quarter-hours")
    print(f"  pandapower run_timeseries at the per-step cost measured above would need about "
          f"{year_result.n_steps * mv_ref_step_s:.0f} s for the power flows alone "
          f"({year_result.n_steps * mv_ref_step_s / year_s:.0f}x)")

    # 3 scenarios x 192 steps x every single line outage
    def n1():
        model = from_pandapower(mv_net)
        base = injections_from_simbench(model, mv_net, profiles=mv_profiles).slice(0, 192)
        scenarios = quantile_scenarios(base, {"P10": 0.7, "P50": 1.0, "P90": 1.3})
        return run_scenarios(model, scenarios, outages="lines")

    n1_s, n1_result = timed(n1)
    n_cases = len(n1_result.outages)
    worst = n1_result.worst()
    print(f"[N-1] {MV}: 3 scenarios x 192 steps x {n_cases} cases (base + {n_cases - 1} line outages) "
          f"= {3 * 192 * n_cases} power flows in {n1_s:.2f} s; worst loading "
          f"{np.nanmax(worst['max_loading_percent']):.1f} %, max unsupplied buses "
          f"{int(worst['max_unsupplied_buses'].max())}")

    # correctness against pandapower runpp on sampled steps
    max_dv, max_dl, taps_moved, tap_mismatches = 0.0, 0.0, 0, 0
    for code, net, model, profiles in ((MV, mv_net, mv_model, mv_profiles),
                                       (MVLV, mvlv_net, mvlv_model, mvlv_profiles)):
        injections = injections_from_simbench(model, net, profiles=profiles)
        t_cc, report = timed(cross_check, model, net, injections, n_samples=args.samples, seed=1)
        print(f"[cross-check] {code}: {len(report.steps)} sampled steps of the year vs pandapower runpp: "
              f"max|dV| {report.max_dv_pu:.2e} pu (bus {report.worst_bus}), "
              f"max|dloading| {report.max_dloading_pct:.2e} %-pt ({report.worst_branch[0]} "
              f"{report.worst_branch[1]}), NaN mismatches {report.nan_mismatches}, "
              f"reference failures {len(report.reference_failures)}, OLTC taps moved in "
              f"{report.taps_moved} steps, tap mismatches {report.tap_mismatches} [{t_cc:.1f} s]")
        taps_moved += report.taps_moved
        tap_mismatches += report.tap_mismatches
        max_dv, max_dl = max(max_dv, report.max_dv_pu), max(max_dl, report.max_dloading_pct)

    print(f"bench wall time {time.perf_counter() - t_start:.1f} s")
    print(f"RESULT speedup_mv={speedup_mv:.1f} speedup_mvlv={speedup_mvlv:.1f} year_s={year_s:.2f} "
          f"n1_s={n1_s:.2f} max_dv_pu={max_dv:.2e} max_dloading_pct={max_dl:.2e} "
          f"taps_moved={taps_moved} tap_mismatches={tap_mismatches} oltc_rounds={year_result.extra.get('tap_rounds', 1)}")


if __name__ == "__main__":
    main()
