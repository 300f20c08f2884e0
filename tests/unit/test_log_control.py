"""The log control's rule (NOR-03, decision 0058) on a seeded week of access-log entries:
every seeded anomaly is found (recall 100 %), and nothing of the ordinary reads around
them is (no false finding); the edges of each pattern, in municipal time across the
change to summer time."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.values import MUNICIPAL_TIMEZONE
from stafett.applications.access_log import AccessEntry
from stafett.applications.log_control import (
    checked_period,
    consent_period,
    last_full_week,
    log_control,
)

MONDAY = date(2026, 3, 23)  # the week of the change to summer time (Sunday 29 March)
SUNDAY = MONDAY + timedelta(days=6)
CONSENT = "consent:2026-01-01..2026-03-26"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant at `hour:minute` municipal time on `day`, as stored (UTC)."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=MUNICIPAL_TIMEZONE)
    return local.astimezone(UTC)


def entry(
    reader: UUID, role: str, when: datetime, plan: UUID | None = None, **more: str
) -> AccessEntry:
    grounds = more.get("grounds", CONSENT if role == "provider" else f"participant:{uuid4()}")
    return AccessEntry(
        plan_id=plan or uuid4(),
        seq=1,
        at=when,
        reader_person_id=reader,
        role=role,
        sections=("overview",),
        grounds=grounds,
        prev_hash="0" * 64,
        hash="1" * 64,
    )


def test_a_seeded_week_gives_exactly_its_anomalies() -> None:
    busy, steady, nurse, mother, coordinator = (uuid4() for _ in range(5))
    wednesday = MONDAY + timedelta(days=2)
    plans = [uuid4() for _ in range(21)]
    ordinary = [
        *(entry(steady, "coordinator", at(wednesday, 9, i), plans[i]) for i in range(20)),
        *(entry(steady, "coordinator", at(wednesday, 10), plans[i]) for i in range(20)),  # again
        entry(coordinator, "coordinator", at(MONDAY, 7, 0)),  # the first minute in hours
        entry(coordinator, "coordinator", at(SUNDAY, 18, 59)),  # the last, in summer time
        entry(mother, "relative", at(MONDAY, 23, 30)),  # the family reads when it can
        entry(mother, "owner", at(SUNDAY, 2, 30)),
        entry(nurse, "provider", at(date(2026, 3, 26), 18, 30)),  # the consent's last day
    ]
    seeded_busy = [entry(busy, "provider", at(wednesday, 12), p) for p in plans]  # 21 plans
    early = entry(coordinator, "coordinator", at(MONDAY, 6, 59))
    late = entry(nurse, "provider", at(MONDAY, 19, 0))
    summer_early = entry(uuid4(), "auditor", at(SUNDAY, 6, 30))
    after = entry(nurse, "provider", at(date(2026, 3, 27), 8, 0))  # the day after it ran out
    not_under_consent = entry(nurse, "provider", at(MONDAY, 12), grounds="participant:x")
    outside_period = entry(coordinator, "coordinator", at(SUNDAY + timedelta(days=1), 3))
    found = log_control(
        [
            *ordinary,
            *seeded_busy,
            early,
            late,
            summer_early,
            after,
            not_under_consent,
            outside_period,
        ],
        first_day=MONDAY,
        last_day=SUNDAY,
    )
    assert [(b.reader_person_id, b.on, b.plans) for b in found.busy_readers] == [
        (busy, wednesday, 21)
    ]
    flagged_off_hours = [(r.reader_person_id, r.at) for r in found.off_hours]
    assert flagged_off_hours == [(e.reader_person_id, e.at) for e in (early, late, summer_early)]
    assert [r.at for r in found.outside_consent] == [after.at, not_under_consent.at]
    assert found.entries == len(ordinary) + len(seeded_busy) + 5  # not the one outside it


def test_the_threshold_is_the_callers() -> None:
    reader = uuid4()
    reads = [entry(reader, "coordinator", at(MONDAY, 10), uuid4()) for _ in range(3)]
    assert (
        log_control(reads, first_day=MONDAY, last_day=MONDAY, max_plans_a_day=3).busy_readers == ()
    )
    [busy] = log_control(reads, first_day=MONDAY, last_day=MONDAY, max_plans_a_day=2).busy_readers
    assert busy.plans == 3


@pytest.mark.parametrize(
    ("grounds", "period"),
    [
        ("consent:2026-01-01..2026-03-26", (date(2026, 1, 1), date(2026, 3, 26))),
        ("participant:4f1c", None),
        ("consent:2026-01-01", None),
        ("consent:2026-13-01..2026-03-26", None),
    ],
)
def test_a_providers_grounds_name_the_consent_period(
    grounds: str, period: tuple[date, date] | None
) -> None:
    assert consent_period(grounds) == period


@pytest.mark.parametrize(
    ("today", "week"),
    [
        (date(2026, 12, 9), (date(2026, 11, 30), date(2026, 12, 6))),  # a Wednesday
        (date(2026, 12, 7), (date(2026, 11, 30), date(2026, 12, 6))),  # a Monday
        (date(2026, 12, 13), (date(2026, 11, 30), date(2026, 12, 6))),  # a Sunday
    ],
)
def test_without_a_period_it_is_the_last_full_week(today: date, week: tuple[date, date]) -> None:
    assert last_full_week(today) == week
    assert checked_period(None, None, today) == week


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(2026, 3, 1), None, "to"),
        (None, date(2026, 3, 1), "from"),
        (date(2026, 3, 2), date(2026, 3, 1), "to"),
        (date(2025, 1, 1), date(2026, 1, 2), "to"),
        (date(1899, 12, 31), date(1900, 1, 2), "from"),
    ],
)
def test_a_period_half_given_backwards_or_too_long_is_refused(
    first: date | None, last: date | None, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        checked_period(first, last, date(2026, 12, 9))
    assert refused.value.field == field
