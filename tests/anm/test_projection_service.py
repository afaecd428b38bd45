"""The ANM projection through its services, on the MV SimBench network (tasks run in-process).

A sunny June day seen from 10:00 UTC (seed 7) shows over-voltage on MV feeders and reverse power
at the primary beyond its firm capacity, some of it beyond what reactive power, batteries and EV
chargers can absorb, so generators on flexible connections are curtailed; the same network seen
for two hours from 02:00 is calm. Between the two the tests check what a control
room relies on: the run keeps its inputs and is reproducible, alarms are raised once per
constraint however many reruns see it, an acknowledgement survives reruns, alarms clear
themselves, and every step is published on the DSO's live stream.
"""
from __future__ import annotations

import datetime as dt

import pytest

from apps.anm import selectors as proj
from apps.anm.calc.projection import CASES, HEATMAP_ROWS
from apps.common.caches import clear_process_caches
from apps.anm.models import Alarm, ConstraintEpisode, ProjectionPartition, ProjectionRun
from apps.anm.services import ProjectionInputError, alarm_acknowledge, projection_request
from apps.audit.models import AuditEvent
from apps.grid.models import DERAsset, Network
from apps.live.models import Event
from apps.live.streams import org_stream
from apps.studies.models import StudyRun

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks", "flexible_generators")]

UTC = dt.timezone.utc
SUNNY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # in the past: issued_at = start, so reruns are identical
CALM = dt.datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
CALM_STEPS = 8
SEED = 7
STEPS = 192
EPISODE_FIELDS = ("element", "pp_index", "name", "kind", "level", "direction", "voltage_level", "case", "cases",
                  "start", "end", "peak_at", "peak_value", "limit", "unit", "worst", "members", "relief_mw",
                  "headroom_mw", "coverable", "flex_assets", "voltage_support", "curtailment", "confirmed", "severity")


def project(network, user, *, start=SUNNY, steps=STEPS) -> ProjectionRun:
    # A past interval replayed as the live projection (what the control room would have seen).
    study = projection_request(network=network, requested_by=user, start=start, steps=steps, seed=SEED, live=True)
    study.refresh_from_db()
    assert study.state == "succeeded", study.error
    return ProjectionRun.objects.get(study=study)


def episode_rows(run: ProjectionRun) -> list[tuple]:
    return [tuple(getattr(e, f) for f in EPISODE_FIELDS) for e in run.episodes.order_by("start", "element", "pp_index", "kind", "level")]


def kinds_on(stream: str) -> list[str]:
    return list(Event.objects.filter(stream__name=stream).order_by("seq").values_list("kind", flat=True))


def open_alarms(network) -> list[Alarm]:
    return list(Alarm.objects.filter(network=network).exclude(state=Alarm.State.CLEARED).order_by("key"))


def without_oltc(network) -> None:
    """A primary without voltage control: the busbar floats with the source, no target move is
    on offer, and the sunny day needs curtailment."""
    from apps.grid.models import Transformer
    from apps.grid.services import registry_elements_update

    # the service bumps the revision: the partition model is rebuilt
    registry_elements_update(queryset=Transformer.objects.filter(network=network), oltc_enabled=False)
    network.refresh_from_db()


def violation_keys(run: ProjectionRun) -> set[str]:
    return {e.key for e in run.episodes.filter(level="violation")}


# --- one run -----------------------------------------------------------------------------------

