"""History on a real store: the plan as of a version or an instant, snapshots, timeline."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.values import (
    Access,
    ActivityStatus,
    CommentTarget,
    GoalStatus,
    Rights,
    Role,
    local_date,
)
from stafett.applications.commands import (
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    ChangeActivity,
    ChangeParticipant,
    ClosePlan,
    CompleteActivity,
    EvaluateGoal,
    HandOverCoordinator,
    PostComment,
    RecordMinutes,
    RenewConsent,
    ReviseGoal,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn, PersonIn, RightsIn
from stafett.applications.plans import SNAPSHOT_INTERVAL, PlanApplication
from stafett.applications.results import CommandResult, PlanNotFoundError, PlanView
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for
from tests.integration.support import NewPlan, add_provider, new_plan, register

OSLO = ZoneInfo("Europe/Oslo")
LONG_PLAN_EVENTS = 250


@dataclass
class History:
    plan: NewPlan
    views: dict[int, PlanView]  # the plan as its writer saw it right after each version
    instants: dict[int, datetime]


def record_history(
    plans: PlanApplication,
    clock: ManualClock,
    plan: NewPlan,
    commands: list[Callable[[], object]],
    step: timedelta = timedelta(minutes=7),
) -> History:
    """Run commands a few minutes apart, keeping what the writer saw after each."""
    views = {1: plans.get_plan(plan.plan_id)}
    instants = {1: views[1].created_at}
    for command in commands:
        clock.advance(step)
        result = command()
        assert isinstance(result, CommandResult)
        assert result.notification_id is not None
        views[result.version] = plans.get_plan(plan.plan_id)
        instants[result.version] = clock.now
    return History(plan, views, instants)


def build_long_plan(plans: PlanApplication, clock: ManualClock) -> History:
    """A plan of 250 events of every kind that leaves state behind."""
    plan = new_plan(plans)
    pid, kari = plan.plan_id, plan.coordinator_id
    views = {1: plans.get_plan(pid)}
    instants = {1: clock.now}
    clock.advance(timedelta(minutes=7))
    per, per_part = add_provider(plans, plan, "Per", "Lærer")
    views[2] = plans.get_plan(pid)
    instants[2] = clock.now
    goals: list[UUID] = []
    activities: list[UUID] = []
    minutes: list[UUID] = []
    rights = (Rights(messages=Access.READ), Rights(print=False))

    def step(n: int) -> CommandResult:
        today = local_date(clock())
        kind = n % 12
        if kind == 0 or not goals:
            result = plans.handle(pid, SetGoal(title=f"Mål {n}", due_on=today), by=kari)
            assert result.created_id is not None
            goals.append(result.created_id)
            return result
        if kind == 1:
            return plans.handle(
                pid,
                ReviseGoal(
                    goal_id=goals[-1], title=f"Mål {n} (revidert)", description="", due_on=None
                ),
                by=per,
            )
        if kind == 2:
            return plans.handle(
                pid,
                EvaluateGoal(goal_id=goals[-1], status=GoalStatus.PARTLY_ACHIEVED, text=f"{n}"),
                by=kari,
            )
        if kind == 3 or not activities:
            result = plans.handle(
                pid, AddActivity(title=f"Tiltak {n}", responsible_participant_id=per_part), by=kari
            )
            assert result.created_id is not None
            activities.append(result.created_id)
            return result
        if kind == 4:
            return plans.handle(
                pid,
                ChangeActivity(
                    activity_id=activities[-1],
                    title=f"Tiltak {n}",
                    responsible_participant_id=per_part,
                    goal_id=goals[-1],
                    status=ActivityStatus.IN_PROGRESS,
                    description="",
                    due_on=None,
                ),
                by=kari,
            )
        if kind == 5 or not minutes:
            result = plans.handle(
                pid,
                RecordMinutes(met_on=today, attendee_ids=[per_part], notes=f"Referat {n}"),
                by=per,
            )
            assert result.created_id is not None
            minutes.append(result.created_id)
            return result
        if kind == 6:
            return plans.handle(
                pid,
                PostComment(on=CommentOn(kind=CommentTarget.MINUTES, id=minutes[-1]), text=f"{n}"),
                by=per,
            )
        if kind == 7:
            return plans.handle(
                pid, SendMessage(to=[per_part], subject=f"Melding {n}", body="Hei"), by=kari
            )
        if kind == 8:
            starts = clock.now.astimezone(OSLO) + timedelta(days=2)
            return plans.handle(
                pid,
                AddCalendarEntry(
                    title=f"Møte {n}", starts_at=starts, ends_at=starts + timedelta(hours=1)
                ),
                by=kari,
            )
        if kind == 9:
            return plans.handle(
                pid,
                ChangeParticipant(participant_id=per_part, rights=RightsIn.of(rights[n // 12 % 2])),
                by=kari,
            )
        if kind == 10:
            return plans.handle(pid, CompleteActivity(activity_id=activities[-1]), by=kari)
        return plans.handle(
            pid, ChangeParticipant(participant_id=per_part, responsibility=f"Ansvar {n}"), by=kari
        )

    n = 0
    while len(views) < LONG_PLAN_EVENTS:
        clock.advance(timedelta(minutes=7))
        result = step(n)
        n += 1
        assert result.notification_id is not None
        views[result.version] = plans.get_plan(pid)
        instants[result.version] = clock.now
    assert max(views) == LONG_PLAN_EVENTS
    return History(plan, views, instants)


# ------------------------------------------------------------------ versions


def test_the_plan_as_of_a_version_is_the_state_after_that_many_events(
    plans: PlanApplication, clock: ManualClock
) -> None:
    history = build_long_plan(plans, clock)
    pid = history.plan.plan_id

    for version in (1, 2, 3, 50, 99, 100, 101, 150, 199, 200, 201, 249, 250):
        as_of = plans.plan_as_of(pid, version=version)
        assert as_of.version == version
        assert as_of == history.views[version], version
    assert plans.plan_as_of(pid, version=100) != plans.plan_as_of(pid, version=101)


def test_snapshots_are_stored_every_hundred_events(
    plans: PlanApplication, clock: ManualClock
) -> None:
    history = build_long_plan(plans, clock)
    assert plans.snapshots is not None

    snapshots = list(plans.snapshots.get(history.plan.plan_id))

    assert [s.originator_version for s in snapshots] == [SNAPSHOT_INTERVAL, 2 * SNAPSHOT_INTERVAL]


def test_the_latest_plan_loaded_without_a_cache_equals_the_plan_its_writer_sees(
    plans: PlanApplication, clock: ManualClock, database_url: str
) -> None:
    history = build_long_plan(plans, clock)
    pid = history.plan.plan_id
    fresh = PlanApplication(Settings(database_url=database_url).event_store_env(), clock=clock)
    try:
        assert fresh.repository.cache is not None
        with pytest.raises(KeyError):
            fresh.repository.cache.get(pid)
        loaded = fresh.get_plan(pid)
        assert fresh.plan_as_of(pid, version=150) == history.views[150]
    finally:
        fresh.close()

    assert loaded == plans.get_plan(pid) == history.views[LONG_PLAN_EVENTS]
    assert loaded.version == LONG_PLAN_EVENTS


def test_a_version_beyond_the_head_is_refused(plans: PlanApplication) -> None:
    plan = new_plan(plans)
    plans.handle(plan.plan_id, SetGoal(title="Mål"), by=plan.coordinator_id)

    with pytest.raises(ValidationError) as refused:
        plans.plan_as_of(plan.plan_id, version=3)

    assert refused.value.field == "version"
    assert plans.plan_as_of(plan.plan_id, version=2).version == 2


@pytest.mark.parametrize("version", [0, -1])
def test_a_version_below_one_is_refused(plans: PlanApplication, version: int) -> None:
    plan = new_plan(plans)

    with pytest.raises(ValidationError) as refused:
        plans.plan_as_of(plan.plan_id, version=version)

    assert refused.value.field == "version"


def test_neither_version_nor_instant_is_the_plan_now_and_both_the_earlier(
    plans: PlanApplication, clock: ManualClock
) -> None:
    """Decision 0023: the two are upper bounds, so both together give the earlier."""
    plan = new_plan(plans)
    plans.handle(plan.plan_id, SetGoal(title="Mål"), by=plan.coordinator_id)

    assert plans.plan_as_of(plan.plan_id) == plans.get_plan(plan.plan_id)
    assert plans.plan_as_of(plan.plan_id).version == 2
    assert plans.plan_as_of(plan.plan_id, version=1, at=clock.now).version == 1
    assert plans.plan_as_of(plan.plan_id, version=5, at=clock.now).version == 2


# ------------------------------------------------------------------ instants


@pytest.fixture
def hourly(plans: PlanApplication, clock: ManualClock) -> History:
    """A plan created at 09:00 that gains a goal at 10:00 and one at 11:00 (UTC)."""
    plan = new_plan(plans)
    commands: list[Callable[[], object]] = [
        lambda: plans.handle(plan.plan_id, SetGoal(title="Lese"), by=plan.coordinator_id),
        lambda: plans.handle(plan.plan_id, SetGoal(title="Svømme"), by=plan.coordinator_id),
    ]
    return record_history(plans, clock, plan, commands, step=timedelta(hours=1))


def test_the_plan_as_of_an_instant_is_the_version_in_force_then(
    plans: PlanApplication, hourly: History
) -> None:
    pid, at = hourly.plan.plan_id, hourly.instants
    micro = timedelta(microseconds=1)
    expected = {
        at[1]: 1,
        at[1] + timedelta(minutes=30): 1,
        at[2] - micro: 1,
        at[2]: 2,
        at[2] + micro: 2,
        at[3] - micro: 2,
        at[3]: 3,
        at[3] + timedelta(days=365): 3,
    }
    for instant, version in expected.items():
        as_of = plans.plan_as_of(pid, at=instant)
        assert as_of.version == version, instant
        assert as_of == hourly.views[version], instant


def test_the_same_instant_in_another_time_zone_gives_the_same_version(
    plans: PlanApplication, hourly: History
) -> None:
    pid = hourly.plan.plan_id
    in_oslo = hourly.instants[2].astimezone(OSLO)
    assert in_oslo.utcoffset() != timedelta(0)

    assert plans.plan_as_of(pid, at=in_oslo).version == 2
    assert plans.plan_as_of(pid, at=in_oslo - timedelta(microseconds=1)).version == 1


def test_an_instant_before_the_plan_was_created_is_not_found(
    plans: PlanApplication, hourly: History
) -> None:
    with pytest.raises(PlanNotFoundError):
        plans.plan_as_of(hourly.plan.plan_id, at=hourly.instants[1] - timedelta(microseconds=1))


def test_a_naive_instant_is_refused(plans: PlanApplication, hourly: History) -> None:
    naive = hourly.instants[2].replace(tzinfo=None)

    with pytest.raises(ValidationError) as refused:
        plans.plan_as_of(hourly.plan.plan_id, at=naive)

    assert refused.value.field == "as_of"


def test_instants_of_other_plans_do_not_leak_into_a_plan(
    plans: PlanApplication, clock: ManualClock, hourly: History
) -> None:
    clock.advance(timedelta(hours=1))
    other = new_plan(plans, coordinator_id=hourly.plan.coordinator_id)

    assert plans.plan_as_of(other.plan_id, at=clock.now).version == 1
    with pytest.raises(PlanNotFoundError):
        plans.plan_as_of(other.plan_id, at=hourly.instants[3])
    assert plans.plan_as_of(hourly.plan.plan_id, at=clock.now).version == 3


# ------------------------------------------------------------------ timeline


@pytest.fixture
def busy(plans: PlanApplication, clock: ManualClock) -> History:
    """A plan where the coordinator and a provider both act."""
    plan = new_plan(plans)
    pid, kari = plan.plan_id, plan.coordinator_id
    per = register(plans, "Per", "Lærer")
    today = local_date(clock())
    added: list[UUID] = []

    def add_per() -> CommandResult:
        result = plans.handle(
            pid, AddParticipant(person=PersonIn.of(per), role="provider"), by=kari
        )
        assert result.created_id is not None
        added.append(result.created_id)
        return result

    commands: list[Callable[[], object]] = [
        add_per,
        lambda: plans.handle(pid, SetGoal(title="Lese hver dag"), by=per),
        lambda: plans.handle(
            pid, RecordMinutes(met_on=today, attendee_ids=[added[0]], notes="Oppstart"), by=kari
        ),
        lambda: plans.handle(pid, RenewConsent.of(consent_for(today, days=300)), by=kari),
        lambda: plans.handle(pid, HandOverCoordinator(participant_id=added[0]), by=kari),
        lambda: plans.handle(pid, ClosePlan(ended_on=today, reason="Ferdig"), by=per),
    ]
    return record_history(plans, clock, plan, commands)


def test_the_timeline_lists_every_event_in_order_with_who_did_it(
    plans: PlanApplication, busy: History
) -> None:
    pid, kari = busy.plan.plan_id, busy.plan.coordinator_id
    per = next(
        p.person_id
        for p in busy.views[2].participants
        if p.role is Role.PROVIDER and p.person_id != kari
    )

    timeline = plans.timeline(pid)

    assert [e.version for e in timeline] == list(range(1, 8))
    assert [e.type for e in timeline] == [
        "Created",
        "ParticipantAdded",
        "GoalSet",
        "MinutesRecorded",
        "ConsentRenewed",
        "CoordinatorHandedOver",
        "Closed",
    ]
    assert [e.actor_id for e in timeline] == [kari, kari, per, kari, kari, kari, per]
    assert [e.actor_role for e in timeline] == [
        Role.COORDINATOR,
        Role.COORDINATOR,
        Role.PROVIDER,
        Role.COORDINATOR,
        Role.COORDINATOR,
        Role.COORDINATOR,
        Role.COORDINATOR,
    ]
    names = {kari: "Kari Stafettholder", per: "Per Lærer"}
    assert [e.actor_name for e in timeline] == [names[e.actor_id] for e in timeline]
    for entry in timeline:
        assert entry.at.tzinfo is not None
        assert entry.at.utcoffset() is not None
        assert entry.at == busy.instants[entry.version]
        assert entry.summary.strip()
    assert timeline[0].summary == "Plan opprettet (SL): Ola – trivsel"
    assert timeline[1].summary == "Deltaker lagt til som tjenesteyter"
    assert timeline[2].summary == "Mål satt: Lese hver dag"
    assert timeline[5].summary == "Stafettpinnen overlevert"


def test_the_timeline_shows_an_erased_actor_as_a_deleted_person(
    plans: PlanApplication, clock: ManualClock, busy: History
) -> None:
    pid, kari = busy.plan.plan_id, busy.plan.coordinator_id
    before = plans.timeline(pid)
    per = before[2].actor_id
    assert per != kari

    plans.directory.erase(per, actor_id=kari, at=clock.now, kind="erased")
    after = plans.timeline(pid)

    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        assert new.actor_id == old.actor_id
        assert (new.version, new.at, new.type, new.summary) == (
            old.version,
            old.at,
            old.type,
            old.summary,
        )
        if old.actor_id == per:
            assert new.actor_name == "(slettet person)"
        else:
            assert new.actor_name == "Kari Stafettholder"
    assert {e.actor_name for e in after} == {"Kari Stafettholder", "(slettet person)"}


def test_an_unknown_plan_has_no_timeline(plans: PlanApplication) -> None:
    new_plan(plans)

    with pytest.raises(PlanNotFoundError):
        plans.timeline(uuid4())
