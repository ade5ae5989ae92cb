"""The one formatter of times on pages: the centre's zone, each language's way of writing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from crisis.local_time import local_time

PARIS = ZoneInfo("Europe/Paris")
WINTER = dt.datetime(2026, 12, 2, 6, 42, 5, tzinfo=dt.timezone.utc)
SUMMER = dt.datetime(2026, 7, 14, 6, 42, 5, tzinfo=dt.timezone.utc)


def test_paris_time_winter_and_summer() -> None:
    assert local_time(WINTER, PARIS, "fr", "time") == "07:42"
    assert local_time(SUMMER, PARIS, "fr", "time") == "08:42"
    assert local_time(WINTER, PARIS, "fr", "seconds") == "07:42:05"


def test_each_language_writes_dates_its_way() -> None:
    assert local_time(WINTER, PARIS, "fr") == "02/12/2026 à 07:42"
    assert local_time(WINTER, PARIS, "en") == "2 Dec 2026, 07:42"
    assert local_time(WINTER, PARIS, "en", "date") == "2 Dec 2026"


def test_a_naive_time_is_utc_and_the_day_follows_the_zone() -> None:
    late = dt.datetime(2026, 12, 31, 23, 30)
    assert local_time(late, PARIS, "fr") == "01/01/2027 à 00:30"
    assert local_time(late, ZoneInfo("America/Cayenne"), "fr") == "31/12/2026 à 20:30"