def test_projection_succeeds_and_stores_timeline_heatmap_summary_and_episodes(mv_network, operator):
    without_oltc(mv_network)  # the default OLTC is tested below
    run = project(mv_network, operator)
    study = run.study
    assert study.kind == "projection" and study.progress == 100
    assert study.result["projection"] == run.pk

    # Inputs: enough to rerun it.
    inputs = run.inputs
    assert inputs["start"] == SUNNY.isoformat() and inputs["issued_at"] == SUNNY.isoformat()
    assert (inputs["steps"], inputs["step_minutes"], inputs["seed"]) == (STEPS, 15, SEED)
    assert inputs["limits"] == proj.projection_limits(mv_network)
    assert {(r["vmin_pu"], r["vmax_pu"]) for r in inputs["limits"]["voltage"]} >= {(0.94, 1.06), (0.94, 1.10)}
    assert [p["firm_mva"] for p in inputs["limits"]["primaries"].values()] == [25.0]  # one of two 25 MVA units
    assert inputs["curtailment_rule"] == mv_network.curtailment_rule == "lifo"
    assert inputs["revision"] == mv_network.revision
    assert inputs["forecast"]  # the forecast's own summary (seed, weather source, profile data set …)
    assert (run.start, run.issued_at, run.steps, run.step_minutes) == (SUNNY, SUNNY, STEPS, 15)

    # Partitions: one per primary substation, all done.
    partitions = list(run.partitions.all())
    assert run.partitions_done == run.partitions_total == len(partitions) >= 1
    assert all(p.done and not p.error and p.seconds > 0 for p in partitions)

    # Timeline: network totals with P10–P90 bands, 192 quarter-hours from the start.
    times = run.timeline["times"]
    assert len(times) == STEPS and times[0] == SUNNY.isoformat()
    assert times[-1] == (SUNNY + dt.timedelta(minutes=15 * (STEPS - 1))).isoformat()
    for quantity in ("demand", "pv", "wind", "net_export"):
        bands = run.timeline[quantity]
        assert set(bands) == {"p10", "p50", "p90"} and all(len(v) == STEPS for v in bands.values())
    pv = run.timeline["pv"]
    assert max(pv["p50"][:16]) > 0 and pv["p50"][56] == 0  # sun at noon, none at 00:00 UTC
    assert all(lo <= mid <= hi for lo, mid, hi in zip(pv["p10"], pv["p50"], pv["p90"]))

    # Heatmap: ranked by severity (the worst element of every MV violation, which the alarms are
    # raised on, first), then the most stressed elements over time.
    heat = run.heatmap
    assert heat["times"] == times
    assert all(len(r["values"]) == STEPS for r in heat["rows"])
    alarmed = [r for r in heat["rows"] if r["severity"]]
    rest = [r for r in heat["rows"] if not r["severity"]]
    assert heat["rows"] == alarmed + rest and 1 <= len(rest) <= HEATMAP_ROWS - len(alarmed)
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    assert [order[r["severity"]] for r in alarmed] == sorted(order[r["severity"]] for r in alarmed)
    assert [r["peak"] for r in rest] == sorted((r["peak"] for r in rest), reverse=True)
    assert max(r["peak"] for r in heat["rows"]) > 100  # something is beyond its limit
    alarm_elements = {(e.worst["element"], e.worst["pp_index"]) for e in run.episodes.filter(
        level="violation", voltage_level="mv")}
    assert alarm_elements and alarm_elements <= {(r["element"], r["pp_index"]) for r in alarmed}
    assert ("primary", -1) in alarm_elements  # the sunny day's reverse power at the primary has its row too

    # Episodes and summary.
    episodes = list(run.episodes.all())
    violations = [e for e in episodes if e.level == "violation"]
    assert violations, "the sunny day must foresee constraints"
    assert run.summary["episodes"] == len(episodes)
    assert run.summary["violations"] == len(violations)
    mv = [e for e in violations if e.voltage_level == "mv"]
    assert run.summary["uncoverable"] == sum(1 for e in mv if not e.coverable) >= 1
    assert run.summary["mv_locations"] == len({(e.element, e.pp_index) for e in mv})
    assert run.summary["export_locations"] >= 1  # reverse power / over-voltage at midday
    assert run.summary["alarms_active"] == len(open_alarms(mv_network)) == len(violation_keys(run))
    assert len(run.summary["partition_seconds"]) == run.partitions_total
    assert run.finished_at is not None

    step = dt.timedelta(minutes=15)
    for e in episodes:
        # One constraint location per episode (a feeder, a transformer, the primary), never a bus.
        assert e.element in {"feeder", "trafo", "primary", "line", "busbar"}
        assert e.members and e.members[0]["pp_index"] == e.worst["pp_index"] and len(e.members) == e.members_count
        # Bounding cases: an export-type constraint from the export (or median) case, never the import one.
        assert e.direction in {"export", "import"} and e.case in e.cases
        assert set(e.cases) <= ({"export", "median"} if e.direction == "export" else {"import", "median"})
        if e.direction in e.cases:
            assert e.case == e.direction  # the card shows the bounding case's numbers
        assert SUNNY <= e.start <= e.peak_at < e.end <= SUNNY + STEPS * step
        n = round((e.end - e.start) / step)
        assert len(e.relief_mw) == n
        if e.level == "violation":
            assert len(e.headroom_mw) == n
            assert all(h >= 0 for h in e.headroom_mw)
            assert e.severity in {"critical", "high", "medium", "low"}
            assert e.alarm is not None and e.alarm.key == e.key
            beyond = e.peak_value > e.limit if e.kind != "undervoltage" else e.peak_value < e.limit
            assert beyond
            # Coverable exactly when flexibility meets the relief in every interval (stored rounded to 4 dp).
            if e.coverable:
                assert all(h >= r - 2e-4 for h, r in zip(e.headroom_mw, e.relief_mw))
            else:
                assert any(h < r + 2e-4 for h, r in zip(e.headroom_mw, e.relief_mw))
            assert e.confirmed is not None  # every plan is re-solved
        else:
            assert e.headroom_mw == [] and e.curtailment == [] and e.alarm is None
    # MV voltage: reactive power and the voltage target are weighed before curtailment.
    voltage = [e for e in mv if e.kind == "overvoltage"]
    assert voltage and all(e.voltage_support["reactive_mvar"] > 0 for e in voltage)
    assert any(e.voltage_support["reactive_pu"] > 0 for e in voltage)
    curtailed = [e for e in violations if e.curtailment]
    assert curtailed and all(not e.coverable for e in curtailed)
    flexible = set(DERAsset.objects.filter(network=mv_network, connection_type="flexible").values_list("id", flat=True))
    for e in curtailed:
        assert all(c["asset_id"] in flexible for c in e.curtailment)  # firm connections are never curtailed
        assert all(len(c["mw"]) == n_steps(e) and min(c["mw"]) >= 0 for c in e.curtailment)
    # A curtailed constraint that full curtailment can clear is confirmed clear by the re-solve.
    assert any(e.confirmed for e in curtailed if e.uncleared_mw == 0)
    coverable = [e for e in violations if e.coverable]
    assert coverable and not any(e.curtailment for e in coverable)  # flexibility first, curtailment last


