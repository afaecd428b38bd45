"""Study runs and alarms are state machines (django-fsm-2): named transitions, who may make
each, every one audited."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from apps.anm.models import Alarm
from apps.anm.services import alarm_acknowledge
from apps.audit.models import AuditEvent
from apps.live.models import Event
from apps.studies.models import StudyRun
from apps.studies.services import (
    StudyCancelError, study_run_cancel, study_run_claim, study_run_create, study_run_progress, study_run_succeed,
)

pytestmark = pytest.mark.django_db


def _transitions(model) -> set[tuple[str, str, str]]:
    field = model._meta.get_field("state")
    return {(t.name, t.source, t.target) for t in field.get_all_transitions(model)}


def test_the_study_run_machine():
    assert _transitions(StudyRun) == {
        ("start", "queued", "running"),
        ("succeed", "running", "succeeded"), ("succeed", "queued", "succeeded"),
        ("fail", "running", "failed"), ("fail", "queued", "failed"),
        ("requeue", "running", "queued"),
        ("cancel", "queued", "cancelled"), ("cancel", "running", "cancelled"),
    }


def test_the_alarm_machine():
    assert _transitions(Alarm) == {
        ("acknowledge", "active", "acknowledged"), ("escalate", "acknowledged", "active"),
        ("clear", "active", "cleared"), ("clear", "acknowledged", "cleared"),
    }


def test_a_state_is_never_assigned_by_hand(mv_network):
    run = StudyRun.objects.create(kind="snapshot", network=mv_network)
    with pytest.raises(AttributeError):
        run.state = StudyRun.State.SUCCEEDED
    with pytest.raises(TransitionNotAllowed):
        run.requeue(stage="not running")


def test_each_study_transition_is_audited(mv_network, operator):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    claimed = study_run_claim(run_id=run.pk, worker="w1")
    study_run_succeed(run=claimed, result={"ok": True}, claim=claimed.claim)
    audits = list(AuditEvent.objects.filter(object_id=str(run.pk), object_type="studies.StudyRun")
                  .order_by("id").values_list("action", "before", "after"))
    assert audits == [("study.queued", None, {"kind": "snapshot", "parameters": {}}),
                      ("study.started", {"state": "queued"}, {"state": "running"}),
                      ("study.succeeded", {"state": "running"}, {"state": "succeeded"})]
    assert AuditEvent.objects.filter(action="study.started").get().organisation == operator.organisation


def test_a_second_claim_of_a_claimed_run_takes_nothing(mv_network, operator):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    stale = StudyRun.objects.get(pk=run.pk)  # read while still queued
    assert study_run_claim(run_id=run.pk, worker="w1") is not None
    stale.start(claim="late", worker="w2", now=timezone.now())
    with pytest.raises(ConcurrentTransition), transaction.atomic():  # the conditional UPDATE refuses it
        stale.save()
    assert StudyRun.objects.get(pk=run.pk).worker == "w1" and study_run_claim(run_id=run.pk, worker="w3") is None


def test_cancel_by_the_requester_or_staff_only_and_not_once_finished(mv_network, operator, engineer, aggregator_a):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    with pytest.raises(PermissionDenied):
        study_run_cancel(run=run, user=aggregator_a)
    cancelled = study_run_cancel(run=run, user=engineer)
    assert cancelled.state == "cancelled" and cancelled.finished_at and "Cancelled by" in cancelled.stage
    assert AuditEvent.objects.filter(action="study.cancelled", actor=engineer).exists()
    assert Event.objects.filter(kind="study.finished", payload__state="cancelled").exists()
    assert study_run_claim(run_id=run.pk, worker="w1") is None  # a late message runs nothing
    with pytest.raises(StudyCancelError):
        study_run_cancel(run=run, user=operator)


def test_a_cancelled_running_study_keeps_no_late_progress_or_result(mv_network, operator):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    claimed = study_run_claim(run_id=run.pk, worker="w1")
    study_run_cancel(run=run, user=operator)
    study_run_progress(run=claimed, progress=50, stage="Solving")
    study_run_succeed(run=claimed, result={"late": True}, claim=claimed.claim)
    run.refresh_from_db()
    assert run.state == "cancelled" and run.result is None and run.stage.startswith("Cancelled")


def test_cancel_through_the_api(mv_network, operator, aggregator_a, client_for):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    assert client_for(aggregator_a).post(f"/api/v1/studies/{run.pk}/cancel/").status_code == 404  # foreign
    response = client_for(operator).post(f"/api/v1/studies/{run.pk}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert client_for(operator).post(f"/api/v1/studies/{run.pk}/cancel/").status_code == 409


def test_only_dso_staff_acknowledge_an_alarm_and_it_is_audited(mv_network, operator, aggregator_a):
    alarm = Alarm.objects.create(network=mv_network, key="line:1:thermal", title="Thermal overload on line 1",
                                 severity="high", breach_at=timezone.now(), peak_value=120.0, unit="%",
                                 last_seen_at=timezone.now())
    with pytest.raises(PermissionDenied):
        alarm_acknowledge(alarm=alarm, user=aggregator_a)
    acked = alarm_acknowledge(alarm=alarm, user=operator)
    assert acked.state == "acknowledged" and acked.acknowledged_by == operator
    assert AuditEvent.objects.get(action="alarm.acknowledged").actor == operator


def test_cancel_from_the_admin_goes_through_the_transition(mv_network, operator, admin_user, client):
    queued = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    done = StudyRun.objects.get(pk=study_run_create(kind="snapshot", network=mv_network, requested_by=operator).pk)
    study_run_cancel(run=done, user=operator)
    client.force_login(admin_user)
    response = client.post("/admin/studies/studyrun/", {"action": "cancel", "_selected_action": [queued.pk, done.pk]},
                           follow=True)
    page = response.content.decode()
    assert f"Study #{queued.pk} cancelled." in page and "there is nothing to cancel" in page
    assert AuditEvent.objects.filter(action="study.cancelled", actor=admin_user, object_id=str(queued.pk)).exists()
