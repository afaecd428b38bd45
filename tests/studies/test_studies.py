"""Study runs: lifecycle, progress events, failures recorded, API. (Tasks run in-process here;
tests/integration runs them through a real Celery worker.)"""
from __future__ import annotations

import pytest

from apps.grid.models import DERAsset
from apps.live.models import Event
from apps.live.streams import org_stream
from apps.studies.models import StudyRun
from apps.studies.services import study_run_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]  # sent on commit


def test_snapshot_study_succeeds_with_results_and_progress_events(mv_network, operator, mv_net):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert run.progress == 100 and run.started_at <= run.finished_at
    assert len(run.result["bus_vm_pu"]) == len(mv_net.bus)
    summary = run.result["summary"]
    assert 0.9 < summary["min_vm_pu"] <= summary["max_vm_pu"] < 1.2
    kinds = list(Event.objects.filter(stream__name=org_stream(operator.organisation_id)).values_list("kind", flat=True))
    assert kinds[0] == "study.queued" and kinds[-1] == "study.finished"
    assert kinds.count("study.progress") >= 3
    progress = [e.payload["progress"] for e in Event.objects.filter(kind="study.progress").order_by("seq")]
    assert progress == sorted(progress)


def test_snapshot_matches_pandapower(mv_network, operator, mv_net):
    import copy

    import pandapower as pp

    reference = copy.deepcopy(mv_net)
    pp.runpp(reference)
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    run.refresh_from_db()
    worst = max(abs(run.result["bus_vm_pu"][str(i)] - v) for i, v in reference.res_bus.vm_pu.items())
    assert worst < 1e-4


def test_a_failing_study_is_recorded_as_failed(mv_network, operator):
    # Unsupplied load on every bus: no feasible operating point.
    DERAsset.objects.filter(network=mv_network).update(p_mw=0)
    from apps.grid.models import Load

    Load.objects.filter(network=mv_network).update(p_mw=500.0)
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    run.refresh_from_db()
    assert run.state == "failed"
    assert "converge" in run.error


def test_api_creates_and_scopes_studies(mv_network, operator, aggregator_a, client_for):
    response = client_for(operator).post("/api/v1/studies/", {"kind": "snapshot", "network": mv_network.pk}, format="json")
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    detail = client_for(operator).get(f"/api/v1/studies/{run_id}/").json()
    assert detail["state"] == "succeeded"
    assert client_for(aggregator_a).get(f"/api/v1/studies/{run_id}/").status_code == 404
    refused = client_for(aggregator_a).post("/api/v1/studies/", {"kind": "snapshot", "network": mv_network.pk}, format="json")
    assert refused.status_code == 403


def test_unknown_study_kind_is_a_clear_400(mv_network, operator, client_for):
    response = client_for(operator).post("/api/v1/studies/", {"kind": "quantum", "network": mv_network.pk}, format="json")
    assert response.status_code == 400 and "kind" in response.json()


def test_network_page_button_queues_a_study(client, operator, mv_network):
    client.force_login(operator)
    response = client.post(f"/networks/{mv_network.pk}/snapshot/", follow=True)
    run = StudyRun.objects.get()
    assert run.state == "succeeded"
    # It ran in-process, so the page is drawn after it finished: the message says so, not "queued".
    assert f"Snapshot power flow #{run.pk} finished." in response.content.decode()
    assert "queued" not in response.content.decode()
    assert 'id="snapshot-facts"' in response.content.decode()


def test_projection_through_the_studies_api_gets_its_inputs(mv_network, operator, client_for):
    response = client_for(operator).post("/api/v1/studies/", {"kind": "projection", "network": mv_network.pk}, format="json")
    assert response.status_code == 201, response.content
    run = StudyRun.objects.get(pk=response.json()["id"])
    assert run.state == "succeeded", run.error
    assert {"start", "seed", "limits", "curtailment_rule"} <= set(run.parameters)
