"""ANM writes: request a projection, store a partition's share, finish the run (episodes,
alarms, live event), acknowledge an alarm."""
from __future__ import annotations

import datetime as dt
import time

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import has_transition_perm

from apps.accounts.models import Organisation
from apps.forecasting.services import forecast_run_issue
from apps.grid.models import Network
from apps.live.events import event_payload
from apps.live.services import event_publish_to_dso
from apps.studies.models import StudyRun
from apps.studies.services import study_run_create, study_run_progress, study_run_succeed

from . import selectors
from .calc.projection import heatmap_rank, timeline
from .calc.titles import location_title
from .calc.severity import ORDER
from .models import Alarm, ConstraintEpisode, ProjectionPartition, ProjectionRun

STEP_MINUTES = 15
PROJECTION = "projection"  # the study kind (registered in apps/anm/study_kinds.py)


class ProjectionInputError(ValueError):
    pass


def projection_is_live(*, start: dt.datetime | None, now: dt.datetime) -> bool:
    """A projection is the live one when it starts in the current quarter-hour; any other start
    (hours ahead, or a replay of the past) makes it a what-if."""
    if start is None:
        return True
    return _interval(start) == _interval(now)


def _interval(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=moment.minute - moment.minute % STEP_MINUTES, second=0, microsecond=0)


