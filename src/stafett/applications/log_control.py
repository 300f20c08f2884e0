"""The log control (logg-kontroll; NOR-03, decision 0058): what a period of the access
log shows that the organisation should look at.

Normen (fact sheets 14 and 15) asks whoever is responsible for health and welfare data
to check regularly who has read it. Stafett logs every read (SEC-LOG-04); this finds, in
the entries of a period (municipal dates, both days included), the three patterns
security-reference.md names for it:

- **busy readers**: a person who opened more than `max_plans_a_day` different plans on
  one municipal day (a coordinator with a large caseload reads many; the threshold is the
  organisation's, given with each run);
- **off hours**: a professional's read (service provider, coordinator, auditor) outside
  07:00–19:00 municipal time; the family reads when it suits them, which is not flagged;
- **outside consent**: a service provider's read whose grounds name a consent period that
  the read's municipal date falls outside. The service refuses such reads, so a finding
  is a fault or a forged entry: there should be none.

And from the account store, the fourth: **dormant accounts**, not locked, whose last
login (their creation, if they never logged in) is more than `DORMANT_DAYS` before the
period's end: an account nobody uses is one nobody would notice being misused.

Entries hold ids only: the report names plans and readers by id, and pages look the names
up.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from uuid import UUID

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.values import MUNICIPAL_TIMEZONE, plausible_date
from stafett.applications.access_log import AccessEntry, AccessLog
from stafett.persistence.accounts import AccountStore, IdleAccount

MAX_PLANS_A_DAY = 20
WORKDAY = (time(7), time(19))  # municipal time: reads from 07:00 until 19:00 are in hours
PROFESSIONAL_ROLES = frozenset({"provider", "coordinator", "auditor"})
CONSENT_GROUNDS = "consent:"
LONGEST_PERIOD_DAYS = 366
DORMANT_DAYS = 90


@dataclass(frozen=True, slots=True)
class BusyReader:
    """`reader_person_id` opened `plans` different plans on `on`."""

    reader_person_id: UUID
    on: date
    plans: int


@dataclass(frozen=True, slots=True)
class FlaggedRead:
    """One entry of the log that a pattern points at."""

    reader_person_id: UUID
    role: str
    plan_id: UUID
    at: datetime


@dataclass(frozen=True, slots=True)
class LogControl:
    first_day: date
    last_day: date
    entries: int  # how many entries the period holds
    max_plans_a_day: int
    busy_readers: tuple[BusyReader, ...]
    off_hours: tuple[FlaggedRead, ...]
    outside_consent: tuple[FlaggedRead, ...]
    dormant_accounts: tuple[IdleAccount, ...] = ()


def period_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The instants from the first day's municipal midnight until the one after the last."""
    start = datetime.combine(first_day, time(), tzinfo=MUNICIPAL_TIMEZONE)
    end = datetime.combine(last_day + timedelta(days=1), time(), tzinfo=MUNICIPAL_TIMEZONE)
    return start, end


def last_full_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of the week before the one `today` is in."""
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)


def consent_period(grounds: str) -> tuple[date, date] | None:
    """The consent period a provider's grounds name (`consent:<from>..<to>`), else None."""
    if not grounds.startswith(CONSENT_GROUNDS):
        return None
    given, _, expires = grounds.removeprefix(CONSENT_GROUNDS).partition("..")
    try:
        return date.fromisoformat(given), date.fromisoformat(expires)
    except ValueError:
        return None


def log_control(
    entries: Iterable[AccessEntry],
    *,
    first_day: date,
    last_day: date,
    max_plans_a_day: int = MAX_PLANS_A_DAY,
) -> LogControl:
    """The findings of the period's `entries` (those outside it are not counted)."""
    plans_a_day: dict[tuple[UUID, date], set[UUID]] = defaultdict(set)
    off_hours: list[FlaggedRead] = []
    outside_consent: list[FlaggedRead] = []
    counted = 0
    starts, ends = WORKDAY
    for entry in entries:
        local = entry.at.astimezone(MUNICIPAL_TIMEZONE)
        day = local.date()
        if not first_day <= day <= last_day:
            continue
        counted += 1
        flagged = FlaggedRead(entry.reader_person_id, entry.role, entry.plan_id, entry.at)
        plans_a_day[(entry.reader_person_id, day)].add(entry.plan_id)
        if entry.role in PROFESSIONAL_ROLES and not starts <= local.time() < ends:
            off_hours.append(flagged)
        if entry.role == "provider":
            period = consent_period(entry.grounds)
            if period is None or not period[0] <= day <= period[1]:
                outside_consent.append(flagged)
    busy = sorted(
        (
            BusyReader(reader, day, len(plans))
            for (reader, day), plans in plans_a_day.items()
            if len(plans) > max_plans_a_day
        ),
        key=lambda b: (b.on, -b.plans, str(b.reader_person_id)),
    )
    return LogControl(
        first_day=first_day,
        last_day=last_day,
        entries=counted,
        max_plans_a_day=max_plans_a_day,
        busy_readers=tuple(busy),
        off_hours=tuple(off_hours),
        outside_consent=tuple(outside_consent),
    )


def checked_period(first_day: date | None, last_day: date | None, today: date) -> tuple[date, date]:
    """The period asked for (`from`, `to`, both days included), or the last full week
    when neither is given; one without the other, a period backwards or longer than a
    year is refused naming its field."""
    if first_day is None and last_day is None:
        return last_full_week(today)
    if first_day is None or last_day is None:
        field = "from" if first_day is None else "to"
        raise ValidationError(field, "give both the first and the last day, or neither")
    plausible_date("from", first_day)
    plausible_date("to", last_day)
    if last_day < first_day:
        raise ValidationError("to", "the last day comes before the first")
    if (last_day - first_day).days >= LONGEST_PERIOD_DAYS:
        raise ValidationError("to", f"a period is at most {LONGEST_PERIOD_DAYS} days")
    return first_day, last_day


def run_log_control(
    access_log: AccessLog,
    accounts: AccountStore,
    first_day: date,
    last_day: date,
    *,
    max_plans_a_day: int,
) -> LogControl:
    """The log control of the period, from the access log's entries in it, and the
    accounts idle for `DORMANT_DAYS` at its end."""
    start, end = period_bounds(first_day, last_day)
    entries = access_log.entries_between(start, end)
    found = log_control(
        entries, first_day=first_day, last_day=last_day, max_plans_a_day=max_plans_a_day
    )
    dormant = accounts.idle_since(end - timedelta(days=DORMANT_DAYS))
    return replace(found, dormant_accounts=tuple(dormant))
