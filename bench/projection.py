"""Benchmark of one ANM projection run end to end, on a scratch SQLite database.

Run from the repository root::

    .venv/bin/python bench/projection.py [--var-dir DIR] [--start 2026-08-12T10:00] [--warm 3]

The default start is the demo day's late morning (``apps.controlroom.world.DEMO_PROJECTION_START``,
11:00 BST on 12 August 2026: a windy night behind, a sunny midday ahead; see docs/demo.md).

A run is what the control room waits for: ``projection_request`` → forecast assembly (P10/P50/P90
of every injection, 192 quarter-hours) → 3 quantiles × 192 steps through the engine per
partition → constraint episodes, headroom, curtailment → episodes and alarms stored →
``projection.finished`` published. Tasks run in-process (this script unsets ``REDIS_URL`` and
``DATABASE_URL`` for itself, so the embedded settings run Celery eagerly on SQLite).

Networks: (a) the demo world (SimBench ``1-MVLV-rural-all-2-sw`` loaded by ``load_demo``) and
(b) ``1-MV-rural--2-sw`` alone (``network_import``), both in one scratch database. The
database is prepared in a child process (migrate, load_demo, import), so that the measuring
process starts cold: its first run per network pays what a freshly started worker pays (profile
cache from disk, network export, model build). Every run has the same inputs (start, seed) so that
cold and warm runs do the same work, but none reuses a cached forecast: the forecast cache is
emptied before each (``--advance-minutes 15`` moves each warm run 15 minutes on instead, as the
beat schedule does; the constraints found, and so the work, then differ from run to run).

For context it also times the forecast alone, the engine alone (3 × 192 steps on the cached
partition models) and, as the reference, ``pandapower.runpp`` on a few steps of the same
injections scaled to 3 × 192 steps (numba is not installed, so pandapower runs without it).
Taps act and the primaries' OLTCs regulate in the projection (the engine's default); the
reference runs pandapower with one ``DiscreteTapControl`` per OLTC (``run_control=True``), each
step starting from the same taps.

The last line is::

    RESULT demo_s=<warm median> mv_s=<warm median> demo_cold_s=<cold> mv_cold_s=<cold>
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore")

from apps.controlroom.world import DEMO_PROJECTION_START  # noqa: E402  (pure module, no Django)

MV_CODE = "1-MV-rural--2-sw"
MV_NAME = "MV rural (bench)"
UTC = dt.timezone.utc


def configure(var_dir: str) -> None:
    """Embedded settings on the scratch directory: SQLite there, tasks in-process."""
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DSO_VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "dso_portal.settings.local"
    import django

    django.setup()
    logging.disable(logging.WARNING)


def prepare(var_dir: str) -> None:
    """Child process: migrate, load the demo world, import the MV network."""
    configure(var_dir)
    from django.core.management import call_command

    from apps.grid.models import Network
    from apps.grid.services import network_import

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    t1 = time.perf_counter()
    call_command("load_demo", stdout=open(os.devnull, "w"))
    t2 = time.perf_counter()
    if not Network.objects.filter(name=MV_NAME).exists():
        network_import(simbench_code=MV_CODE, name=MV_NAME)
    t3 = time.perf_counter()
    print(f"  prepared {var_dir}: migrate {t1 - t0:.1f} s, load_demo {t2 - t1:.1f} s, "
          f"import {MV_CODE} {t3 - t2:.1f} s")


# --- stage timing (wrappers installed in this process only; no code is changed) ----------------

class Stages:
    """Accumulates wall time of named functions during one run."""

    def __init__(self):
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def reset(self):
        self.totals.clear()
        self.calls.clear()

    def wrap(self, module, attr: str, label: str, count=None):
        """Time ``module.attr`` under ``label``; ``count(args)`` adds to ``label + ':n'``."""
        original = getattr(module, attr)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[label] += time.perf_counter() - t0
                self.calls[label] += 1
                if count is not None:
                    self.calls[label + ":n"] += count(args)

        setattr(module, attr, timed)


STAGE_ORDER = [
    ("bundle_for", "forecast assembly (forecast_injections)"),
    ("forecast_run_issue", "forecast stored for accuracy tracking (forecast_run_issue)"),
    ("project_partition", "project_partition (all partitions)"),
    ("partition_model", "  partition model (export + from_pandapower, cached per revision)"),
    ("run_time_series", "  engine: 3 quantiles x steps (injections + run_time_series)"),
    ("detect_constraints", "  detect_constraints"),
    ("sensitivities", "  sensitivities (curtailment / headroom factors)"),
    ("heatmap_rows", "  heatmap rows"),
    ("projection_finish", "projection_finish (episodes, alarms, events)"),
    ("alarms_update", "  alarms_update"),
]


def install_stage_timers(stages: Stages) -> None:
    from apps.anm import selectors
    from apps.anm import services
    from apps.anm.calc import projection as calc

    stages.wrap(selectors, "projection_forecast", "bundle_for")
    if hasattr(services, "forecast_run_issue"):
        stages.wrap(services, "forecast_run_issue", "forecast_run_issue")
    stages.wrap(selectors, "partition_projection", "project_partition")
    stages.wrap(selectors, "partition_model", "partition_model")
    stages.wrap(calc, "injections_from_profiles", "run_time_series")
    stages.wrap(calc, "run_time_series", "run_time_series")
    stages.wrap(calc, "detect_constraints", "detect_constraints")
    stages.wrap(calc, "sensitivities", "sensitivities", count=lambda args: len(args[3]))  # asset buses
    stages.wrap(calc, "heatmap_rows", "heatmap_rows")
    stages.wrap(services, "projection_finish", "projection_finish")
    stages.wrap(services, "alarms_update", "alarms_update")


# --- measurements ------------------------------------------------------------------------------

@contextmanager
def clock():
    box = {}
    t0 = time.perf_counter()
    yield box
    box["s"] = time.perf_counter() - t0


def one_run(network, user, start: dt.datetime, seed: int, stages: Stages) -> dict:
    from apps.anm import selectors as proj
    from apps.anm.calc.projection import CASES
    from apps.anm.models import ProjectionRun
    from apps.anm.services import projection_request
    from apps.live.models import Event

    proj.PROJECTION_FORECASTS.clear()  # every run assembles its forecast (in production each has a new issue time)
    stages.reset()
    with clock() as c:
        study = projection_request(network=network, requested_by=user, start=start, seed=seed, live=True)
    study.refresh_from_db()
    if study.state != "succeeded":
        raise SystemExit(f"projection of {network} failed: {study.error}")
    run = ProjectionRun.objects.get(study=study)
    published = Event.objects.filter(kind="projection.finished", payload__id=run.pk).exists()
    if not published:
        raise SystemExit("no projection.finished event was published")
    return {"s": c["s"], "run": run, "stages": dict(stages.totals), "calls": dict(stages.calls)}


def forecast_only(network, start: dt.datetime, repeat: int) -> float:
    from apps.forecasting.selectors import forecast_injections

    times = []
    for k in range(repeat):
        with clock() as c:
            forecast_injections(network=network, start=start, steps=192, seed=1000 + k)
        times.append(c["s"])
    return statistics.median(times)


def engine_only(network, run, repeat: int) -> tuple[float, int, dict]:
    """3 cases x steps through the engine on the cached partition models (injections built
    from the run's forecast, power flow with flows kept, as the projection does). Also returns
    what the OLTCs did: steps where a tap moved, the tap range and the busbar voltage range."""
    import numpy as np

    from apps.anm import selectors as proj
    from apps.anm.calc.projection import CASES
    from apps.grid.engine import injections_from_profiles, run_time_series

    bundle = proj.projection_forecast(network, run.inputs)
    models = [proj.partition_model(network, part["busbars"])[0] for part in proj.partitions(network)]
    times = []
    taps = {"oltcs": 0, "steps": 0, "moved": 0, "taps": set(), "busbar": [np.inf, -np.inf], "over_105": 0}
    for k in range(repeat):
        with clock() as c:
            results = [(model, run_time_series(model, injections_from_profiles(
                model, bundle.scenario(generation=generation, demand=demand),
                timestamps=bundle.valid_times.to_numpy())))
                for model in models for generation, demand in CASES.values()]
        times.append(c["s"])
        if k == 0:
            for model, result in results:
                reg = model.taps.reg
                taps["steps"] += result.n_steps
                taps["over_105"] += int((np.nanmax(result.vm_pu, axis=1) > 1.05).sum())
                if not len(reg):
                    continue
                taps["oltcs"] = max(taps["oltcs"], len(reg))
                positions = result.tap_pos[:, reg]
                taps["moved"] += int((positions != model.taps.pos[reg]).any(axis=1).sum())
                taps["taps"].update(int(v) for v in np.unique(positions))
                vm = result.vm_pu[:, model.taps.controlled_bus[reg]]
                taps["busbar"] = [min(taps["busbar"][0], float(np.nanmin(vm))), max(taps["busbar"][1], float(np.nanmax(vm)))]
    return statistics.median(times), sum(len(m.buses) for m in models), taps


def pandapower_reference(network, run, steps: int) -> tuple[float, float]:
    """``pandapower.runpp`` on the first ``steps`` P50 steps of the run's forecast, on the whole
    net. Returns (seconds per step, estimate for 3 x run.steps)."""
    import pandapower as pp

    from apps.anm import selectors as proj
    from apps.anm.calc.projection import CASES
    from apps.grid.engine import from_pandapower, injections_from_profiles, reference_options
    from apps.grid.engine.reference import add_tap_controllers, reset_taps, set_injections
    from apps.grid.selectors import network_net

    net = copy.deepcopy(network_net(network))
    model = from_pandapower(net)
    bundle = proj.projection_forecast(network, run.inputs)
    injections = injections_from_profiles(model, bundle.profiles("p50"), n_steps=steps)
    options = reference_options(model)
    if add_tap_controllers(net, model):
        options["run_control"] = True  # the OLTCs regulate, as in the engine
    set_injections(net, model, injections, 0)
    pp.runpp(net, **options)  # warm-up (pandapower's first call builds its lookups)
    spent = 0.0
    for step in range(steps):
        set_injections(net, model, injections, step)  # not timed: only the power flows are
        reset_taps(net, model)
        t0 = time.perf_counter()
        pp.runpp(net, **options)
        spent += time.perf_counter() - t0
    per_step = spent / steps
    return per_step, per_step * 3 * run.steps


def measure(label: str, network, user, start: dt.datetime, args, stages: Stages) -> dict:
    print(f"[{label}] {network.name}")
    step = dt.timedelta(minutes=args.advance_minutes)
    cold = one_run(network, user, start, args.seed, stages)
    warm = [one_run(network, user, start + (k + 1) * step, args.seed, stages) for k in range(args.warm)]
    warm_s = [w["s"] for w in warm]
    median_run = sorted(warm, key=lambda w: w["s"])[len(warm) // 2]
    run = median_run["run"]
    summary = run.summary
    print(f"  {run.partitions_total} partition(s), {run.steps} steps x 3 cases (export, median, import bounds); "
          f"{summary['episodes']} episodes ({summary['violations']} violations), constraint locations: "
          f"{summary['mv_locations']} MV/primary ({summary['export_locations']} export-type at midday), "
          f"{summary['lv_locations']} LV; {summary['uncoverable']} MV not coverable by flexibility; "
          f"{summary['alarms_active']} open alarms")
    for e in run.episodes.filter(level="violation", voltage_level="mv").order_by("start"):
        print(f"    MV  {e.kind:<12} {e.direction:<6} {e.element} {e.name}: {e.start:%d %b %H:%M}-{e.end:%H:%M} "
              f"peak {e.peak_value:.3f} {e.unit} (limit {e.limit:.3f}) seen in {'+'.join(e.cases)}; "
              f"{e.members_count} element(s); coverable={e.coverable} curtailed={len(e.curtailment)} confirmed={e.confirmed}")
    sens = median_run["calls"]
    print(f"  sensitivities: {sens.get('sensitivities', 0)} linearisations, {sens.get('sensitivities:n', 0)} asset buses "
          f"(one right-hand side each: headroom needs the P half only) in the median warm run")
    print(f"  cold run (first in process): {cold['s']:7.2f} s")
    print(f"  warm runs:                   {', '.join(f'{s:.2f}' for s in warm_s)} s  -> median {statistics.median(warm_s):.2f} s")
    print("  where the time goes (cold | warm median run):")
    for key, text in STAGE_ORDER:
        if key in cold["stages"] or key in median_run["stages"]:
            print(f"    {text:<70} {cold['stages'].get(key, 0.0):6.2f} | {median_run['stages'].get(key, 0.0):6.2f} s")
    accounted = median_run["stages"].get("bundle_for", 0) + median_run["stages"].get("forecast_run_issue", 0) + \
        median_run["stages"].get("project_partition", 0) + median_run["stages"].get("projection_finish", 0)
    print(f"    {'rest (study bookkeeping, progress events, partition stores, queries)':<70} "
          f"{cold['s'] - sum(cold['stages'].get(k, 0) for k in ('bundle_for', 'forecast_run_issue', 'project_partition', 'projection_finish')):6.2f} | "
          f"{median_run['s'] - accounted:6.2f} s")

    f_s = forecast_only(network, start + dt.timedelta(hours=6), args.repeat)
    e_s, n_bus, taps = engine_only(network, run, args.repeat)
    ref_steps = args.reference_steps_demo if label == "demo" else args.reference_steps_mv
    per_step, ref_s = pandapower_reference(network, run, ref_steps)
    warm_median = statistics.median(warm_s)
    print(f"  forecast only (forecast_injections, median of {args.repeat}): {f_s:6.2f} s")
    print(f"  engine only (3 x {run.steps} steps, {n_bus} buses in partitions, median of {args.repeat}): {e_s:6.2f} s "
          f"= {e_s / (3 * run.steps) * 1e3:.2f} ms/step")
    if taps["oltcs"]:
        print(f"  OLTC (engine, 3 cases): {taps['oltcs']} regulating unit(s) per primary; taps moved in {taps['moved']} of "
              f"{taps['steps']} steps, positions {sorted(taps['taps'])}, busbar {taps['busbar'][0]:.4f}-{taps['busbar'][1]:.4f} pu; "
              f"some bus > 1.05 pu in {taps['over_105'] / taps['steps'] * 100:.1f} % of steps")
    print(f"  reference: pandapower.runpp {per_step * 1e3:.1f} ms/step (timed on {ref_steps} steps) "
          f"-> {ref_s:.1f} s for 3 x {run.steps} steps")
    print(f"  ratios: engine {ref_s / e_s:.0f}x faster than runpp; the whole projection run (warm) "
          f"{ref_s / warm_median:.1f}x faster than runpp's power flows alone")
    return {"cold": cold["s"], "warm": warm_median, "ratio": ref_s / warm_median, "summary": summary, "taps": taps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--var-dir", help="scratch directory to use (and keep); default: a temporary one, removed")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", default=DEMO_PROJECTION_START.strftime("%Y-%m-%dT%H:%M"),
                        help="first valid time (UTC) of the cold run; default: the demo day's late morning")
    parser.add_argument("--seed", type=int, default=7, help="forecast seed of every run")
    parser.add_argument("--advance-minutes", type=int, default=0,
                        help="start each warm run this much later than the previous (0: the same inputs, so cold "
                             "and warm runs do the same work; 15: as the beat schedule does)")
    parser.add_argument("--warm", type=int, default=3, help="warm runs per network")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the forecast-only and engine-only timings")
    parser.add_argument("--reference-steps-demo", type=int, default=3)
    parser.add_argument("--reference-steps-mv", type=int, default=24)
    args = parser.parse_args()

    if args.prepare:
        prepare(args.var_dir)
        return

    began = time.perf_counter()
    var_dir = args.var_dir or tempfile.mkdtemp(prefix="bench-projection-")
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        subprocess.run([sys.executable, os.path.abspath(__file__), "--prepare", "--var-dir", var_dir],
                       check=True, env=env, cwd=ROOT)
        configure(var_dir)
        from dso_portal.celery import app

        assert app.conf.task_always_eager, "tasks must run in-process"
        from apps.accounts.models import User
        from apps.controlroom.demo import DEMO_NETWORK_NAME
        from apps.grid.models import Network

        stages = Stages()
        install_stage_timers(stages)
        start = dt.datetime.fromisoformat(args.start).replace(tzinfo=UTC)
        user = User.objects.get(username="operator")
        demo = measure("demo", Network.objects.get(name=DEMO_NETWORK_NAME), user, start, args, stages)
        mv = measure("mv", Network.objects.get(name=MV_NAME), user, start, args, stages)
        print(f"targets: demo >= 10x runpp: {'met' if demo['ratio'] >= 10 else 'MISSED'}; "
              f"MV >= 30x runpp: {'met' if mv['ratio'] >= 30 else 'MISSED'}; "
              f"demo MV/primary locations <= 10: {'met' if demo['summary']['mv_locations'] <= 10 else 'MISSED'}; "
              f"midday export location >= 1: {'met' if demo['summary']['export_locations'] >= 1 else 'MISSED'}; "
              f"LV planning list: {demo['summary']['lv_locations']} location(s)")
        print(f"bench wall time {time.perf_counter() - began:.1f} s")
        d = demo["summary"]
        print(f"RESULT demo_s={demo['warm']:.2f} mv_s={mv['warm']:.2f} "
              f"demo_cold_s={demo['cold']:.2f} mv_cold_s={mv['cold']:.2f} "
              f"demo_vs_runpp={demo['ratio']:.1f} mv_vs_runpp={mv['ratio']:.1f} "
              f"mv_locations={d['mv_locations']} export_locations={d['export_locations']} lv_locations={d['lv_locations']} "
              f"demo_taps_moved={demo['taps']['moved']}/{demo['taps']['steps']}")
    finally:
        if not args.var_dir:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
