"""In a real browser, pages that explain themselves: the network page's snapshot panel follows a
finished snapshot live, the ANM tiles equal what the page lists, each role's navigation holds only
what it can use, and an aggregator on an operator page gets the styled 403. Screenshots in
test-artifacts/."""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.conf import settings

from apps.grid.study_kinds import SNAPSHOT
from apps.studies.models import StudyRun
from tests.e2e.browsing import login, signed_in_page
from tests.servers import ARTIFACTS, celery_worker, daphne_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run_eagerly(fn, **kwargs):
    """A colleague's action in another process: tasks run here, events reach the page over the
    live stream (replayed from the database when the page pings)."""
    from dso_portal.celery import app

    app.conf.task_always_eager = True
    try:
        return fn(**kwargs)
    finally:
        app.conf.task_always_eager = not settings.REDIS_URL


def test_snapshot_panel_updates_live_after_run_snapshot(browser, mv_network, operator):
    from apps.studies.services import study_run_create

    worker = celery_worker() if settings.REDIS_URL else contextlib.nullcontext()
    with daphne_server() as base, worker:
        page, errors = signed_in_page(browser, base, "op")
        page.wait_for_selector("#network-figure .main-svg", timeout=30_000)
        assert page.inner_text("#snapshot-panel").strip() == "No snapshot yet."
        page.wait_for_selector("#live-status.on", timeout=15_000)

        # Run snapshot: the message ends up saying it finished (live when a worker runs it, at
        # once when it ran in-process), and the panel shows that snapshot, not "No snapshot yet".
        page.click("#run-snapshot")
        first = StudyRun.objects.get(kind=SNAPSHOT)
        page.wait_for_selector(f".messages li.run-{first.pk}:has-text('finished')", timeout=120_000)
        page.wait_for_selector(f'#snapshot-panel[data-run="{first.pk}"] #snapshot-facts', timeout=30_000)
        assert "queued" not in page.inner_text(".messages")
        assert f"Snapshot #{first.pk}" in page.inner_text("#snapshot-panel")
        page.screenshot(path=str(ARTIFACTS / "clarity-snapshot-after-run.png"))

        # A colleague runs the next one: the panel, the study list and the figure follow without a
        # reload (the panel must not keep showing the previous snapshot).
        loads = []
        page.on("load", lambda _: loads.append(1))
        page.wait_for_selector("#live-status.on", timeout=15_000)
        second = run_eagerly(study_run_create, kind=SNAPSHOT, network=mv_network, requested_by=operator)
        page.dispatch_event("body", "visibilitychange")  # live.js pings: the server replays what it lacks
        page.wait_for_selector(f'#snapshot-panel[data-run="{second.pk}"] #snapshot-facts', timeout=45_000)
        page.wait_for_selector(f'#run-rows tr[data-run="{second.pk}"] .badge.succeeded', timeout=45_000)
        page.wait_for_selector("#network-figure .legendtext >> text=Bus voltage", timeout=30_000)
        assert f"Snapshot #{second.pk}" in page.inner_text("#snapshot-panel")
        assert page.locator("#run-rows tr[data-run]").count() == 2
        page.screenshot(path=str(ARTIFACTS / "clarity-snapshot-live.png"))
        assert loads == [] and errors == []


def test_anm_tiles_equal_what_the_page_lists(browser, mv_network, operator):
    from apps.anm.selectors import latest_projection
    from apps.anm.services import projection_request

    run_eagerly(projection_request, network=mv_network, requested_by=operator,
                start=dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), seed=7, live=True)
    run = latest_projection(mv_network)
    with daphne_server() as base:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        login(page, base, "op")
        page.goto(f"{base}/anm/networks/{mv_network.pk}/")
        page.wait_for_selector("#heatmap .main-svg", timeout=30_000)
        cards = page.locator("#episodes .episode").count()
        alarms = page.locator("#alarm-rows tr[data-alarm]").count()
        lv = page.locator("#lv-rows tr[data-lv-episode]").count()
        short = page.locator("#episodes .episode .badge.red", has_text="short").count()
        assert cards >= 1 and alarms >= 1
        assert [page.inner_text(f"#{tile}") for tile in ("count-mv", "open-alarms", "count-lv", "count-short")] == [
            str(cards), str(alarms), str(lv), str(short)]
        # The heatmap ranks by severity: every high or critical MV constraint's element has its row.
        labels = page.locator("#heatmap .ytick text").all_text_contents()
        severe = {e.worst["name"] for e in run.episodes.filter(level="violation", voltage_level="mv",
                                                               severity__in=["high", "critical"])}
        assert severe  # the sunny day has high constraints (the reverse power at the primary among them)
        for name in severe:
            assert any(name in label and ("· high" in label or "· critical" in label) for label in labels), name
        # One id per run: the study's, as in the studies list.
        assert f"Projection #{run.study_id} computed" in page.inner_text("#projection-age")
        page.screenshot(path=str(ARTIFACTS / "clarity-anm-tiles.png"), full_page=True)


NAVIGATION = {
    "op": ["Network", "Forecasts", "Overnight review", "ANM projections", "Flexibility bids", "API"],
    "eng": ["Network", "Forecasts", "Overnight review", "ANM projections", "Flexibility bids", "API"],
    "adm": ["Network", "Forecasts", "Overnight review", "ANM projections", "Flexibility bids", "Back office", "API"],
    "agg_a": ["My premises & DER", "API"],
    "tso": ["Your API access", "API"],
}


def test_each_roles_navigation_and_landing_page(browser, mv_network, operator, engineer, admin_user, aggregator_a,
                                                tso_client):
    with daphne_server() as base:
        for username, items in NAVIGATION.items():
            page = browser.new_page(viewport={"width": 1400, "height": 700})
            login(page, base, username)
            assert [t.strip() for t in page.locator(".mainnav > *").all_inner_texts()] == items, username
            assert page.locator(".mainnav [title]").count() == 0  # no tooltips on the navigation
            footer = page.locator("footer.foot").count()
            assert footer == (1 if username in ("op", "eng", "adm") else 0), username
            if username == "tso":
                assert page.locator("#tso-endpoints tbody tr").count() == 4
            page.screenshot(path=str(ARTIFACTS / f"clarity-nav-{username}.png"))
            page.close()


def test_aggregator_opening_anm_gets_the_styled_403(browser, mv_network, aggregator_a):
    with daphne_server() as base:
        page = browser.new_page(viewport={"width": 1200, "height": 600})
        login(page, base, "agg_a")
        response = page.goto(f"{base}/anm/")
        assert response.status == 403
        page.wait_for_selector('#error-page[data-status="403"]')
        assert page.inner_text("#error-page h1") == "You cannot open this page"
        assert "This page is for DSO staff." in page.inner_text("#error-page")
        # In the layout: the stylesheet applied (the top bar is coloured, not a bare page).
        assert page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
        assert [t.strip() for t in page.locator(".mainnav > *").all_inner_texts()] == NAVIGATION["agg_a"]
        page.screenshot(path=str(ARTIFACTS / "clarity-403-aggregator-anm.png"))
