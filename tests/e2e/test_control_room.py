"""In a real browser: an operator logs in, sees the network figure, runs a snapshot power flow
and sees it finish live; an aggregator sees only their own premises. Screenshots are kept in
test-artifacts/."""
from __future__ import annotations

import contextlib

import pytest
from django.conf import settings

from apps.grid.models import DERAsset, Premise
from tests.e2e.browsing import login, signed_in_page
from tests.servers import ARTIFACTS, celery_worker, daphne_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_sees_network_and_runs_a_snapshot(browser, mv_network, operator):
    worker = celery_worker() if settings.REDIS_URL else contextlib.nullcontext()
    with daphne_server() as base, worker:
        page, errors = signed_in_page(browser, base, "op")
        page.wait_for_selector("#network-figure .main-svg", timeout=30_000)
        assert page.locator("#network-figure .legendtext", has_text="Wind (6)").count() == 1
        page.wait_for_selector("#live-status.on", timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / "operator-network.png"))

        page.click("#run-snapshot")
        page.wait_for_selector("#runs .badge.succeeded", timeout=120_000)
        # A selector, not wait_for_function: a string predicate is eval, which the page's CSP forbids.
        page.wait_for_selector(".tab[data-view=snapshot]:not([disabled])", timeout=30_000)
        page.click(".tab[data-view=snapshot]")
        page.wait_for_selector("#network-figure .legendtext >> text=Bus voltage", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "operator-snapshot.png"))
        assert errors == []


def test_aggregator_sees_only_own_premises(browser, mv_network, aggregator_a, orgs):
    der = DERAsset.objects.filter(network=mv_network, kind="battery").first()
    Premise.objects.create(network=mv_network, bus=der.bus, owner=orgs["agg_a"], name="Orchard Lane 14")
    other = DERAsset.objects.filter(network=mv_network, kind="battery").last()
    Premise.objects.create(network=mv_network, bus=other.bus, owner=orgs["agg_b"], name="Secret Farm 9")
    with daphne_server() as base:
        page = browser.new_page()
        login(page, base, "agg_a")
        page.wait_for_selector("#premises")
        text = page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "aggregator-portal.png"), full_page=True)
        assert "Orchard Lane 14" in text and "Secret Farm 9" not in text


