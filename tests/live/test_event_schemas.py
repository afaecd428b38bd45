"""Event schemas, Zulip ``verify_action`` style: for every event kind a page handles, a client
holding the state of a fresh fetch that applies the published events by the kind's documented
rule ends exactly where a fresh fetch after the action is. And every published payload is what
the kind's one serializer makes (the same serializer builds the page's rows and the API's).
"""
from __future__ import annotations

import copy
import datetime as dt

import pytest

from apps.anm.events import alarm_sort_key
from apps.anm.models import Alarm
from apps.anm.services import projection_request
from apps.live.events import REMOVE, REPLACE, UPSERT, event_kinds
from apps.live.models import Event
from apps.live.streams import org_stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

UTC = dt.timezone.utc
SUNNY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
CALM = dt.datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


# --- the client rules (what static/js/anm.js and network.js do) ----------------------------------

def apply_to_rows(rows: list[dict], event: Event, *, order=None) -> list[dict]:
    """Apply one event to a list of rows by its kind's rule: upsert (replace by id, or add at
    the top) or remove; then the list's own order, if it has one."""
    rule = event_kinds()[event.kind].rule
    payload = event.payload
    if rule == REMOVE:
        rows = [r for r in rows if r["id"] != payload["id"]]
    elif rule == UPSERT:
        ids = [r["id"] for r in rows]
        rows = ([payload if r["id"] == payload["id"] else r for r in rows] if payload["id"] in ids
                else [payload, *rows])
    else:
        raise AssertionError(f"{event.kind} is not a row event")
    return sorted(rows, key=order) if order else rows


def published_since(seq: int, stream: str) -> list[Event]:
    return list(Event.objects.filter(stream__name=stream, seq__gt=seq).order_by("seq"))


def last_seq(stream: str) -> int:
    event = Event.objects.filter(stream__name=stream).order_by("-seq").first()
    return event.seq if event else 0


def assert_schema(event: Event) -> None:
    """The payload has exactly the fields of its kind's serializer."""
    kind = event_kinds()[event.kind]
    assert set(event.payload) == set(kind.serializer().fields), event.kind


# --- the ANM page: alarms and the run header -----------------------------------------------------

class AnmPage:
    """What the ANM page holds: the open alarms and the run header, from the projection API."""

    def __init__(self, client, network):
        self.client, self.network = client, network

    def fetch(self) -> dict:
        payload = self.client.get(f"/api/v1/anm/projection/?network={self.network.pk}").json()
        return {"alarms": payload["alarms"], "run": payload["run"]}

    @staticmethod
    def apply(state: dict, events: list[Event]) -> dict:
        state = copy.deepcopy(state)
        for event in events:
            if event.kind.startswith("alarm."):
                state["alarms"] = apply_to_rows(state["alarms"], event, order=alarm_sort_key)
            elif event.kind == "projection.finished" and event.payload["live"]:
                assert event_kinds()[event.kind].rule == REPLACE
                state["run"] = event.payload
        return state


def verify_action(page, action, *, stream: str, expect: set[str]) -> list[Event]:
    """Fetch, act, apply the events to the stale state, fetch again: the two must be equal."""
    stale = page.fetch()
    seq = last_seq(stream)
    action()
    events = published_since(seq, stream)
    for event in events:
        assert_schema(event)
    assert expect <= {e.kind for e in events}, {e.kind for e in events}
    assert page.apply(stale, events) == page.fetch()
    return events


