"""The study-kind registry: the apps that own a kind register it; the studies app reads it."""
from __future__ import annotations

import pytest

from apps.studies.models import StudyRun
from apps.studies.registry import StudyKind, StudyKindError, study_kind, study_kind_choices, study_kind_register
from apps.studies.services import study_run_create


def test_the_owning_apps_registered_their_kinds():
    assert study_kind_choices() == [("snapshot", "Snapshot power flow"), ("projection", "ANM constraint projection")]
    assert study_kind("snapshot").run.__module__ == "apps.grid.study_kinds"
    assert study_kind("projection").run.__module__ == "apps.anm.study_kinds"
    assert [value for value, _ in StudyRun._meta.get_field("kind").choices] == ["snapshot", "projection"]


def test_a_kind_name_cannot_be_taken_twice():
    with pytest.raises(StudyKindError):
        study_kind_register(StudyKind(name="snapshot", label="Another", run=lambda run, report: {}))
    with pytest.raises(StudyKindError):
        study_kind("quantum")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_tasks")
def test_a_snapshot_study_draws_its_figure_and_others_have_none(mv_network, operator, aggregator_a, client_for):
    run = study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    figure = client_for(operator).get(f"/api/v1/studies/{run.pk}/figure/")
    assert figure.status_code == 200 and figure.json()["data"]
    assert client_for(aggregator_a).get(f"/api/v1/studies/{run.pk}/figure/").status_code == 404  # foreign
    queued = StudyRun.objects.create(kind="snapshot", network=mv_network, organisation=operator.organisation)
    assert client_for(operator).get(f"/api/v1/studies/{queued.pk}/figure/").status_code == 404  # not finished