def test_default_oltc_target_regulates_and_lowers_mv_voltages(mv_network, operator):
    from apps.grid.models import Transformer

    assert all(t.oltc_enabled and t.oltc_vm_set_pu == 1.0 for t in Transformer.objects.filter(network=mv_network))
    model, _ = proj.partition_model(mv_network, proj.partitions(mv_network)[0]["busbars"])
    assert len(model.taps.reg) == 2  # both 110/20 kV units regulate in the projection's model
    run = project(mv_network, operator)
    over = [e for e in run.episodes.filter(level="violation", voltage_level="mv", kind="overvoltage")]
    # holding the busbar at 1.00 pu (not floating at the source's 1.025) keeps the MV feeders
    # within about a tap step of the limit: every over-voltage left is within reach of flexibility
    assert all(e.peak_value < 1.06 + 0.015 and e.coverable for e in over)


def n_steps(episode) -> int:
    return round((episode.end - episode.start) / dt.timedelta(minutes=15))


def test_events_go_to_the_dso_stream_only(mv_network, operator, orgs):
    run = project(mv_network, operator)
    kinds = kinds_on(org_stream(orgs["dso"].pk))
    assert kinds.count("projection.finished") == 1
    assert kinds.count("alarm.raised") == len(open_alarms(mv_network)) >= 1
    assert kinds[0] == "study.queued" and kinds[-2:] == ["study.finished", "projection.finished"]
    finished = Event.objects.get(stream__name=org_stream(orgs["dso"].pk), kind="projection.finished")
    assert finished.payload["id"] == run.pk and finished.payload["network"] == mv_network.pk
    assert finished.payload["summary"]["violations"] == run.summary["violations"]
    raised = Event.objects.filter(stream__name=org_stream(orgs["dso"].pk), kind="alarm.raised").first()
    alarm = Alarm.objects.get(pk=raised.payload["id"])
    assert raised.payload["key"] == alarm.key and raised.payload["state"] == "active"
    for other in ("agg_a", "agg_b", "tso"):
        assert kinds_on(org_stream(orgs[other].pk)) == []


# --- reproducibility ---------------------------------------------------------------------------