def projection_request(*, network, requested_by=None, start: dt.datetime | None = None, steps: int = 192,
                       step_minutes: int = STEP_MINUTES, seed: int | None = None, live: bool | None = None) -> StudyRun:
    """Queue a projection study (the Celery task fans it out per primary substation).

    ``live`` None (what the API does) decides from ``start`` (see ``projection_is_live``); a
    caller replaying a past interval as if it were now (tests, the demo) may say True."""
    if not isinstance(step_minutes, int) or step_minutes <= 0 or step_minutes % STEP_MINUTES:
        raise ProjectionInputError("step_minutes must be a positive multiple of 15.")
    if not isinstance(steps, int) or not 1 <= steps <= 48 * 60 // step_minutes:
        raise ProjectionInputError("steps must cover between one interval and 48 hours.")
    if start is not None and timezone.is_naive(start):
        raise ProjectionInputError("start must carry a time zone (e.g. 2026-06-15T10:00:00Z).")
    now = timezone.now()
    live = projection_is_live(start=start, now=now) if live is None else bool(live)
    start = start or now
    start = start.replace(minute=start.minute - start.minute % STEP_MINUTES, second=0, microsecond=0)
    organisation = getattr(requested_by, "organisation", None) or Organisation.objects.filter(
        kind=Organisation.Kind.DSO).order_by("id").first()
    parameters = {
        "start": start.isoformat(), "issued_at": min(now, start).isoformat(), "steps": int(steps),
        "step_minutes": int(step_minutes), "seed": int(seed if seed is not None else start.timestamp() // 60),
        "limits": selectors.projection_limits(network), "curtailment_rule": network.curtailment_rule, "revision": network.revision,
        "live": live,
    }
    return study_run_create(kind=PROJECTION, network=network, parameters=parameters,
                            requested_by=requested_by, organisation=organisation)


@transaction.atomic
def projection_start(*, study: StudyRun) -> ProjectionRun:
    """Create the run record, store the forecast timeline, and enqueue one task per partition
    (on commit)."""
    from .tasks import project_partition_task

    resumed = ProjectionRun.objects.filter(study=study).first()
    if resumed is not None:  # a requeued study (its worker was lost): resume the pending partitions
        pending = list(resumed.partitions.filter(done=False).values_list("number", flat=True))
        study_run_progress(run=study, progress=10, stage=f"Resumed; {len(pending)} partition(s) queued again")
        transaction.on_commit(lambda: [project_partition_task.delay(resumed.pk, n) for n in pending])
        return resumed
    inputs = study.parameters
    bundle = selectors.projection_forecast(study.network, inputs)
    parts = selectors.partitions(study.network)
    run = ProjectionRun.objects.create(
        study=study, network=study.network, start=dt.datetime.fromisoformat(inputs["start"]),
        issued_at=dt.datetime.fromisoformat(inputs["issued_at"]), steps=inputs["steps"],
        step_minutes=inputs["step_minutes"], inputs={**inputs, "forecast": bundle.inputs},
        partitions_total=len(parts), timeline=timeline(bundle), live=inputs.get("live", True),
    )
    for number, part in enumerate(parts):
        ProjectionPartition.objects.create(run=run, number=number, substation=part["substation"])
    # The forecast the ANM acts on is the one whose accuracy is tracked.
    forecast_run_issue(network=study.network, issued_at=run.issued_at, bundle=bundle, actor=study.requested_by)
    study_run_progress(run=study, progress=10, stage=f"Forecast ready; {len(parts)} partition(s) queued")
    transaction.on_commit(lambda: [project_partition_task.delay(run.pk, n) for n in range(len(parts))])
    return run


def projection_partition_compute(*, run: ProjectionRun, number: int) -> None:
    """Compute one partition (outside any transaction: it is the long part), then store it."""
    part = selectors.partitions(run.network)[number]
    began = time.perf_counter()  # the partition's own work: model, forecast, engine, plan
    data = selectors.partition_projection(network=run.network, inputs=run.inputs, part=part).as_json()
    projection_partition_store(run=run, number=number, data={**data, "seconds": time.perf_counter() - began})


@transaction.atomic
def projection_partition_store(*, run: ProjectionRun, number: int, data: dict) -> None:
    locked = ProjectionRun.objects.select_for_update().get(pk=run.pk)
    partition = ProjectionPartition.objects.get(run=locked, number=number)
    if partition.done:
        return  # a redelivered task: already counted
    partition.episodes, partition.heatmap_rows = data["episodes"], data["heatmap_rows"]
    partition.seconds, partition.done = data["seconds"], True
    partition.save()
    locked.partitions_done += 1
    locked.save(update_fields=["partitions_done"])
    study = locked.study
    if study.state in (StudyRun.State.FAILED, StudyRun.State.CANCELLED):
        return  # another partition failed, or someone cancelled it: it stays so
    if locked.partitions_done < locked.partitions_total:
        study_run_progress(run=study, progress=10 + 80 * locked.partitions_done // locked.partitions_total,
                           stage=f"{locked.partitions_done} of {locked.partitions_total} partitions done")
        return
    projection_finish(run=locked)


@transaction.atomic
def projection_finish(*, run: ProjectionRun) -> None:
    """All partitions are in: store episodes, update alarms, finish the study, tell the room."""
    study = run.study
    study_run_progress(run=study, progress=92, stage="Storing episodes and alarms")
    rows = [e for p in run.partitions.all() for e in p.episodes]
    times = ("start", "end", "peak_at")
    episodes = ConstraintEpisode.objects.bulk_create([
        ConstraintEpisode(run=run, **{k: dt.datetime.fromisoformat(v) if k in times else v for k, v in row.items()})
        for row in rows
    ])
    # Alarms follow the most recently requested run: one that finishes after a newer run (two
    # workers, or a manual run overtaking a scheduled one) keeps its episodes but leaves alarms be.
    # A what-if never touches them.
    superseded = not run.live or ProjectionRun.objects.filter(
        network=run.network, live=True, finished_at__isnull=False, pk__gt=run.pk).exists()
    alarms = None if superseded else alarms_update(run=run, episodes=episodes)
    heat = heatmap_rank([r for p in run.partitions.all() for r in p.heatmap_rows])
    run.heatmap = {"times": run.timeline.get("times", []), "rows": heat}
    violations = [e for e in episodes if e.level == "violation"]
    mv = [e for e in violations if e.voltage_level == "mv"]
    midday_export = {e.key for e in mv if e.direction == "export" and _covers_midday(e)}
    run.summary = {
        "episodes": len(episodes), "violations": len(violations),
        "mv_locations": len({e.key.rsplit(":", 1)[0] for e in mv}),
        "lv_locations": len({e.key.rsplit(":", 1)[0] for e in violations if e.voltage_level == "lv"}),
        "export_locations": len({k.rsplit(":", 1)[0] for k in midday_export}),
        "uncoverable": sum(1 for e in mv if not e.coverable),
        "alarms_active": alarms, "partition_seconds": [p.seconds for p in run.partitions.all()],
    }
    if not superseded:
        curtailment_instruct(run=run, episodes=mv)
    run.finished_at = timezone.now()
    run.save(update_fields=["heatmap", "summary", "finished_at"])
    study_run_succeed(run=study, result={"projection": run.pk, **run.summary})
    event_publish_to_dso(kind="projection.finished", payload=event_payload("projection.finished", run))


def _covers_midday(episode: ConstraintEpisode) -> bool:
    """True when the episode runs over 11:00–15:00 UTC (the solar peak) on some day."""
    t = episode.start
    while t < episode.end:
        if 11 <= t.hour < 15:
            return True
        t += dt.timedelta(minutes=15)
    return False


def curtailment_instruct(*, run: ProjectionRun, episodes: list[ConstraintEpisode]) -> int:
    """Record the curtailment a live projection instructs for its first interval (the one the
    ANM acts on now); a rerun in the same interval replaces it. Returns the number of generators."""
    from .models import CurtailmentInstruction

    if run.start > run.issued_at + dt.timedelta(minutes=run.step_minutes):
        return 0  # a look-ahead run instructs nothing
    first = run.start
    mw: dict[int, float] = {}
    for episode in episodes:
        if episode.start > first:
            continue
        offset = int((first - episode.start).total_seconds() // (run.step_minutes * 60))
        for row in episode.curtailment:
            values = row.get("mw") or []
            if offset < len(values) and values[offset] > 0:
                mw[row["asset_id"]] = max(mw.get(row["asset_id"], 0.0), float(values[offset]))
    CurtailmentInstruction.objects.filter(network=run.network, interval_start=first).exclude(der_id__in=mw).delete()
    for der_id, value in mw.items():
        CurtailmentInstruction.objects.update_or_create(
            der_id=der_id, interval_start=first,
            defaults={"network": run.network, "mw": value, "interval_minutes": run.step_minutes, "run": run})
    return len(mw)


@transaction.atomic
def alarms_update(*, run: ProjectionRun, episodes: list[ConstraintEpisode]) -> int:
    """One alarm per foreseen violation (element + kind): raised once, refreshed by later runs
    (acknowledgement kept), cleared when a run no longer sees it. Returns the open count."""
    now = timezone.now()
    Network.objects.select_for_update().filter(pk=run.network_id).first()  # one run updates alarms at a time
    open_alarms = {a.key: a for a in Alarm.objects.select_for_update().filter(network=run.network).exclude(state=Alarm.State.CLEARED)}
    seen: dict[str, ConstraintEpisode] = {}
    for episode in episodes:
        if episode.level != "violation" or episode.voltage_level != "mv":
            continue  # the ANM alarms on MV and primary locations; LV ones are a planning list
        current = seen.get(episode.key)
        if current is None or ORDER[episode.severity] < ORDER[current.severity] or \
                (episode.severity == current.severity and episode.start < current.start):
            seen[episode.key] = episode
    for key, episode in seen.items():
        title = location_title(kind=episode.kind, element=episode.element, name=episode.name, direction=episode.direction)
        alarm = open_alarms.get(key)
        fields = {"title": title, "voltage_level": episode.voltage_level, "severity": episode.severity, "breach_at": episode.start, "peak_value": episode.peak_value,
                  "unit": episode.unit, "last_seen_at": now, "last_run": run}
        if alarm is None:
            alarm = Alarm.objects.create(network=run.network, key=key, **fields)
            event_publish_to_dso(kind="alarm.raised", payload=event_payload("alarm.raised", alarm))
        else:
            escalated = alarm.state == Alarm.State.ACKNOWLEDGED and ORDER[episode.severity] < ORDER[alarm.severity]
            for name, value in fields.items():
                setattr(alarm, name, value)
            if escalated:  # worse than what the operator acknowledged: ask again
                alarm.escalate()
            alarm.save()
            if escalated:
                event_publish_to_dso(kind="alarm.escalated", payload=event_payload("alarm.escalated", alarm))
        ConstraintEpisode.objects.filter(run=run, element=episode.element, pp_index=episode.pp_index,
                                         kind=episode.kind, level="violation").update(alarm=alarm)
    for key, alarm in open_alarms.items():
        if key not in seen:
            alarm.clear(now=now)
            alarm.save(update_fields=["state", "cleared_at"])
            event_publish_to_dso(kind="alarm.cleared", payload=event_payload("alarm.cleared", alarm))
    return len(seen)


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, user) -> Alarm:
    """An operator takes note of an alarm (DSO staff; audited by the transition). Acknowledging
    it twice is a no-op; a cleared alarm has nothing to acknowledge."""
    locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
    if locked.state == Alarm.State.CLEARED:
        raise ProjectionInputError("This alarm has cleared; there is nothing to acknowledge.")
    if locked.state == Alarm.State.ACKNOWLEDGED:
        return locked
    if not has_transition_perm(locked.acknowledge, user):
        raise PermissionDenied("Only DSO operators, engineers and admins may acknowledge alarms.")
    locked.acknowledge(by=user, now=timezone.now())
    locked.save(update_fields=["state", "acknowledged_by", "acknowledged_at"])
    event_publish_to_dso(kind="alarm.acknowledged", payload=event_payload("alarm.acknowledged", locked))
    return locked
