"""Studies complete exactly once (issue 9): the outbox when the broker is down, the atomic claim
against redelivered messages, the heartbeat, the reaper, and plain failure messages."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.live.models import Event
from apps.studies import tasks
from apps.studies.models import StudyRun
from apps.studies.services import (
    INTERNAL_ERROR, studies_reap, study_heartbeat, study_run_claim, study_run_create,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


def finished_events(run) -> int:
    return Event.objects.filter(kind="study.finished", payload__id=run.pk).count()


@pytest.fixture
def broker_down(monkeypatch):
    sent = []

    def refuse(run_id):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_study, "delay", refuse)
    return sent


@pytest.fixture
def broker_records(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.run_study, "delay", lambda run_id: sent.append(run_id))
    return sent


def test_a_study_committed_while_the_broker_is_down_stays_queued_then_the_sweep_sends_it(
        mv_network, operator, broker_down, monkeypatch, settings):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    run.refresh_from_db()
    assert run.state == "queued" and run.dispatched_at is None  # no exception reached the caller
    # Within the grace period the sweep leaves it alone (its own on_commit may still be sending).
    assert studies_reap()["dispatched"] == 0
    sent = []
    monkeypatch.setattr(tasks.run_study, "delay", lambda run_id: sent.append(run_id))  # broker back
    later = timezone.now() + dt.timedelta(seconds=settings.STUDY_DISPATCH_GRACE_SECONDS + 1)
    assert studies_reap(now=later) == {"requeued": 0, "failed": 0, "dispatched": 1}
    run.refresh_from_db()
    assert sent == [run.pk] and run.dispatched_at is not None
    assert studies_reap(now=later)["dispatched"] == 0  # sent once


def test_a_queued_study_whose_message_was_lost_is_sent_again(mv_network, operator, broker_records, settings):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    assert broker_records == [run.pk]
    much_later = timezone.now() + dt.timedelta(seconds=settings.STUDY_REDISPATCH_SECONDS + 1)
    assert studies_reap(now=much_later)["dispatched"] == 1 and broker_records == [run.pk, run.pk]


def test_a_redelivered_message_does_not_run_the_study_twice(mv_network, operator, broker_records):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    assert tasks.run_study(run.pk) == "succeeded"
    assert tasks.run_study(run.pk) == "skipped"
    run.refresh_from_db()
    assert run.attempts == 1 and run.result is not None and finished_events(run) == 1


def test_only_one_attempt_can_claim_a_queued_study(mv_network, operator, broker_records):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    first = study_run_claim(run_id=run.pk, worker="a:1")
    assert first is not None and first.state == "running" and len(first.claim) == 32
    assert study_run_claim(run_id=run.pk, worker="b:2") is None


def test_a_late_attempt_cannot_finish_a_study_another_attempt_holds(mv_network, operator, broker_records):
    from apps.studies.services import study_run_succeed

    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    stale = study_run_claim(run_id=run.pk, worker="a:1")
    StudyRun.objects.filter(pk=run.pk).update(claim="another-attempt")
    study_run_succeed(run=stale, result={"x": 1}, claim=stale.claim)
    run.refresh_from_db()
    assert run.state == "running" and run.result is None and finished_events(run) == 0


def test_the_reaper_requeues_a_study_whose_worker_is_gone_then_fails_it_after_max_attempts(
        mv_network, operator, broker_records, settings):
    settings.STUDY_MAX_ATTEMPTS = 2
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    study_run_claim(run_id=run.pk, worker="host:111")
    assert studies_reap()["requeued"] == 0  # its heartbeat is fresh
    later = timezone.now() + dt.timedelta(seconds=settings.STUDY_STALE_SECONDS + 1)
    assert studies_reap(now=later) == {"requeued": 1, "failed": 0, "dispatched": 0}
    run.refresh_from_db()
    assert run.state == "queued" and run.claim == "" and broker_records == [run.pk, run.pk]
    assert run.stage == "Queued again after its worker stopped (attempt 2 of 2)"
    study_run_claim(run_id=run.pk, worker="host:222")  # the second attempt is lost too
    assert studies_reap(now=later + dt.timedelta(seconds=settings.STUDY_STALE_SECONDS + 1))["failed"] == 1
    run.refresh_from_db()
    assert run.state == "failed" and run.attempts == 2 and finished_events(run) == 1
    assert run.error == ("The worker running this study stopped responding 2 times, so it was stopped. "
                         "Please run it again; if it stops again, tell support.")


def test_the_heartbeat_keeps_a_long_study_from_being_reaped(mv_network, operator, broker_records, settings):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    claimed = study_run_claim(run_id=run.pk, worker="host:1")
    StudyRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    with study_heartbeat(run_id=run.pk, claim=claimed.claim, every=0.05):
        import time

        deadline = time.monotonic() + 10
        while StudyRun.objects.get(pk=run.pk).heartbeat_at < timezone.now() - dt.timedelta(minutes=1):
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.05)
    assert studies_reap()["requeued"] == 0


def test_an_unexpected_failure_shows_a_plain_message_and_logs_the_traceback(
        mv_network, operator, broker_records, monkeypatch, caplog):
    import dataclasses

    from apps.studies import registry

    def explode(run, report):
        open("/srv/secret/path/settings.py")  # noqa: SIM115 - an error that names a server path

    monkeypatch.setitem(registry._kinds, "snapshot", dataclasses.replace(registry.study_kind("snapshot"), run=explode))
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    assert tasks.run_study(run.pk) == "failed"
    run.refresh_from_db()
    assert run.error == INTERNAL_ERROR.format(id=run.pk)
    assert "/srv" not in run.error and "Traceback" not in run.error
    assert "Traceback" in caplog.text and "/srv/secret/path/settings.py" in caplog.text
    event = Event.objects.get(kind="study.finished", payload__id=run.pk)
    assert "/srv" not in event.payload["error"]


def test_a_projection_requeued_while_its_partitions_were_queued_finishes_once(
        mv_network, operator, broker_records, monkeypatch, settings):
    from apps.anm import tasks as anm_tasks
    from apps.anm.models import ProjectionRun
    from apps.anm.services import projection_request

    partitions = []
    monkeypatch.setattr(anm_tasks.project_partition_task, "delay", lambda *args: partitions.append(args))
    study = projection_request(network=mv_network, requested_by=operator, steps=8, live=True,
                               start=dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC))
    assert tasks.run_study(study.pk) == "running"  # fanned out: its partitions are queued
    assert partitions
    # The worker is lost while they wait: the reaper queues the study again.
    later = timezone.now() + dt.timedelta(seconds=settings.STUDY_STALE_SECONDS + 1)
    assert studies_reap(now=later)["requeued"] == 1
    for args in partitions:  # the queued partitions run all the same, and finish the study
        anm_tasks.project_partition_task(*args)
    study.refresh_from_db()
    assert study.state == "succeeded" and study.result["projection"] == ProjectionRun.objects.get(study=study).pk
    assert tasks.run_study(study.pk) == "skipped"  # the requeued message finds it done
    assert finished_events(study) == 1
    assert Event.objects.filter(kind="projection.finished").count() == 1