def test_same_inputs_give_the_same_episodes(mv_network, operator):
    first = project(mv_network, operator)
    second = project(mv_network, operator)
    assert second.inputs == first.inputs
    assert episode_rows(second) == episode_rows(first)
    assert second.timeline == first.timeline and second.heatmap == first.heatmap

    # Recomputed from the stored inputs alone (no cached forecast or model) the partition is the same.
    clear_process_caches()
    partition = ProjectionPartition.objects.get(run=first, number=0)
    part = proj.partitions(mv_network)[0]
    again = proj.partition_projection(network=Network.objects.get(pk=mv_network.pk), inputs=first.inputs,
                                      part=part).as_json()
    assert again["episodes"] == partition.episodes
    assert again["heatmap_rows"] == partition.heatmap_rows


# --- alarms across reruns ----------------------------------------------------------------------

def test_alarms_are_merged_across_reruns_acknowledged_and_cleared(mv_network, operator, orgs):
    stream = org_stream(orgs["dso"].pk)
    first = project(mv_network, operator)
    alarms = open_alarms(mv_network)
    keys = violation_keys(first)
    assert {a.key for a in alarms} == keys
    assert all(a.state == "active" and a.last_run_id == first.pk for a in alarms)

    # A rerun that sees the same constraints: the same alarms, refreshed, none added.
    second = project(mv_network, operator)
    again = open_alarms(mv_network)
    assert [a.pk for a in again] == [a.pk for a in alarms]
    assert all(a.last_run_id == second.pk for a in again)
    assert Alarm.objects.filter(network=mv_network).count() == len(keys)
    assert kinds_on(stream).count("alarm.raised") == len(keys)
    assert {e.alarm_id for e in second.episodes.filter(level="violation")} == {a.pk for a in alarms}

    # An operator acknowledges one: who and when, an audit event, a live event.
    target = alarms[0]
    acked = alarm_acknowledge(alarm=target, user=operator)
    assert acked.state == "acknowledged" and acked.acknowledged_by == operator and acked.acknowledged_at
    audit = AuditEvent.objects.get(action="alarm.acknowledged")
    assert (audit.actor, audit.object_id, audit.before, audit.after) == \
        (operator, str(target.pk), {"state": "active"}, {"state": "acknowledged"})
    event = Event.objects.get(stream__name=stream, kind="alarm.acknowledged")
    assert event.payload["id"] == target.pk and event.payload["acknowledged_by"] == operator.username
    assert alarm_acknowledge(alarm=target, user=operator).state == "acknowledged"  # twice: no-op
    assert AuditEvent.objects.filter(action="alarm.acknowledged").count() == 1

    # The next run keeps the acknowledgement.
    third = project(mv_network, operator)
    kept = Alarm.objects.get(pk=target.pk)
    assert kept.state == "acknowledged" and kept.acknowledged_by == operator
    assert kept.acknowledged_at == acked.acknowledged_at and kept.last_run_id == third.pk
    assert len(open_alarms(mv_network)) == len(keys)

    # A run that no longer sees them clears every one, the acknowledged one too.
    calm = project(mv_network, operator, start=CALM, steps=CALM_STEPS)
    assert calm.summary["violations"] == 0 and calm.summary["alarms_active"] == 0
    assert open_alarms(mv_network) == []
    cleared = Alarm.objects.filter(network=mv_network)
    assert all(a.state == "cleared" and a.cleared_at >= a.last_seen_at for a in cleared)
    assert Alarm.objects.get(pk=target.pk).acknowledged_by == operator  # history kept
    assert kinds_on(stream).count("alarm.cleared") == len(keys)
    cleared_ids = {e.payload["id"] for e in Event.objects.filter(stream__name=stream, kind="alarm.cleared")}
    assert cleared_ids == {a.pk for a in alarms}

    # Nothing left to acknowledge on a cleared alarm.
    with pytest.raises(ProjectionInputError):
        alarm_acknowledge(alarm=target, user=operator)
    assert AuditEvent.objects.filter(action="alarm.acknowledged").count() == 1

    # The constraint coming back raises a new alarm; the cleared ones stay as history.
    project(mv_network, operator)
    fresh = open_alarms(mv_network)
    assert {a.key for a in fresh} == keys and not {a.pk for a in fresh} & {a.pk for a in alarms}
    assert all(a.state == "active" for a in fresh)
    assert Alarm.objects.filter(network=mv_network, state="cleared").count() == len(keys)


# --- failure -----------------------------------------------------------------------------------

