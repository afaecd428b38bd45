"""Accuracy scoring against hand-computed MAE and pinball loss; issuing and scoring runs; the
accuracy selector and API."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from apps.audit.models import AuditEvent
from apps.forecasting.calc.accuracy import pinball_loss, score_bands
from apps.forecasting.models import ForecastRun, ForecastScore, ForecastSeries
from apps.forecasting.selectors import forecast_accuracy
from apps.forecasting.services import forecast_run_issue, forecast_run_score
from apps.live.models import Event
from apps.live.streams import org_stream

UTC = dt.timezone.utc
ISSUED = dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)

# A tiny series: leads 1, 2, 7 and 30 h; the last actual is unknown yet.
LEAD = [1.0, 2.0, 7.0, 30.0]
ACTUAL = [10.0, 12.0, 8.0, np.nan]
FORECAST = {"p10": [8.0, 9.0, 9.0, 1.0], "p50": [9.0, 11.0, 10.0, 2.0], "p90": [11.0, 13.0, 12.0, 3.0]}
# Hand computation of the mean pinball over τ = 0.1, 0.5, 0.9 (loss τ(y−q) if y ≥ q else (1−τ)(q−y)):
#   step 1, y=10: 0.1·2 + 0.5·1 + 0.1·1 = 0.8 -> 0.26667
#   step 2, y=12: 0.1·3 + 0.5·1 + 0.1·1 = 0.9 -> 0.3
#   step 3, y=8:  0.9·1 + 0.5·2 + 0.1·4 = 2.3 -> 0.76667 (outside P10–P90)


def test_pinball_loss_by_hand():
    assert pinball_loss(10.0, 8.0, 0.1) == pytest.approx(0.2)
    assert pinball_loss(8.0, 9.0, 0.1) == pytest.approx(0.9)
    assert pinball_loss(8.0, 12.0, 0.9) == pytest.approx(0.4)
    assert pinball_loss(5.0, 5.0, 0.9) == 0.0


def test_scores_per_band_by_hand():
    bands = score_bands(LEAD, ACTUAL, FORECAST)
    short, day, long = bands["0-6h"], bands["6-24h"], bands["24-48h"]
    assert (short.n, short.abs_error_sum, short.covered, short.banded) == (2, 2.0, 2, 2)
    assert short.mae == pytest.approx(1.0)
    assert short.pinball == pytest.approx((0.8 + 0.9) / 3 / 2)
    assert (day.n, day.mae, day.coverage) == (1, 2.0, 0.0)
    assert day.pinball == pytest.approx(2.3 / 3)
    assert long.n == 0 and long.mae is None  # its actual is not known yet


class FixedActuals:
    """An actuals source that returns given values (stands in for SimBench or telemetry)."""

    name = "fixed"

    def __init__(self, values: dict[str, list[float]]):
        self.values = values

    def totals(self, *, network, valid_times, step_minutes):
        n = len(valid_times)
        return {q: np.asarray(v[:n], dtype=float) for q, v in self.values.items()}


@pytest.fixture
def tiny_run(mv_network):
    """Four 8-hour steps (leads 0, 8, 16, 24 h) with the demand series below."""
    run = ForecastRun.objects.create(network=mv_network, issued_at=ISSUED, start=ISSUED, steps=4, step_minutes=480,
                                     seed=1, weather_source="test", inputs={})
    ForecastSeries.objects.create(run=run, quantity="demand", p10=[8, 9, 9, 1], p50=[9, 11, 10, 2], p90=[11, 13, 12, 3])
    return run


def test_service_scores_matured_steps(tiny_run):
    actuals = FixedActuals({"demand": [10.0, 12.0, 8.0, 2.5]})
    # 20:00 on issue day: steps 1–2 (ending 08:00, 16:00) have ended, step 3 ends at midnight.
    forecast_run_score(run=tiny_run, now=ISSUED + dt.timedelta(hours=20), actuals=actuals)
    tiny_run.refresh_from_db()
    assert not tiny_run.fully_scored and tiny_run.scored_through == ISSUED + dt.timedelta(hours=16)
    scores = {s.band: s for s in ForecastScore.objects.filter(run=tiny_run, quantity="demand")}
    assert (scores["0-6h"].n, scores["0-6h"].abs_error_sum) == (1, 1.0)        # lead 0
    assert (scores["6-24h"].n, scores["6-24h"].abs_error_sum) == (1, 1.0)      # lead 8
    assert scores["24-48h"].n == 0
    # Later everything has matured: scoring again replaces the sums (no double counting).
    forecast_run_score(run=tiny_run, now=ISSUED + dt.timedelta(days=3), actuals=actuals)
    tiny_run.refresh_from_db()
    assert tiny_run.fully_scored
    scores = {s.band: s for s in ForecastScore.objects.filter(run=tiny_run, quantity="demand")}
    assert (scores["6-24h"].n, scores["6-24h"].abs_error_sum, scores["6-24h"].covered) == (2, 3.0, 1)
    assert scores["6-24h"].pinball_sum == pytest.approx(0.9 / 3 + 2.3 / 3)
    assert (scores["24-48h"].n, scores["24-48h"].abs_error_sum) == (1, 0.5)
    assert scores["24-48h"].pinball_sum == pytest.approx((0.1 * 1.5 + 0.5 * 0.5 + 0.1 * 0.5) / 3)
    assert AuditEvent.objects.filter(action="forecast.scored", object_id=str(tiny_run.pk)).count() == 2


def test_selector_adds_runs_up(tiny_run, mv_network):
    other = ForecastRun.objects.create(network=mv_network, issued_at=ISSUED + dt.timedelta(days=1),
                                       start=ISSUED + dt.timedelta(days=1), steps=4, step_minutes=480, seed=2,
                                       weather_source="test", inputs={})
    ForecastSeries.objects.create(run=other, quantity="demand", p10=[8, 9, 9, 1], p50=[9, 11, 10, 2], p90=[11, 13, 12, 3])
    actuals = FixedActuals({"demand": [10.0, 12.0, 8.0, 2.5]})
    for run in (tiny_run, other):
        forecast_run_score(run=run, now=ISSUED + dt.timedelta(days=5), actuals=actuals)
    rows = {r["band"]: r for r in forecast_accuracy(network=mv_network)}
    assert rows["6-24h"]["runs"] == 2 and rows["6-24h"]["n"] == 4
    assert rows["6-24h"]["mae"] == pytest.approx(1.5) and rows["6-24h"]["coverage"] == pytest.approx(0.5)
    assert [r["band"] for r in forecast_accuracy(network=mv_network)] == ["0-6h", "6-24h", "24-48h"]


def test_issue_stores_totals_audits_and_notifies(mv_network, operator, orgs):
    run = forecast_run_issue(network=mv_network, issued_at=dt.datetime(2026, 6, 15, 9, 7, tzinfo=UTC), actor=operator)
    assert run.issued_at == dt.datetime(2026, 6, 15, 9, 0, tzinfo=UTC)  # the quarter-hour cut-off
    assert run.steps == 192 and run.created_by == operator and run.inputs["seed"] == run.seed
    series = {s.quantity: s for s in run.series.all()}
    assert set(series) == {"demand", "ev", "pv", "wind", "other_gen", "storage", "net_export",
                           "ghi_w_m2", "wind_speed_m_s", "temperature_c"}
    assert all(len(s.p50) == 192 for s in series.values())
    assert AuditEvent.objects.filter(action="forecast.issued", actor=operator).exists()
    assert Event.objects.filter(kind="forecast.issued", stream__name=org_stream(orgs["dso"].pk)).exists()


def test_scoring_against_simbench_truth(mv_network):
    run = forecast_run_issue(network=mv_network, issued_at=dt.datetime(2026, 6, 15, 0, 0, tzinfo=UTC), steps=96)
    forecast_run_score(run=run, now=dt.datetime(2026, 6, 20, tzinfo=UTC))
    run.refresh_from_db()
    assert run.fully_scored
    rows = forecast_accuracy(network=mv_network, quantities=["demand", "pv"])
    assert {(r["quantity"], r["band"]) for r in rows} == {("demand", "0-6h"), ("demand", "6-24h"),
                                                         ("pv", "0-6h"), ("pv", "6-24h")}
    assert all(r["mae"] >= 0 and r["n"] > 0 for r in rows)


def test_accuracy_api(client_for, operator, aggregator_a, tiny_run, mv_network):
    forecast_run_score(run=tiny_run, now=ISSUED + dt.timedelta(days=3), actuals=FixedActuals({"demand": [10, 12, 8, 2.5]}))
    body = client_for(operator).get("/api/v1/forecasting/accuracy/", {"network": mv_network.pk}).json()
    assert [(b["quantity"], b["band"], b["n"]) for b in body["bands"]] == [
        ("demand", "0-6h", 1), ("demand", "6-24h", 2), ("demand", "24-48h", 1)]
    assert client_for(operator).get("/api/v1/forecasting/accuracy/", {"network": "x"}).status_code == 400
    assert client_for(aggregator_a).get("/api/v1/forecasting/accuracy/", {"network": mv_network.pk}).status_code == 403


def test_runs_api(client_for, engineer, aggregator_a, mv_network):
    api = client_for(engineer)
    created = api.post("/api/v1/forecasting/runs/", {"network": mv_network.pk, "steps": 8}, format="json")
    assert created.status_code == 201, created.content
    detail = api.get(f"/api/v1/forecasting/runs/{created.json()['id']}/").json()
    assert len(detail["series"]["net_export"]["p90"]) == 8 and detail["inputs"]["steps"] == 8
    assert api.get("/api/v1/forecasting/runs/", {"network": mv_network.pk}).json()["count"] == 1
    other = client_for(aggregator_a)
    assert other.get(f"/api/v1/forecasting/runs/{created.json()['id']}/").status_code == 403
    assert other.post("/api/v1/forecasting/runs/", {"network": mv_network.pk}, format="json").status_code == 403
    assert ForecastRun.objects.count() == 1
