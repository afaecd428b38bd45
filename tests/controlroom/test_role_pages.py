"""Each role's navigation and landing page, the styled error pages, and the network page's live
partials (the snapshot panel and the study list) served alone for an in-place swap."""
from __future__ import annotations

import re

import pytest

from apps.grid.study_kinds import SNAPSHOT
from apps.studies.models import StudyRun
from apps.studies.services import study_run_create

pytestmark = pytest.mark.django_db

DEVELOPER_WORDING = ("Redis", "Celery", "channel layer", "production shape", "Arrives with", " issue", "Traceback",
                     "pk=", "Invalid pk")


def nav(html: str) -> list[str]:
    """The main navigation's items as a user reads them (links and greyed items)."""
    block = re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item).replace("&amp;", "&").strip()
            for item in re.findall(r"<(?:a|span)[^>]*>.*?</(?:a|span)>", block, re.S)]


@pytest.mark.parametrize("who, items", [
    ("operator", ["Network", "Forecasts", "Overnight review", "ANM projections", "Flexibility bids", "API"]),
    ("engineer", ["Network", "Forecasts", "Overnight review", "ANM projections", "Flexibility bids", "API"]),
    ("admin_user", ["Network", "Forecasts", "Overnight review", "ANM projections", "Flexibility bids", "Back office",
                    "API"]),
    ("aggregator_a", ["My premises & DER", "API"]),
    ("tso_client", ["Your API access", "API"]),
])
def test_each_role_sees_only_what_it_can_use(client, mv_network, request, who, items):
    user = request.getfixturevalue(who)
    client.force_login(user)
    html = client.get("/", follow=True).content.decode()
    assert nav(html) == items
    # Every link in the navigation opens for this role (no "Back office" it cannot use).
    for href in re.findall(r'<a href="([^"]+)"', re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S).group(1)):
        assert client.get(href, follow=True).status_code == 200, (who, href)
    # Greyed items carry no tooltip, let alone a developer's.
    assert 'class="soon" title=' not in html


@pytest.mark.parametrize("who, footer", [
    ("operator", True), ("engineer", True), ("admin_user", True), ("aggregator_a", False), ("tso_client", False)])
def test_mode_footer_for_dso_staff_only_and_no_developer_wording_for_others(client, mv_network, request, who, footer):
    client.force_login(request.getfixturevalue(who))
    html = client.get("/", follow=True).content.decode()
    assert ('class="foot">Mode:' in html) is footer
    if not footer:
        for words in DEVELOPER_WORDING:
            assert words not in html, words


def test_tso_client_lands_on_what_it_can_do_over_the_api(client, api_client, tso_client, mv_network):
    client.force_login(tso_client)
    html = client.get("/").content.decode()
    assert 'id="tso-home"' in html and 'id="premises"' not in html  # not an empty aggregator portal
    listed = re.findall(r"<code>GET (/api/v1/[^<]*)</code>", html)
    assert listed == ["/api/v1/me/", "/api/v1/networks/", "/api/v1/events/"]
    # What the page says it can do, it can: each listed read answers 200 for this client.
    api_client.force_authenticate(tso_client)
    for url in listed:
        assert api_client.get(url).status_code == 200, url
    assert "/api/v1/auth/token/" in html


def test_aggregator_on_an_operator_page_gets_the_styled_403(client, aggregator_a, mv_network):
    client.force_login(aggregator_a)
    for url in ("/anm/", f"/anm/networks/{mv_network.pk}/", f"/networks/{mv_network.pk}/", "/forecasting/"):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 403, url
        assert 'data-status="403"' in html and "/static/css/app.css" in html, url
        assert "This page is for DSO staff." in html and nav(html) == ["My premises & DER", "API"]


def test_styled_404_in_the_layout_and_json_for_the_api(client, operator):
    client.force_login(operator)
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404 and 'data-status="404"' in html and "/static/css/app.css" in html
    assert "Network" in nav(html)
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and api.json() == {"detail": "Not found."}


def test_styled_500_renders_without_a_request_context(rf):
    from apps.common.errors import server_error

    response = server_error(rf.get("/networks/1/"))
    html = response.content.decode()
    assert response.status_code == 500 and 'data-status="500"' in html and "/static/css/app.css" in html
    assert "Mode:" not in html and "Traceback" not in html


def test_empty_home_tells_each_role_how_a_network_arrives(client, operator, engineer):
    client.force_login(operator)
    assert "Ask a control engineer" in client.get("/").content.decode()
    client.force_login(engineer)
    assert "POST /api/v1/networks/import/" in client.get("/").content.decode()


# --- the network page's live partials ------------------------------------------------------------

def test_snapshot_panel_partial_shows_the_latest_snapshot(client, operator, mv_network, eager_tasks,
                                                         django_capture_on_commit_callbacks):
    client.force_login(operator)
    url = f"/networks/{mv_network.pk}/parts/snapshot-panel/"
    before = client.get(url).content.decode()
    assert before.strip().startswith('<div id="snapshot-panel"') and "No snapshot yet." in before
    with django_capture_on_commit_callbacks(execute=True):
        run = study_run_create(kind=SNAPSHOT, network=mv_network, requested_by=operator)
    run.refresh_from_db()
    assert run.state == StudyRun.State.SUCCEEDED, run.error
    after = client.get(url).content.decode()
    assert "No snapshot yet." not in after and f"Snapshot #{run.pk}" in after and 'id="snapshot-facts"' in after
    assert f'data-run="{run.pk}"' in after and "<html" not in after
    runs = client.get(f"/networks/{mv_network.pk}/parts/runs/").content.decode()
    assert runs.strip().startswith('<tbody id="run-rows"') and f'<tr data-run="{run.pk}">' in runs
    assert 'badge succeeded' in runs
    assert client.get(f"/networks/{mv_network.pk}/parts/nothing/").status_code == 404


def test_network_partials_are_for_dso_staff(client, aggregator_a, mv_network):
    client.force_login(aggregator_a)
    assert client.get(f"/networks/{mv_network.pk}/parts/snapshot-panel/").status_code == 403


def test_snapshot_queued_message_names_the_run_for_the_live_update(client, operator, mv_network):
    client.force_login(operator)
    html = client.post(f"/networks/{mv_network.pk}/snapshot/", follow=True).content.decode()
    run = StudyRun.objects.get(kind=SNAPSHOT)
    assert f'<li class="run-{run.pk} info">Snapshot power flow #{run.pk} queued.</li>' in html


def test_an_expired_form_gets_the_styled_page_not_djangos(operator, mv_network):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post(f"/networks/{mv_network.pk}/snapshot/")
    html = response.content.decode()
    assert response.status_code == 403 and "This form has expired" in html and "/static/css/app.css" in html
    assert "CSRF" not in html