def test_a_failing_partition_fails_the_study_with_a_message(mv_network, operator, orgs, monkeypatch):
    def explode(network, inputs, part):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(proj, "project_partition", explode)
    study = projection_request(network=mv_network, requested_by=operator, start=SUNNY, seed=SEED)
    study.refresh_from_db()
    assert study.state == "failed"
    # A plain message for users; the exception and its traceback only in the worker log.
    assert study.error.startswith("Partition 0 of the projection failed. The study stopped because of an internal error")
    assert "solver exploded" not in study.error and "Traceback" not in study.error
    run = ProjectionRun.objects.get(study=study)
    partition = run.partitions.get(number=0)
    assert not partition.done and "internal error" in partition.error
    assert run.finished_at is None and run.partitions_done == 0
    assert not ConstraintEpisode.objects.exists() and not Alarm.objects.exists()
    kinds = kinds_on(org_stream(orgs["dso"].pk))
    assert "projection.finished" not in kinds and kinds[-1] == "study.finished"


# --- bad requests ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{"steps": 0}, {"steps": 769}, {"step_minutes": 20}, {"step_minutes": 10}])
def test_bad_requests_are_refused_before_anything_is_queued(mv_network, operator, kwargs):
    with pytest.raises(ProjectionInputError):
        projection_request(network=mv_network, requested_by=operator, start=SUNNY, seed=SEED, **kwargs)
    assert not StudyRun.objects.exists()


def test_more_than_48_hours_is_refused(mv_network, operator):
    with pytest.raises(ProjectionInputError):
        projection_request(network=mv_network, requested_by=operator, start=SUNNY, seed=SEED, steps=193)


def test_a_naive_start_is_a_clear_input_error(mv_network, operator):
    with pytest.raises(ProjectionInputError):
        projection_request(network=mv_network, requested_by=operator, start=dt.datetime(2026, 6, 15, 10, 0), seed=SEED)


# --- principles of access ----------------------------------------------------------------------

def _curtailment_facts(network, rule: str):
    """Run the sunny projection under ``rule``; per curtailed episode the plan, with each
    generator's forecast output (in the episode's case) over the episode's intervals."""
    Network.objects.filter(pk=network.pk).update(curtailment_rule=rule)
    without_oltc(network)
    run = project(network, None)
    assert run.inputs["curtailment_rule"] == rule
    bundle = proj.projection_forecast(network, run.inputs)
    pp_index = dict(DERAsset.objects.filter(network=network).values_list("id", "pp_index"))
    accepted = dict(DERAsset.objects.filter(network=network).values_list("id", "offer_accepted_on"))
    facts = []
    for e in run.episodes.filter(level="violation").exclude(curtailment=[]):
        generation = CASES[e.case][0]
        sgen = bundle.scenario(generation=generation, demand=generation)[("sgen", "p_mw")]
        window = sgen.loc[e.start:e.end - dt.timedelta(minutes=1)]
        plan = [(c, window[pp_index[c["asset_id"]]].to_numpy()) for c in e.curtailment]
        for c, _ in plan:
            assert c["connected_on"] == accepted[c["asset_id"]].isoformat()
        facts.append((e, plan))
    assert facts, "the sunny day must curtail somewhere"
    return facts


def test_lifo_curtails_the_last_connected_generators_fully_first_in_every_interval():
    for episode, plan in _curtailment_facts(Network.objects.get(name="MV rural"), "lifo"):
        dates = [c["connected_on"] for c, _ in plan]
        assert dates == sorted(dates, reverse=True) and len(set(dates)) == len(dates), episode.key
        for t in range(n_steps(episode)):
            used = [(c["mw"][t], available[t]) for c, available in plan]
            # in each interval: every generator before the last one used is curtailed fully
            last = max((i for i, (mw, _) in enumerate(used) if mw > 0), default=-1)
            for mw, available in used[:last]:
                assert mw == pytest.approx(available, abs=2e-4), episode.key
            for mw, available in used:
                assert 0 <= mw <= available + 2e-4
        assert sum(max(c["mw"]) > 0 for c, _ in plan) == len(plan)


def test_pro_rata_curtails_every_useful_generator_by_the_same_fraction():
    facts = _curtailment_facts(Network.objects.get(name="MV rural"), "pro_rata")
    several = 0
    for episode, plan in facts:
        for t in range(n_steps(episode)):
            c_big, a_big = max(plan, key=lambda item: item[1][t])
            if a_big[t] <= 0:
                continue
            share = c_big["mw"][t] / a_big[t]
            assert 0 <= share <= 1 + 1e-6
            for c, available in plan:  # the same share of every generator's output (stored to 4 dp)
                assert c["mw"][t] == pytest.approx(share * available[t], abs=2e-4), (episode.key, t)
        several += len(plan) > 1
    assert several, "at least one constraint is shared by several generators"


