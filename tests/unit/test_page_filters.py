"""The pages' date filters: the municipality's clock, whatever zone an instant came in,
also once its text is kept (`_datetime` keeps the text of instants it has shown), and
for the date of an instant."""

from datetime import UTC, date, datetime, timedelta, timezone

from stafett.web.pages.render import _date, _datetime


def test_an_instant_reads_the_same_on_the_municipal_clock_from_any_zone() -> None:
    # The night summer time began in Norway: 01:30 UTC is 03:30 there.
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    same = at.astimezone(timezone(timedelta(hours=-5)))
    assert _datetime(at) == "29.03.2026 03:30"
    assert _datetime(same) == "29.03.2026 03:30"  # equal instants share the kept text
    assert _datetime(at + timedelta(hours=1)) == "29.03.2026 04:30"
    winter = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    assert _datetime(winter) == "16.01.2026 00:30"
    assert _datetime(None) == ""


def test_a_date_is_written_day_month_year() -> None:
    assert _date(date(2026, 12, 7)) == "07.12.2026"
    assert _date(None) == ""


def test_an_instant_s_date_is_its_day_on_the_municipal_clock() -> None:
    """The plan list's "last archived" is an instant stored in UTC."""
    assert _date(datetime(2026, 1, 15, 23, 30, tzinfo=UTC)) == "16.01.2026"
    assert _date(datetime(2026, 7, 15, 22, 30, tzinfo=UTC)) == "16.07.2026"  # summer: +2
    assert _date(datetime(2026, 7, 15, 21, 30, tzinfo=UTC)) == "15.07.2026"
