"""Every page's query count is bounded and does not grow with the rows it lists (no N+1).

Each page is fetched, more rows of what it lists are added, and it is fetched again: the count
must stay the same, and under a stated bound. (API lists are covered by tests/api_cases.py.)"""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.anm.models import Alarm, ProjectionRun
from apps.anm.services import projection_request
from apps.grid.models import DERAsset, Premise
from apps.studies.models import StudyRun

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]
UTC = dt.timezone.utc


def queries(client, url: str) -> int:
    """Queries of one GET, figure cache cold (so that both counts compared build everything)."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.fixture
def projected(mv_network, operator):
    study = projection_request(network=mv_network, requested_by=operator,
                               start=dt.datetime(2026, 6, 15, 10, 0, tzinfo=UTC), seed=7, live=True)
    study.refresh_from_db()
    assert study.state == "succeeded", study.error
    return ProjectionRun.objects.get(study=study)


def _more_runs(network, user, count: int) -> None:
    StudyRun.objects.bulk_create([StudyRun(kind="snapshot", network=network, requested_by=user,
                                           organisation=user.organisation, stage="Queued") for _ in range(count)])


def test_network_page(client, operator, mv_network, django_assert_max_num_queries):
    client.force_login(operator)
    url = f"/networks/{mv_network.pk}/"
    before = queries(client, url)
    _more_runs(mv_network, operator, 8)
    with django_assert_max_num_queries(17):  # with the feeder boxes of the zoom picker
        after = queries(client, url)
    assert after == before


def test_portal_page(client, aggregator_a, orgs, mv_network, django_assert_max_num_queries):
    batteries = list(DERAsset.objects.filter(network=mv_network, kind="battery")[:6])

    def own(ders):
        for index, der in enumerate(ders):
            premise = Premise.objects.create(network=mv_network, bus=der.bus, owner=orgs["agg_a"], name=f"Home {der.pk}",
                                             reference=f"R{der.pk}-{index}")
            DERAsset.objects.filter(pk=der.pk).update(premise=premise, owner=orgs["agg_a"])

    own(batteries[:1])
    client.force_login(aggregator_a)
    before = queries(client, "/")
    own(batteries[1:])
    with django_assert_max_num_queries(8):
        after = queries(client, "/")
    assert after == before


def test_anm_page_and_its_partials(client, operator, projected, mv_network, django_assert_max_num_queries):
    client.force_login(operator)
    urls = [f"/anm/networks/{mv_network.pk}/"] + [
        f"/anm/networks/{mv_network.pk}/parts/{name}/"
        for name in ("projection-age", "kpis", "figures", "mv-cards", "lv-rows", "alarm-rows", "curtailment-rows")]
    before = {url: queries(client, url) for url in urls}
    template = Alarm.objects.filter(network=mv_network).first()
    Alarm.objects.bulk_create([Alarm(network=mv_network, key=f"line:{900 + i}:thermal", title=f"Extra {i}",
                                     severity="high", breach_at=template.breach_at, peak_value=120.0, unit="%",
                                     last_seen_at=template.breach_at) for i in range(6)])
    for url in urls:
        with django_assert_max_num_queries(16):  # cold: the heatmap names its elements
            assert queries(client, url) == before[url], url


def test_forecasts_page(client, operator, mv_network, django_assert_max_num_queries):
    from apps.forecasting.services import forecast_run_issue

    forecast_run_issue(network=mv_network, issued_at=dt.datetime(2026, 6, 15, 6, 0, tzinfo=UTC), steps=96)
    client.force_login(operator)
    before = queries(client, "/forecasting/")
    forecast_run_issue(network=mv_network, issued_at=dt.datetime(2026, 6, 15, 7, 0, tzinfo=UTC), steps=96)
    with django_assert_max_num_queries(16):  # 15, plus the weather zone's newest upload
        after = queries(client, "/forecasting/")
    assert after == before


def test_login_page(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        assert client.get("/accounts/login/").status_code == 200
