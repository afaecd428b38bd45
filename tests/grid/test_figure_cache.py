"""Figure JSON built once per network revision or per study result, served lazily and gzipped."""
from __future__ import annotations

import gzip
import json

import pytest

from apps.grid import figures, study_kinds
from apps.grid.services import network_revision_bump
from apps.studies.services import study_run_create


@pytest.fixture
def builds(monkeypatch):
    """Counts the calls of the network figure builder."""
    calls: list[bool] = []
    real = figures.network_figure

    def counting(network, snapshot=None):
        calls.append(snapshot is not None)
        return real(network, snapshot)

    monkeypatch.setattr(figures, "network_figure", counting)
    monkeypatch.setattr(study_kinds, "network_figure", counting)
    return calls


def test_topology_figure_is_built_once_per_revision(mv_network, operator, client_for, builds):
    api = client_for(operator)
    first = api.get(f"/api/v1/networks/{mv_network.pk}/figure/")
    second = api.get(f"/api/v1/networks/{mv_network.pk}/figure/")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and builds == [False]
    assert json.loads(first.content)["data"]  # the traces, whatever their type

    network_revision_bump(network=mv_network)
    api.get(f"/api/v1/networks/{mv_network.pk}/figure/")
    assert builds == [False, False]  # a new revision draws again


def test_figure_is_gzipped_for_a_client_that_accepts_it(mv_network, operator, client_for):
    api = client_for(operator)
    plain = api.get(f"/api/v1/networks/{mv_network.pk}/figure/")
    zipped = api.get(f"/api/v1/networks/{mv_network.pk}/figure/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in plain and zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) * 3 < len(plain.content)  # coordinates compress well


def test_browser_may_keep_the_figure_only_when_the_url_names_the_revision(mv_network, operator, client_for):
    api = client_for(operator)
    mv_network.refresh_from_db()
    named = api.get(f"/api/v1/networks/{mv_network.pk}/figure/?revision={mv_network.revision}")
    stale = api.get(f"/api/v1/networks/{mv_network.pk}/figure/?revision={mv_network.revision - 1}")
    bare = api.get(f"/api/v1/networks/{mv_network.pk}/figure/")
    assert named["Cache-Control"] == "private, max-age=86400"
    assert stale["Cache-Control"] == bare["Cache-Control"] == "private, no-cache"


def _snapshot(network, user, capture):
    with capture(execute=True):  # the task is sent on commit; eager here
        return study_run_create(kind="snapshot", network=network, requested_by=user)


@pytest.mark.usefixtures("eager_tasks")
def test_snapshot_figure_is_built_once_per_run(mv_network, operator, client_for, builds,
                                               django_capture_on_commit_callbacks):
    run = _snapshot(mv_network, operator, django_capture_on_commit_callbacks)
    api = client_for(operator)
    bodies = [api.get(f"/api/v1/studies/{run.pk}/figure/").content for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2] and builds == [True]


def test_aggregator_gets_no_figure(mv_network, aggregator_a, client_for):
    assert client_for(aggregator_a).get(f"/api/v1/networks/{mv_network.pk}/figure/").status_code == 403


@pytest.mark.usefixtures("eager_tasks")
def test_operator_home_is_small(client, operator, mv_network, django_capture_on_commit_callbacks):
    """The home page carries no figure: well under the 300 KB bar (it was 1.2 MB with them inlined)."""
    run = _snapshot(mv_network, operator, django_capture_on_commit_callbacks)
    client.force_login(operator)
    page = client.get(f"/networks/{mv_network.pk}/").content
    assert len(page) < 60_000
    assert f'data-snapshot-url="/api/v1/studies/{run.pk}/figure/"'.encode() in page


def test_projection_figures_are_built_once_per_finished_run(monkeypatch):
    """The ANM page's heatmap and timeline: built once per finished run, rebuilt for a new one."""
    import datetime as dt
    from types import SimpleNamespace

    from apps.anm import selectors

    calls = []
    monkeypatch.setattr(selectors, "heatmap_figure",
                        lambda heatmap, labels=None: calls.append(heatmap["n"]) or {"h": heatmap["n"]})
    monkeypatch.setattr(selectors, "timeline_figure", lambda timeline: {"t": timeline})
    finished = dt.datetime(2026, 8, 12, 10, 0, tzinfo=dt.UTC)
    network = SimpleNamespace(pk=1, revision=4)
    run = SimpleNamespace(pk=7, finished_at=finished, heatmap={"n": 1}, timeline=2, network=network)
    assert selectors.projection_figures(run) == selectors.projection_figures(run) == {"heatmap": {"h": 1}, "timeline": {"t": 2}}
    assert calls == [1]
    selectors.projection_figures(SimpleNamespace(pk=8, finished_at=finished, heatmap={"n": 3}, timeline=4, network=network))
    open_run = SimpleNamespace(pk=9, finished_at=None, heatmap={"n": 5}, timeline=6, network=network)
    selectors.projection_figures(open_run), selectors.projection_figures(open_run)
    assert calls == [1, 3, 5, 5]  # an unfinished run is never cached


def test_forecast_timeline_is_built_once_per_run_and_minute(client, operator, mv_network, monkeypatch):
    import datetime as dt

    from apps.forecasting import views
    from apps.forecasting.services import forecast_run_issue

    forecast_run_issue(network=mv_network, issued_at=dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC), steps=96)
    calls = []
    real = views.forecast_timeline_figure
    monkeypatch.setattr(views, "forecast_timeline_figure", lambda *a, **k: calls.append(k["now"]) or real(*a, **k))
    clock = [dt.datetime(2026, 6, 15, 9, 30, 5, tzinfo=dt.UTC)]
    monkeypatch.setattr(views.timezone, "now", lambda: clock[0])
    client.force_login(operator)
    assert client.get("/forecasting/").status_code == 200
    clock[0] = dt.datetime(2026, 6, 15, 9, 30, 50, tzinfo=dt.UTC)  # same minute: served from the cache
    assert client.get("/forecasting/").status_code == 200 and len(calls) == 1
    clock[0] = dt.datetime(2026, 6, 15, 9, 31, 1, tzinfo=dt.UTC)  # the next minute draws again
    client.get("/forecasting/")
    assert calls == [dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC), dt.datetime(2026, 6, 15, 9, 31, tzinfo=dt.UTC)]