def test_alarm_events_bring_a_stale_anm_page_to_a_fresh_fetch(flexible_generators, operator, orgs, client_for):
    stream = org_stream(orgs["dso"].pk)
    page = AnmPage(client_for(operator), flexible_generators)

    def project(start, steps=192):
        projection_request(network=flexible_generators, requested_by=operator, start=start, steps=steps, seed=7, live=True)

    # alarm.raised (and the run header of projection.finished)
    events = verify_action(page, lambda: project(SUNNY), stream=stream, expect={"alarm.raised", "projection.finished"})
    raised = [e for e in events if e.kind == "alarm.raised"]
    assert all(e.payload["peak_value"] is not None and e.payload["unit"] for e in raised)

    # alarm.acknowledged, over the API as the page does it
    alarm = Alarm.objects.filter(network=flexible_generators, state="active").order_by("id").first()
    verify_action(page, lambda: client_for(operator).post(f"/api/v1/anm/alarms/{alarm.pk}/acknowledge/"),
                  stream=stream, expect={"alarm.acknowledged"})

    # alarm.escalated: the next run sees it worse than what was acknowledged
    Alarm.objects.filter(pk=alarm.pk).update(severity="low")
    stale = page.fetch()  # the page as the (mild) acknowledged alarm left it
    seq = last_seq(stream)
    project(SUNNY)
    events = published_since(seq, stream)
    assert "alarm.escalated" in {e.kind for e in events}
    assert page.apply(stale, events) == page.fetch()

    # alarm.cleared: a calm run clears every alarm
    verify_action(page, lambda: project(CALM, steps=8), stream=stream, expect={"alarm.cleared"})
    assert page.fetch()["alarms"] == []


def test_a_what_if_projection_leaves_a_stale_page_right(flexible_generators, operator, orgs, client_for):
    stream = org_stream(orgs["dso"].pk)
    page = AnmPage(client_for(operator), flexible_generators)
    verify_action(page, lambda: projection_request(network=flexible_generators, requested_by=operator, start=SUNNY, steps=8,
                                                   seed=7, live=False),
                  stream=stream, expect={"projection.finished"})


# --- studies: the network page's runs list --------------------------------------------------------

class StudyList:
    def __init__(self, client, network):
        self.client, self.network = client, network
        self.fields = list(event_kinds()["study.queued"].serializer().fields)

    def fetch(self) -> list[dict]:
        rows = self.client.get(f"/api/v1/studies/?network={self.network.pk}&limit=500").json()["results"]
        return [{f: r[f] for f in self.fields} for r in rows]  # the API row carries the event's fields and more

    @staticmethod
    def apply(rows: list[dict], events: list[Event]) -> list[dict]:
        for event in events:
            if event.kind.startswith("study."):
                rows = apply_to_rows(rows, event)
        return rows


def test_study_events_bring_a_stale_runs_list_to_a_fresh_fetch(mv_network, operator, orgs, client_for):
    page = StudyList(client_for(operator), mv_network)
    client = client_for(operator)
    for _ in range(2):  # the second lands on top of the first
        verify_action(page, lambda: client.post("/api/v1/studies/", {"kind": "snapshot", "network": mv_network.pk},
                                                format="json"),
                      stream=org_stream(orgs["dso"].pk), expect={"study.queued", "study.progress", "study.finished"})


# --- forecasts: the forecast runs list ------------------------------------------------------------

class ForecastList:
    def __init__(self, client, network):
        self.client, self.network = client, network

    def fetch(self) -> list[dict]:
        return self.client.get(f"/api/v1/forecasting/runs/?network={self.network.pk}&limit=500").json()["results"]

    @staticmethod
    def apply(rows: list[dict], events: list[Event]) -> list[dict]:
        for event in events:
            if event.kind == "forecast.issued":
                rows = apply_to_rows(rows, event)
        return rows


def test_forecast_events_bring_a_stale_runs_list_to_a_fresh_fetch(mv_network, engineer, orgs, client_for):
    client = client_for(engineer)
    page = ForecastList(client, mv_network)
    for _ in range(2):
        verify_action(page, lambda: client.post("/api/v1/forecasting/runs/",
                                                {"network": mv_network.pk, "steps": 8}, format="json"),
                      stream=org_stream(orgs["dso"].pk), expect={"forecast.issued"})


def test_every_published_kind_has_one_schema():
    assert {"alarm.raised", "alarm.escalated", "alarm.acknowledged", "alarm.cleared", "projection.finished",
            "study.queued", "study.progress", "study.finished", "forecast.issued"} <= set(event_kinds())
