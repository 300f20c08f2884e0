"""The instant the history form asks for, as the timeline writes times (to the minute)."""

from datetime import UTC, datetime

from stafett.aggregates.values import MUNICIPAL_TIMEZONE
from stafett.web.pages.plan_history import chosen_instant

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_time_of_day_means_the_whole_of_that_minute() -> None:
    """The timeline shows 10:52 for a goal added at 10:52:30; "as at 10:52" must show it."""
    chosen = chosen_instant("2026-12-07", "10:52", now=NOW)
    added = datetime(2026, 12, 7, 10, 52, 30, tzinfo=MUNICIPAL_TIMEZONE)
    next_minute = datetime(2026, 12, 7, 10, 53, tzinfo=MUNICIPAL_TIMEZONE)
    assert added <= chosen < next_minute


def test_no_time_means_the_end_of_the_day_and_nothing_later_than_now() -> None:
    assert chosen_instant("2026-12-06", "", now=NOW).astimezone(MUNICIPAL_TIMEZONE).hour == 23
    assert chosen_instant("2026-12-07", None, now=NOW) == NOW
    assert chosen_instant("2026-12-07", "23:59", now=NOW) == NOW
