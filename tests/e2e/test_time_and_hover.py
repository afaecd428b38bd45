"""In a real browser: hovering a line of the network figure names it (with its feeder and rating,
and in the power flow its loading against the limit); the worst elements beside the figure zoom to
theirs; and a time reads the same, 24-hour in the operator's zone, on the ANM and forecasts pages
(the browser's clock.js and the server's filter write the same words). Screenshots in test-artifacts/."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from django.conf import settings

from apps.grid.models import Feeder, Line
from tests.e2e.browsing import login, signed_in_page
from tests.servers import ARTIFACTS, daphne_server


pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _pixel(page, x: float, y: float) -> tuple[float, float]:
    """Where a data point of #network-figure is on the screen (Plotly's own axis mapping)."""
    box = page.locator("#network-figure .main-svg").first.bounding_box()
    # page.evaluate runs over the DevTools protocol, not as page script: the CSP does not apply.
    px, py = page.evaluate("""([x, y]) => {
        const gd = document.getElementById("network-figure"), L = gd._fullLayout;
        return [L._size.l + L.xaxis.l2p(x), L._size.t + L.yaxis.l2p(y)];
    }""", [x, y])
    return box["x"] + px, box["y"] + py


def _hover(page, x: float, y: float) -> str:
    px, py = _pixel(page, x, y)
    page.mouse.move(px - 4, py - 4)
    page.mouse.move(px, py)
    page.wait_for_selector("#network-figure .hoverlayer .hovertext", timeout=10_000)
    return page.locator("#network-figure .hoverlayer .hovertext").first.text_content()  # SVG: no innerText


def test_hovering_a_line_names_it(mv_network, operator, eager_tasks, browser):
    from apps.studies.services import study_run_create

    study_run_create(kind="snapshot", network=mv_network, requested_by=operator)
    feeder = Feeder.objects.get(network=mv_network, name="MV1.101 busbar1.1 F1")
    with daphne_server() as base:
        page, errors = signed_in_page(browser, base, "op", width=1500, height=1300)
        page.wait_for_selector("#network-figure .main-svg", timeout=30_000)
        page.select_option("#feeder-select", str(feeder.pk))  # reloads zoomed to the feeder
        page.wait_for_url(f"**/?feeder={feeder.pk}", timeout=30_000)
        page.wait_for_selector("#network-figure .main-svg", timeout=30_000)
        # the figure as drawn (fetched from its cached endpoint, not inlined in the page)
        lines = page.evaluate("""() => document.getElementById("network-figure").data
                                 .find((t) => t.name === "Lines")""")
        # the feeder's longest line: its middle is clear of the buses and DER at its ends
        longest = max(Line.objects.filter(feeder=feeder).select_related("from_bus", "to_bus"),
                      key=lambda line: math.dist((line.from_bus.x, line.from_bus.y), (line.to_bus.x, line.to_bus.y)))
        target = next(i for i, text in enumerate(lines["text"]) if text.startswith(f"Line '{longest.name}'"))
        text = _hover(page, lines["x"][target], lines["y"][target])
        page.screenshot(path=str(ARTIFACTS / "operator-hover-line.png"))
        assert f"Line '{longest.name}'" in text and "feeder MV1.101 busbar1.1 F1" in text and "MVA" in text

        # The power flow: the worst element listed beside the figure zooms to it and names itself.
        first = page.locator(".worst-item[data-x]").first
        named = first.inner_text().split(" · ")[0]
        first.click()
        page.wait_for_selector(".tab.active[data-view=snapshot]")
        page.wait_for_selector("#network-figure .shapelayer path", timeout=10_000)  # the ring
        hovered = _hover(page, float(first.get_attribute("data-x")), float(first.get_attribute("data-y")))
        page.screenshot(path=str(ARTIFACTS / "operator-worst-element.png"))
        assert named in hovered and "% of limit" not in hovered and ("pu" in hovered or "% of" in hovered)
        assert errors == []


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_a_time_reads_the_same_on_the_anm_and_forecasts_pages(browser, mv_network, operator, zone):
    from apps.anm.services import projection_request
    from apps.forecasting.services import forecast_run_issue
    from dso_portal.celery import app

    moment = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)  # forecast issue = projection start
    forecast_run_issue(network=mv_network, issued_at=moment, steps=96)
    app.conf.task_always_eager = True
    try:
        projection_request(network=mv_network, requested_by=operator, start=moment, steps=8, seed=7, live=True)
    finally:
        app.conf.task_always_eager = not settings.REDIS_URL
    expected = {"Europe/London": "15 Jun 11:00", "America/New_York": "15 Jun 06:00"}[zone]
    with daphne_server() as base:
        page = browser.new_page(viewport={"width": 1400, "height": 900}, timezone_id="Asia/Tokyo")  # not the user's
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        login(page, base, "op")
        if zone != "Europe/London":  # the default; another zone is chosen on the settings page
            page.click("#settings-link")
            page.select_option("#id_time_zone", zone)
            page.screenshot(path=str(ARTIFACTS / "settings-time-zone.png"))
            page.click("#settings-form button[type=submit]")
            page.wait_for_selector(f"#settings-link >> text={zone}")
        page.goto(f"{base}/anm/networks/{mv_network.pk}/")
        page.wait_for_selector("#heatmap .main-svg", timeout=30_000)
        assert errors == []
        page.wait_for_selector("#timeline .main-svg", timeout=30_000)
        anm = page.locator("#projection-kpis time").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"time-anm-{zone.replace('/', '-')}.png"))
        page.goto(f"{base}/forecasting/")
        page.wait_for_selector(".main-svg", timeout=30_000)
        forecasts = page.locator("h2 time").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"time-forecasts-{zone.replace('/', '-')}.png"))
        # the browser (Tokyo) rewrote both with the user's zone, to the server's words
        assert anm == forecasts == expected
        assert errors == []
