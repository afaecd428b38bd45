"""The one time base (apps.common.clock): 24-hour, the date only when not today, in the reader's
zone, across the clock changes; and Plotly figures moved to the reader's wall clock."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from apps.common.clock import clock_text, wall_clock_iso, zone_valid
from apps.common.figures import figure_in_zone

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 8, 12, 9, 0, tzinfo=dt.UTC)  # 10:00 in London (BST), 05:00 in New York (EDT)


def test_today_is_the_time_alone_and_another_day_has_its_date():
    assert clock_text("2026-08-12T13:05:00+00:00", zone=LONDON, now=NOW) == "14:05"
    assert clock_text("2026-08-11T22:30:00Z", zone=LONDON, now=NOW) == "11 Aug 23:30"
    assert clock_text(dt.datetime(2026, 8, 12, 13, 5, 9, tzinfo=dt.UTC), zone=LONDON, now=NOW, seconds=True) == "14:05:09"


def test_the_same_moment_in_two_zones():
    # 03:30 UTC is 04:30 on the 12th in London (today) but 23:30 on the 11th in New York (yesterday).
    assert clock_text("2026-08-12T03:30:00Z", zone=LONDON, now=NOW) == "04:30"
    assert clock_text("2026-08-12T03:30:00Z", zone=NEW_YORK, now=NOW) == "11 Aug 23:30"


def test_naive_is_utc_and_rubbish_is_empty():
    assert clock_text("2026-08-12T13:05:00", zone=LONDON, now=NOW) == "14:05"
    assert clock_text("", zone=LONDON, now=NOW) == "" and clock_text("soon", zone=LONDON, now=NOW) == ""
    assert clock_text(None, zone=LONDON, now=NOW) == ""


def test_clocks_go_forward_in_march():
    # 29 Mar 2026 01:00 UTC: GMT -> BST. 00:30 UTC reads 00:30; 01:30 UTC reads 02:30 (01:xx never shows).
    now = dt.datetime(2026, 3, 29, 12, 0, tzinfo=dt.UTC)
    assert clock_text("2026-03-29T00:30:00Z", zone=LONDON, now=now) == "00:30"
    assert clock_text("2026-03-29T01:30:00Z", zone=LONDON, now=now) == "02:30"
    assert wall_clock_iso("2026-03-29T01:30:00+00:00", zone=LONDON) == "2026-03-29T02:30:00"


def test_clocks_go_back_in_october():
    # 25 Oct 2026 01:00 UTC: BST -> GMT. Two different moments both read 01:30.
    now = dt.datetime(2026, 10, 25, 12, 0, tzinfo=dt.UTC)
    assert clock_text("2026-10-25T00:30:00Z", zone=LONDON, now=now) == "01:30"
    assert clock_text("2026-10-25T01:30:00Z", zone=LONDON, now=now) == "01:30"
    assert clock_text("2026-10-24T23:30:00Z", zone=LONDON, now=now) == "00:30"  # BST: already the 25th
    assert clock_text("2026-10-24T22:30:00Z", zone=LONDON, now=now) == "24 Oct 23:30"


def test_zone_names():
    assert zone_valid("Europe/London") and zone_valid("UTC") and zone_valid("America/New_York")
    assert not zone_valid("Mars/Olympus") and not zone_valid("") and not zone_valid("../etc/passwd")


def test_figure_times_move_to_the_readers_wall_clock():
    figure = {
        "data": [{"type": "heatmap", "x": ["2026-03-29T00:45:00+00:00", "2026-03-29T01:00:00+00:00"], "z": [[1, 2]]},
                 {"type": "scatter", "x": [1, 2], "y": [3, 4]}],
        "layout": {"shapes": [{"type": "line", "x0": "2026-03-29T01:00:00+00:00", "x1": "2026-03-29T01:00:00+00:00"}],
                   "xaxis2": {"matches": "x"}},
    }
    local = figure_in_zone(figure, LONDON)
    assert local["data"][0]["x"] == ["2026-03-29T00:45:00", "2026-03-29T02:00:00"]  # the hour that is skipped
    assert local["data"][1]["x"] == [1, 2]
    assert local["layout"]["shapes"][0]["x0"] == "2026-03-29T02:00:00"
    assert local["layout"]["xaxis2"]["hoverformat"] == "%d %b %H:%M"  # 24-hour hover with the date
    assert figure["data"][0]["x"][1] == "2026-03-29T01:00:00+00:00"  # the cached figure is untouched
    assert figure_in_zone(None, LONDON) is None
