"""Time travel against oracles, through the store (SQLite and PostgreSQL), with hypothesis.

Random histories (`tests/unit/test_permitted_view.py`'s steps: rights changed,
participants removed and added again, consent reset and renewed, the plan closed and
reopened, days passing, content written by everyone) are saved through the plan
application. Then, at instants drawn around and between the events and after the
last one (so that consent runs out without any event):

- the plan as of T (`plan_as_of(at=T)`) equals folding the stored events whose time is
  at most T, one by one, with nothing but the events' own `mutate` (no time index,
  no snapshot, no cache);
- the plan as each participant could see it at T (`plan_as_participant`) equals what
  the independent oracle of `test_permitted_view` derives from the product rules for
  that participant's person, on that folded plan, at T: their rights and the consent
  then, consent validity on T's municipal date. A participant who was not in the plan
  group at T (not yet added, removed, or never) has no view (`NotInGroupThenError`).
"""

from datetime import UTC, datetime, timedelta
from functools import reduce
from typing import Any, cast
from uuid import UUID, uuid4

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stafett.aggregates.errors import ConsentNotValidError
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import Access, Rights
from stafett.applications.history import NotInGroupThenError, SeenAsParticipant, view_of
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PlanNotFoundError
from tests.conftest import ManualClock
from tests.unit.test_permitted_view import (
    COORDINATOR,
    PROVIDER_A,
    RELATIVE,
    START,
    World,
    new_plan,
    oracle,
    seen,
    steps,
)

MICROSECOND = timedelta(microseconds=1)
Outcome = dict[str, object] | type[Exception]


def fold(events: list[Plan.Event], until: datetime) -> Plan | None:
    """The plan the events up to `until` make, by their own `mutate` alone (None: no plan)."""
    upto = [e for e in events if e.timestamp <= until]
    return cast(Plan | None, reduce(lambda plan, event: event.mutate(plan), upto, None))


def instants(events: list[Plan.Event]) -> list[datetime]:
    """Instants worth asking about: before the plan, at each event's time, just after it,
    half-way to the next, and days after the last (consent runs out with no event)."""
    times = sorted({e.timestamp for e in events})
    found = [times[0] - MICROSECOND]
    for here, after in zip(times, [*times[1:], None], strict=True):
        found += [here, here + MICROSECOND]
        if after is not None:
            found.append(here + (after - here) / 2)
    found += [times[-1] + timedelta(days=days) for days in (1, 8, 19, 40)]
    return found


def oracle_as_participant(plan: Plan | None, participant_id: UUID, at: datetime) -> Outcome:
    """The product rules for `participant_id` at `at`, on the plan as it then stood."""
    if plan is None:
        return PlanNotFoundError
    participant = plan.state.participants.get(participant_id)
    if participant is None or not participant.active:
        return NotInGroupThenError
    return oracle(plan, participant.person_id, at)


def as_participant(plans: PlanApplication, plan_id: UUID, pid: UUID, at: datetime) -> Outcome:
    """The application's answer, as a client receives it (encoded, then decoded)."""
    try:
        answer = plans.plan_as_participant(plan_id, pid, at=at)
    except (PlanNotFoundError, NotInGroupThenError) as refused:
        return type(refused)
    decoded = msgspec.json.decode(msgspec.json.encode(answer), type=SeenAsParticipant)
    assert decoded.as_of == at
    assert decoded.participant_id == pid
    if not decoded.could_open:
        assert decoded.refused == "consent"
        assert decoded.plan is msgspec.UNSET
        return ConsentNotValidError
    assert decoded.plan is not msgspec.UNSET
    assert decoded.plan.me.participant_id == pid
    return seen(decoded.plan)


@settings(
    max_examples=min(settings().max_examples, 25),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(steps, min_size=1, max_size=25),
    picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6),
)
def test_as_of_and_as_participant_equal_the_oracles_at_any_instant(
    plans: PlanApplication, clock: ManualClock, history: list[tuple[Any, ...]], picks: list[int]
) -> None:
    world = World(plan=new_plan(plan_id=uuid4()), now=START)
    for step in history:
        world.apply(step)
    plans.save(world.plan)
    clock.now = world.now + timedelta(days=60)  # every instant asked about has happened
    plan_id = world.plan.id
    events = [cast(Plan.Event, e) for e in plans.events.get(plan_id)]
    assert len(events) == world.plan.version
    candidates = instants(events)
    everyone = [*world.plan.state.participants, uuid4()]  # ever in the group, and a stranger
    for pick in picks:
        at = candidates[pick % len(candidates)]
        folded = fold(events, at)
        if folded is None:
            with pytest.raises(PlanNotFoundError):
                plans.plan_as_of(plan_id, at=at)
        else:
            assert plans.plan_as_of(plan_id, at=at) == view_of(folded), at
        for pid in everyone:
            want = oracle_as_participant(folded, pid, at)
            got = as_participant(plans, plan_id, pid, at)
            event(want.__name__ if isinstance(want, type) else "a view")
            assert got == want, f"{pid} at {at} after {history}"


def test_the_oracles_are_not_trivial(plans: PlanApplication, clock: ManualClock) -> None:
    """A right taken away and a consent run out show in the past as they happened: the
    relative saw goals before their right went, and the provider nothing once the
    consent had run out (it is valid to 20 March), though no event said so."""
    world = World(plan=new_plan(plan_id=uuid4()), now=START)
    world.apply(("goal", COORDINATOR))
    before = world.now
    world.now += timedelta(days=1)
    world.apply(("rights", RELATIVE, Rights(goals=Access.NONE)))
    plans.save(world.plan)
    clock.now = world.now + timedelta(days=60)
    plan_id = world.plan.id
    relative, provider = (world.pid(RELATIVE), world.pid(PROVIDER_A))
    assert relative is not None
    assert provider is not None

    then = as_participant(plans, plan_id, relative, before)
    later = as_participant(plans, plan_id, relative, world.now)
    assert isinstance(then, dict)
    assert then["goals"]
    assert isinstance(later, dict)
    assert later["goals"] is None
    last_minute = datetime(2026, 3, 20, 22, 59, tzinfo=UTC)  # 23:59 on 20 March in Oslo
    assert isinstance(as_participant(plans, plan_id, provider, last_minute), dict)
    next_day = last_minute + timedelta(minutes=2)  # 00:01 on 21 March in Oslo
    assert as_participant(plans, plan_id, provider, next_day) is ConsentNotValidError
    events = [cast(Plan.Event, e) for e in plans.events.get(plan_id)]
    assert oracle_as_participant(fold(events, next_day), provider, next_day) is (
        ConsentNotValidError
    )