def test_operator_sees_projection_heatmap_and_acknowledges_an_alarm(browser, mv_network, operator, engineer):
    import datetime as dt

    from apps.anm.models import Alarm
    from apps.anm.services import alarm_acknowledge, projection_request
    from apps.live.events import event_payload
    from apps.live.services import event_publish_to_dso
    from dso_portal.celery import app

    app.conf.task_always_eager = True
    try:
        projection_request(network=mv_network, requested_by=operator,
                           start=dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), seed=7, live=True)
    finally:
        app.conf.task_always_eager = not settings.REDIS_URL
    alarm = Alarm.objects.filter(network=mv_network, state="active").order_by("breach_at", "id").first()
    assert alarm is not None
    # The MV test network has no LV side: give its run one LV constraint (a secondary transformer)
    # so the page's separate planning list has something to show.
    from apps.anm.models import ConstraintEpisode
    from apps.anm.selectors import latest_projection

    run = latest_projection(mv_network)
    # one card per constraint location, however many windows it is foreseen in
    mv_count = len({(e.kind, e.element, e.name, e.direction) for e in run.episodes.filter(level="violation")})
    template = run.episodes.filter(level="violation").first()
    ConstraintEpisode.objects.create(
        run=run, element="trafo", pp_index=999, name="Elm Close secondary", kind="thermal", level="violation",
        direction="export", voltage_level="lv", case="export", cases=["export"], start=template.start, end=template.end,
        peak_at=template.peak_at, peak_value=131.0, limit=110.0, unit="%", worst={"element": "trafo", "pp_index": 999,
        "name": "Elm Close secondary"}, members=[{"element": "trafo", "pp_index": 999, "name": "Elm Close secondary"}],
        relief_mw=[0.05], headroom_mw=[0.02], coverable=False, severity="medium")
    with daphne_server() as base:
        page, errors = signed_in_page(browser, base, "op", width=1500, height=1000)
        page.goto(f"{base}/anm/networks/{mv_network.pk}/")
        page.wait_for_selector("#heatmap .main-svg", timeout=30_000)
        page.wait_for_selector("#timeline .main-svg")
        # MV and primary constraints as cards; the LV one only on the planning list, apart
        assert page.locator("#mv-constraints .episode").count() == mv_count >= 1
        assert page.inner_text("#count-mv") == str(mv_count)  # the tile counts the cards listed
        assert "Elm Close" not in page.locator("#mv-constraints").inner_text()
        assert page.locator("#lv-episodes tbody tr").count() == 1
        assert "Elm Close secondary" in page.locator("#lv-constraints").inner_text()
        page.wait_for_selector("#live-status.on", timeout=15_000)
        page.click(f'button[data-ack="{alarm.pk}"]')
        page.wait_for_selector(f'tr[data-alarm="{alarm.pk}"] .acked', timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / "operator-anm-projections.png"), full_page=True)

        # Live: a colleague acknowledges another alarm and a new one is raised elsewhere; the page
        # swaps the row and the alarm list in place, without a reload.
        loads = []
        page.on("load", lambda _: loads.append(1))
        other = Alarm.objects.filter(network=mv_network, state="active").exclude(pk=alarm.pk).order_by("id").first()
        alarm_acknowledge(alarm=other, user=engineer)
        raised = Alarm.objects.create(
            network=mv_network, key="trafo:999:thermal", title="Thermal overload on transformer Elm Close",
            severity="critical", breach_at=template.start, peak_value=131.0, unit="%", last_seen_at=template.start)
        event_publish_to_dso(kind="alarm.raised", payload=event_payload("alarm.raised", raised))
        page.dispatch_event("body", "visibilitychange")  # live.js pings at once: the server replays what it lacks
        page.wait_for_selector(f'tr[data-alarm="{other.pk}"] .acked', timeout=45_000)
        page.wait_for_selector(f'tr[data-alarm="{raised.pk}"]', timeout=45_000)
        assert "eng" in page.locator(f'tr[data-alarm="{other.pk}"]').inner_text()
        assert "131 %" in page.locator(f'tr[data-alarm="{raised.pk}"]').inner_text()
        # the new critical alarm heads the list (the server's severity order), the count follows
        assert page.locator("#alarm-rows tr").first.get_attribute("data-alarm") == str(raised.pk)
        assert page.locator("#open-alarms").inner_text() == str(
            Alarm.objects.filter(network=mv_network).exclude(state="cleared").count())
        page.locator(f'tr[data-alarm="{raised.pk}"]').scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "operator-anm-live-swap.png"), full_page=True)

        # A calm live run finishes: header, figures, cards and alarms follow, still without a reload.
        app.conf.task_always_eager = True
        try:
            calm = projection_request(network=mv_network, requested_by=operator, steps=8, seed=7, live=True,
                                      start=dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
        finally:
            app.conf.task_always_eager = not settings.REDIS_URL
        page.dispatch_event("body", "visibilitychange")
        page.wait_for_selector(f'#projection-age[data-run="{calm.projection.pk}"]', timeout=45_000)
        page.wait_for_selector("#alarm-rows tr.none", timeout=45_000)
        page.wait_for_selector("#episodes p.muted", timeout=45_000)  # no MV constraints foreseen
        page.wait_for_selector("#timeline .main-svg")
        assert page.locator("#open-alarms").inner_text() == "0"
        page.screenshot(path=str(ARTIFACTS / "operator-anm-live-calm.png"), full_page=True)
        assert loads == [] and errors == []
    alarm.refresh_from_db()  # acknowledged from the page, then cleared by the calm run
    assert alarm.acknowledged_by == operator and alarm.state == "cleared"


def test_engineer_issues_a_forecast_and_sees_bands_and_accuracy(browser, mv_network, engineer):
    with daphne_server() as base:
        page, errors = signed_in_page(browser, base, "eng", width=1500, height=1000)
        page.goto(f"{base}/forecasting/")
        page.click("#backfill")  # issue past forecasts and score them
        page.wait_for_selector("#forecast-figure .main-svg", timeout=60_000)
        assert page.locator("#accuracy tbody tr").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "engineer-forecasts.png"), full_page=True)
        assert errors == []


def test_network_picker_navigates_under_the_csp(browser, mv_network, operator):
    """The picker's script is a static file now (no inline onchange); choosing a network moves on."""
    from apps.grid.models import Network

    other = Network.objects.create(name="Second network")
    with daphne_server() as base:
        page = browser.new_page()
        login(page, base, "op")
        response = page.goto(f"{base}/anm/networks/{mv_network.pk}/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.select_option("select[data-navigate]", label="Second network")
        page.wait_for_url(f"**/anm/networks/{other.pk}/", timeout=15_000)