def test_a_run_finishing_after_a_newer_one_leaves_alarms_alone(mv_network, operator):
    """Out-of-order completion: the older run stores its episodes but the alarms stay as the
    newer run left them."""
    from apps.anm import services as anm_services

    older = project(mv_network, operator)
    assert Alarm.objects.filter(network=mv_network, state="active").exists()
    newer = project(mv_network, operator, start=CALM, steps=8)
    assert not Alarm.objects.filter(network=mv_network).exclude(state="cleared").exists()
    # Pretend the older run is only now finishing: the newer run has already cleared everything.
    ConstraintEpisode.objects.filter(run=older).delete()
    anm_services.projection_finish(run=ProjectionRun.objects.get(pk=older.pk))
    assert newer.pk > older.pk
    assert ConstraintEpisode.objects.filter(run=older).exists()
    assert not Alarm.objects.filter(network=mv_network).exclude(state="cleared").exists()


def test_an_acknowledged_alarm_that_gets_worse_asks_again(mv_network, operator):
    project(mv_network, operator)
    alarm = Alarm.objects.filter(network=mv_network, state="active").order_by("id").first()
    alarm_acknowledge(alarm=alarm, user=operator)
    # As if the acknowledged forecast had been milder than what the next run sees.
    Alarm.objects.filter(pk=alarm.pk).update(severity="low")
    project(mv_network, operator)
    alarm.refresh_from_db()
    assert alarm.state == "active" and alarm.severity != "low"
    assert alarm.acknowledged_by is None and alarm.acknowledged_at is None
    assert Event.objects.filter(kind="alarm.escalated", payload__id=alarm.pk).exists()


# --- what-if projections are kept apart from the live one (issue 9) ----------------------------

@pytest.mark.parametrize("start, live", [
    (None, True),
    (dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC), True),       # the current quarter-hour
    (dt.datetime(2026, 11, 23, 10, 14, 59, tzinfo=UTC), True),
    (dt.datetime(2026, 11, 23, 10, 15, tzinfo=UTC), False),     # the next one
    (dt.datetime(2026, 11, 23, 13, 0, tzinfo=UTC), False),      # 3 h ahead
    (dt.datetime(2026, 11, 23, 9, 59, tzinfo=UTC), False),      # a replay of the past
])
def test_only_a_projection_starting_now_is_live(start, live):
    from apps.anm.services import projection_is_live

    assert projection_is_live(start=start, now=dt.datetime(2026, 11, 23, 10, 7, 30, tzinfo=UTC)) is live


def test_a_what_if_projection_leaves_the_live_one_its_alarms_and_curtailment_alone(flexible_generators, operator):
    from apps.anm.models import CurtailmentInstruction
    from apps.anm.selectors import latest_projection

    flexible = flexible_generators
    live = project(flexible, operator)
    alarms = {a.pk: (a.state, a.severity, a.last_run_id) for a in Alarm.objects.filter(network=flexible)}
    instructions = list(CurtailmentInstruction.objects.order_by("pk").values_list("pk", "mw", "run_id"))
    assert alarms and live.live
    alarm_events = Event.objects.filter(kind__startswith="alarm.").count()
    # CALM would clear every alarm if it were live; as a what-if (not starting now) it must not.
    study = projection_request(network=flexible, requested_by=operator, start=CALM, steps=CALM_STEPS, seed=SEED)
    study.refresh_from_db()
    assert study.state == "succeeded", study.error
    what_if = ProjectionRun.objects.get(study=study)
    assert not what_if.live and study.parameters["live"] is False and what_if.summary["alarms_active"] is None
    assert latest_projection(flexible) == live
    assert {a.pk: (a.state, a.severity, a.last_run_id) for a in Alarm.objects.filter(network=flexible)} == alarms
    assert list(CurtailmentInstruction.objects.order_by("pk").values_list("pk", "mw", "run_id")) == instructions
    finished = Event.objects.filter(kind="projection.finished", payload__id=what_if.pk).get()
    assert finished.payload["live"] is False
    assert Event.objects.filter(kind__startswith="alarm.").count() == alarm_events
