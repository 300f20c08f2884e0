"""Every rule the Plan aggregate's commands enforce, checked on the aggregate itself.

No database: each test builds a plan in memory, gives it commands with fixed,
tz-aware instants, and looks at the events it triggers and the state they leave.
A refused command must leave the plan exactly as it was (see `refused`).
"""

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from stafett.aggregates.errors import (
    ConflictingValueError,
    ConsentNotValidError,
    DomainError,
    DuplicateError,
    NotAParticipantError,
    NotFoundError,
    NotPermittedError,
    PlanClosedError,
    ValidationError,
)
from stafett.aggregates.plan import CONTENT_EVENT_TYPES, Plan
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Access,
    Activity,
    ActivityStatus,
    CalendarEntry,
    CommentTarget,
    Consent,
    ConsentStatus,
    GoalStatus,
    Minutes,
    PlanStatus,
    PlanType,
    Rights,
    Role,
)

OSLO = ZoneInfo("Europe/Oslo")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=1)
START = date(2026, 3, 2)
GIVEN_ON = date(2026, 3, 1)
EXPIRES_ON = date(2026, 6, 30)
# 23:59:59 on the expiry date in Oslo (summer time, UTC+2) ...
LAST_VALID_INSTANT = datetime(2026, 6, 30, 21, 59, 59, tzinfo=UTC)
# ... and midnight after it: still 30 June in UTC, but 1 July in Oslo.
FIRST_EXPIRED_INSTANT = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
NAIVE = datetime(2026, 3, 2, 9, 0)
TOO_LONG_NAME = "x" * 201
TOO_LONG_TEXT = "x" * 10_001


def consent(
    given_on: date = GIVEN_ON,
    expires_on: date = EXPIRES_ON,
    *,
    status: ConsentStatus = ConsentStatus.ACTIVE,
    given_by: str = "Mor og far",
    scope: str = "Full deling i plangruppen",
) -> Consent:
    return Consent(
        given_by=given_by, given_on=given_on, expires_on=expires_on, scope=scope, status=status
    )


def create_plan(**overrides: Any) -> Plan:
    arguments: dict[str, Any] = {
        "plan_id": uuid4(),
        "at": AT,
        "creator_person_id": uuid4(),
        "creator_participant_id": uuid4(),
        "plan_type": PlanType.INDIVIDUAL_PLAN,
        "short_name": "Ola",
        "owner_person_id": uuid4(),
        "owner_participant_id": uuid4(),
        "start_date": START,
        "end_date": None,
        "consent": consent(),
    }
    arguments.update(overrides)
    return Plan.create(**arguments)


@dataclass
class Group:
    """A plan with its four kinds of member, one goal, one activity and one minutes.

    Person ids act (`by=`); participant ids (`*_pid`) are what commands refer to.
    """

    plan: Plan
    coordinator: UUID
    owner: UUID
    relative: UUID
    provider: UUID
    stranger: UUID
    coordinator_pid: UUID
    owner_pid: UUID
    relative_pid: UUID
    provider_pid: UUID
    goal_id: UUID
    activity_id: UUID
    minutes_id: UUID


def build_group(
    *, relative_rights: Rights | None = None, provider_rights: Rights | None = None
) -> Group:
    coordinator, owner, relative, provider = uuid4(), uuid4(), uuid4(), uuid4()
    coordinator_pid, owner_pid, relative_pid, provider_pid = uuid4(), uuid4(), uuid4(), uuid4()
    plan = create_plan(
        creator_person_id=coordinator,
        creator_participant_id=coordinator_pid,
        owner_person_id=owner,
        owner_participant_id=owner_pid,
    )
    plan.add_participant(
        by=coordinator,
        at=AT,
        participant_id=relative_pid,
        person_id=relative,
        role=Role.RELATIVE,
        responsibility="Mor",
        rights=relative_rights or Rights(),
    )
    plan.add_participant(
        by=coordinator,
        at=AT,
        participant_id=provider_pid,
        person_id=provider,
        role=Role.PROVIDER,
        responsibility="Helsesykepleier",
        rights=provider_rights or Rights(),
    )
    goal_id, activity_id, minutes_id = uuid4(), uuid4(), uuid4()
    plan.set_goal(
        by=coordinator,
        at=AT,
        goal_id=goal_id,
        title="Trives på skolen",
        description="",
        due_on=None,
    )
    plan.add_activity(by=coordinator, at=AT, activity=activity(activity_id, provider_pid, goal_id))
    plan.record_minutes(
        by=coordinator, at=AT, minutes=minutes((coordinator_pid, relative_pid), minutes_id)
    )
    plan.collect_events()
    return Group(
        plan=plan,
        coordinator=coordinator,
        owner=owner,
        relative=relative,
        provider=provider,
        stranger=uuid4(),
        coordinator_pid=coordinator_pid,
        owner_pid=owner_pid,
        relative_pid=relative_pid,
        provider_pid=provider_pid,
        goal_id=goal_id,
        activity_id=activity_id,
        minutes_id=minutes_id,
    )


def activity(
    activity_id: UUID | None = None,
    responsible: UUID | None = None,
    goal_id: UUID | None = None,
    **fields: Any,
) -> Activity:
    values: dict[str, Any] = {
        "activity_id": activity_id or uuid4(),
        "title": "Samtale med kontaktlærer",
        "description": "",
        "responsible_participant_id": responsible or uuid4(),
        "due_on": date(2026, 4, 1),
        "goal_id": goal_id,
    }
    values.update(fields)
    return Activity(**values)


def minutes(
    attendee_ids: tuple[UUID, ...], minutes_id: UUID | None = None, **fields: Any
) -> Minutes:
    values: dict[str, Any] = {
        "minutes_id": minutes_id or uuid4(),
        "met_on": date(2026, 3, 2),
        "attendee_ids": attendee_ids,
        "notes": "Vi snakket om skolestart.",
        "decisions": "",
    }
    values.update(fields)
    return Minutes(**values)


def calendar_entry(**fields: Any) -> CalendarEntry:
    values: dict[str, Any] = {
        "entry_id": uuid4(),
        "title": "Ansvarsgruppemøte",
        "starts_at": datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        "location": "Skolen",
    }
    values.update(fields)
    return CalendarEntry(**values)


@pytest.fixture
def group() -> Group:
    return build_group()


@contextmanager
def refused(
    plan: Plan, error: type[DomainError], field: str | None = None
) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Expect `error` (naming `field`, if given) and a plan left exactly as it was."""
    version = plan.version
    pending = list(plan.pending_events)
    state = copy.deepcopy(plan.state)
    with pytest.raises(error) as info:
        yield info
    assert plan.version == version
    assert plan.pending_events == pending
    assert plan.state == state
    if field is not None:
        assert isinstance(info.value, ValidationError)
        assert info.value.field == field


def only_event(plan: Plan) -> Any:
    events = plan.collect_events()
    assert len(events) == 1
    return events[0]


def collected(plan: Plan) -> list[Plan.Event]:
    """The plan's pending events, collected, each checked to be a plan event."""
    events = []
    for event in plan.collect_events():
        assert isinstance(event, Plan.Event), event
        events.append(event)
    return events


# Commands that write content; each takes (group, by, at).
Command = Callable[[Group, UUID, datetime], None]
CONTENT_COMMANDS: dict[str, Command] = {
    "set_goal": lambda g, by, at: g.plan.set_goal(
        by=by, at=at, goal_id=uuid4(), title="Lese mer", description="", due_on=None
    ),
    "revise_goal": lambda g, by, at: g.plan.revise_goal(
        by=by, at=at, goal_id=g.goal_id, title="Lese mye mer", description="", due_on=None
    ),
    "evaluate_goal": lambda g, by, at: g.plan.evaluate_goal(
        by=by, at=at, goal_id=g.goal_id, status=GoalStatus.ACHIEVED, text="Nådd"
    ),
    "add_activity": lambda g, by, at: g.plan.add_activity(
        by=by, at=at, activity=activity(responsible=g.provider_pid, goal_id=g.goal_id)
    ),
    "change_activity": lambda g, by, at: g.plan.change_activity(
        by=by,
        at=at,
        activity=replace(g.plan.state.activities[g.activity_id], status=ActivityStatus.CANCELLED),
    ),
    "complete_activity": lambda g, by, at: g.plan.complete_activity(
        by=by, at=at, activity_id=g.activity_id
    ),
    "record_minutes": lambda g, by, at: g.plan.record_minutes(
        by=by, at=at, minutes=minutes((g.coordinator_pid,))
    ),
    "post_comment": lambda g, by, at: g.plan.post_comment(
        by=by, at=at, comment_id=uuid4(), on_kind=CommentTarget.GOAL, on_id=g.goal_id, text="Bra"
    ),
    "send_message": lambda g, by, at: g.plan.send_message(
        by=by, at=at, message_id=uuid4(), recipient_ids=None, subject="Hei", body="Møte?"
    ),
    "add_calendar_entry": lambda g, by, at: g.plan.add_calendar_entry(
        by=by, at=at, entry=calendar_entry()
    ),
}

# Commands only the coordinator of an open plan may give; each takes (group, by, at).
MANAGING_COMMANDS: dict[str, Command] = {
    "add_participant": lambda g, by, at: g.plan.add_participant(
        by=by,
        at=at,
        participant_id=uuid4(),
        person_id=uuid4(),
        role=Role.PROVIDER,
        responsibility="",
        rights=Rights(),
    ),
    "change_participant": lambda g, by, at: g.plan.change_participant(
        by=by, at=at, participant_id=g.relative_pid, responsibility="Far"
    ),
    "change_rights": lambda g, by, at: g.plan.change_rights(
        by=by, at=at, participant_id=g.relative_pid, rights=Rights(goals=Access.READ)
    ),
    "change_role": lambda g, by, at: g.plan.change_role(
        by=by, at=at, participant_id=g.relative_pid, role=Role.PROVIDER
    ),
    "remove_participant": lambda g, by, at: g.plan.remove_participant(
        by=by, at=at, participant_id=g.relative_pid
    ),
    "hand_over_coordinator": lambda g, by, at: g.plan.hand_over_coordinator(
        by=by, at=at, participant_id=g.provider_pid
    ),
    "renew_consent": lambda g, by, at: g.plan.renew_consent(
        by=by, at=at, consent=consent(date(2026, 3, 2), date(2026, 12, 31))
    ),
    "change_consent_scope": lambda g, by, at: g.plan.change_consent_scope(
        by=by, at=at, scope="Bare mål og tiltak"
    ),
    "reset_consent": lambda g, by, at: g.plan.reset_consent(by=by, at=at),
    "close": lambda g, by, at: g.plan.close(by=by, at=at, ended_on=date(2026, 3, 2), reason=""),
}

# Commands only the coordinator may give, also on a closed plan.
COORDINATOR_COMMANDS: dict[str, Command] = {
    "reopen": lambda g, by, at: g.plan.reopen(by=by, at=at),
    "record_archive": lambda g, by, at: g.plan.record_archive(
        by=by, at=at, archive_id=uuid4(), digest="sha256:abc"
    ),
}

ALL_COMMANDS: dict[str, Command] = {
    **CONTENT_COMMANDS,
    **MANAGING_COMMANDS,
    **COORDINATOR_COMMANDS,
    "withdraw_consent": lambda g, by, at: g.plan.withdraw_consent(by=by, at=at, owner_of_age=None),
}


def close(g: Group) -> None:
    g.plan.close(by=g.coordinator, at=AT, ended_on=date(2026, 3, 2), reason="Ferdig")
    g.plan.collect_events()


def remove(g: Group, participant_id: UUID) -> None:
    g.plan.remove_participant(by=g.coordinator, at=AT, participant_id=participant_id)
    g.plan.collect_events()


def hand_over_to_provider(g: Group) -> None:
    g.plan.hand_over_coordinator(by=g.coordinator, at=AT, participant_id=g.provider_pid)
    g.plan.collect_events()


# ------------------------------------------------------------------- create


def test_creating_a_plan_makes_the_creator_its_coordinator() -> None:
    creator, creator_pid = uuid4(), uuid4()
    plan = create_plan(creator_person_id=creator, creator_participant_id=creator_pid)
    assert plan.state.coordinator_id == creator_pid
    coordinator = plan.state.participants[creator_pid]
    assert coordinator.person_id == creator
    assert coordinator.role is Role.PROVIDER
    assert coordinator.rights == FULL_RIGHTS
    assert coordinator.active
    assert plan.is_coordinator(creator)


def test_creating_a_plan_makes_the_owner_an_owner_participant() -> None:
    owner, owner_pid = uuid4(), uuid4()
    plan = create_plan(owner_person_id=owner, owner_participant_id=owner_pid)
    assert plan.state.owner_person_id == owner
    participant = plan.state.participants[owner_pid]
    assert participant.person_id == owner
    assert participant.role is Role.OWNER
    assert participant.active
    assert not plan.is_coordinator(owner)
    assert len(plan.state.active_participants()) == 2


def test_creating_a_plan_records_one_created_event_by_the_coordinator_at_the_given_instant() -> (
    None
):
    creator = uuid4()
    plan = create_plan(creator_person_id=creator, short_name="  Ola  ", end_date=date(2026, 9, 1))
    assert plan.version == 1
    assert plan.state.status is PlanStatus.OPEN
    assert plan.state.short_name == "Ola"
    assert plan.state.plan_type is PlanType.INDIVIDUAL_PLAN
    assert plan.state.start_date == START
    assert plan.state.end_date == date(2026, 9, 1)
    assert plan.state.consent == consent()
    created = only_event(plan)
    assert isinstance(created, Plan.Created)
    assert created.actor_id == creator
    assert created.actor_role is Role.COORDINATOR
    assert created.timestamp == AT
    assert created.short_name == "Ola"


def test_the_owner_cannot_create_their_own_plan() -> None:
    person = uuid4()
    with pytest.raises(ValidationError) as info:
        create_plan(creator_person_id=person, owner_person_id=person)
    assert info.value.field == "owner"


def test_the_owner_and_the_coordinator_cannot_share_a_participant_id() -> None:
    """With one id for both, the coordinator's entry would silently replace the owner's."""
    shared = uuid4()
    with pytest.raises(ValidationError):
        create_plan(creator_participant_id=shared, owner_participant_id=shared)


def test_a_plan_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError) as info:
        create_plan(start_date=START, end_date=START - timedelta(days=1))
    assert info.value.field == "end_date"


def test_a_plan_may_end_on_the_day_it_starts() -> None:
    plan = create_plan(start_date=START, end_date=START)
    assert plan.state.end_date == START


@pytest.mark.parametrize("expires_on", [GIVEN_ON - timedelta(days=1), GIVEN_ON])
def test_consent_must_expire_after_the_day_it_was_given(expires_on: date) -> None:
    with pytest.raises(ValidationError) as info:
        create_plan(consent=consent(GIVEN_ON, expires_on))
    assert info.value.field == "expires_on"


@pytest.mark.parametrize("short_name", ["", "   ", "\n\t"])
def test_a_plan_needs_a_short_name(short_name: str) -> None:
    with pytest.raises(ValidationError) as info:
        create_plan(short_name=short_name)
    assert info.value.field == "short_name"


def test_a_short_name_may_have_200_characters_but_not_more() -> None:
    assert create_plan(short_name="x" * 200).state.short_name == "x" * 200
    with pytest.raises(ValidationError) as info:
        create_plan(short_name=TOO_LONG_NAME)
    assert info.value.field == "short_name"


def test_whoever_gave_consent_must_be_named_in_at_most_200_characters() -> None:
    for given_by, field in [("  ", "given_by"), (TOO_LONG_NAME, "given_by")]:
        with pytest.raises(ValidationError) as info:
            create_plan(consent=consent(given_by=given_by))
        assert info.value.field == field


def test_consent_needs_a_scope_of_at_most_10000_characters() -> None:
    for scope in ["   ", TOO_LONG_TEXT]:
        with pytest.raises(ValidationError) as info:
            create_plan(consent=consent(scope=scope))
        assert info.value.field == "scope"


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(consent(date(2026, 3, 3), date(2026, 9, 1)), id="given-tomorrow"),
        pytest.param(consent(date(2025, 3, 1), date(2026, 3, 1)), id="expired-yesterday"),
        pytest.param(consent(status=ConsentStatus.RESET), id="reset"),
        pytest.param(consent(status=ConsentStatus.WITHDRAWN), id="withdrawn"),
    ],
)
def test_a_plan_cannot_be_created_under_consent_not_valid_today(given: Consent) -> None:
    with pytest.raises(ConsentNotValidError):
        create_plan(consent=given)


def test_a_plan_can_be_created_on_the_last_day_of_its_consent_in_oslo() -> None:
    plan = create_plan(at=LAST_VALID_INSTANT, consent=consent(expires_on=EXPIRES_ON))
    assert plan.state.consent.expires_on == EXPIRES_ON
    with pytest.raises(ConsentNotValidError):
        create_plan(at=FIRST_EXPIRED_INSTANT, consent=consent(expires_on=EXPIRES_ON))


def test_a_plan_cannot_be_created_at_a_naive_instant() -> None:
    with pytest.raises(ValidationError) as info:
        create_plan(at=NAIVE)
    assert info.value.field == "at"


# ------------------------------------------------- who may manage the plan


@pytest.mark.parametrize("actor", ["provider", "relative", "owner"])
@pytest.mark.parametrize("command", [*MANAGING_COMMANDS, *COORDINATOR_COMMANDS])
def test_only_the_coordinator_may_manage_the_plan(group: Group, command: str, actor: str) -> None:
    if command == "reopen":
        close(group)
    with refused(group.plan, NotPermittedError):
        ALL_COMMANDS[command](group, getattr(group, actor), LATER)


@pytest.mark.parametrize("command", [*MANAGING_COMMANDS, *COORDINATOR_COMMANDS])
def test_a_stranger_cannot_manage_the_plan(group: Group, command: str) -> None:
    with refused(group.plan, NotAParticipantError):
        ALL_COMMANDS[command](group, group.stranger, LATER)


@pytest.mark.parametrize("command", [*MANAGING_COMMANDS, *COORDINATOR_COMMANDS])
def test_a_removed_former_coordinator_cannot_manage_the_plan(group: Group, command: str) -> None:
    hand_over_to_provider(group)
    group.plan.remove_participant(by=group.provider, at=AT, participant_id=group.coordinator_pid)
    group.plan.collect_events()
    if command == "reopen":
        group.plan.close(by=group.provider, at=AT, ended_on=START, reason="")
        group.plan.collect_events()
    with refused(group.plan, NotAParticipantError):
        ALL_COMMANDS[command](group, group.coordinator, LATER)


@pytest.mark.parametrize("command", [*MANAGING_COMMANDS, *COORDINATOR_COMMANDS])
def test_the_coordinator_may_manage_the_plan(group: Group, command: str) -> None:
    if command == "reopen":
        close(group)
    version = group.plan.version
    ALL_COMMANDS[command](group, group.coordinator, LATER)
    event = only_event(group.plan)
    assert group.plan.version == version + 1
    assert event.actor_id == group.coordinator
    assert event.actor_role is Role.COORDINATOR
    assert event.timestamp == LATER


# -------------------------------------------------------------- participants


def test_the_coordinator_adds_a_relative_with_the_given_rights(group: Group) -> None:
    person, pid = uuid4(), uuid4()
    rights = Rights(goals=Access.READ, minutes=Access.NONE, print=False)
    group.plan.add_participant(
        by=group.coordinator,
        at=LATER,
        participant_id=pid,
        person_id=person,
        role=Role.RELATIVE,
        responsibility="  Bestemor  ",
        rights=rights,
    )
    event = only_event(group.plan)
    assert isinstance(event, Plan.ParticipantAdded)
    assert event.responsibility == "Bestemor"
    added = group.plan.state.participants[pid]
    assert (added.person_id, added.role, added.rights, added.active) == (
        person,
        Role.RELATIVE,
        rights,
        True,
    )
    assert added.responsibility == "Bestemor"
    assert group.plan.actor(person) == added


def test_the_coordinator_adds_a_provider(group: Group) -> None:
    person, pid = uuid4(), uuid4()
    group.plan.add_participant(
        by=group.coordinator,
        at=LATER,
        participant_id=pid,
        person_id=person,
        role=Role.PROVIDER,
        responsibility="",
        rights=Rights(),
    )
    assert group.plan.state.participants[pid].role is Role.PROVIDER
    assert group.plan.state.role_of(group.plan.state.participants[pid]) is Role.PROVIDER


@pytest.mark.parametrize("member", ["coordinator", "owner", "relative", "provider"])
def test_a_person_already_in_the_group_cannot_be_added_again(group: Group, member: str) -> None:
    with refused(group.plan, DuplicateError):
        group.plan.add_participant(
            by=group.coordinator,
            at=LATER,
            participant_id=uuid4(),
            person_id=getattr(group, member),
            role=Role.PROVIDER,
            responsibility="",
            rights=Rights(),
        )


def test_a_removed_person_can_join_again_as_a_new_participant(group: Group) -> None:
    remove(group, group.relative_pid)
    new_pid = uuid4()
    group.plan.add_participant(
        by=group.coordinator,
        at=LATER,
        participant_id=new_pid,
        person_id=group.relative,
        role=Role.RELATIVE,
        responsibility="",
        rights=Rights(),
    )
    assert group.plan.actor(group.relative).participant_id == new_pid
    assert not group.plan.state.participants[group.relative_pid].active


def test_a_participant_id_cannot_be_used_twice(group: Group) -> None:
    remove(group, group.relative_pid)
    with refused(group.plan, DuplicateError):
        group.plan.add_participant(
            by=group.coordinator,
            at=LATER,
            participant_id=group.relative_pid,
            person_id=uuid4(),
            role=Role.RELATIVE,
            responsibility="",
            rights=Rights(),
        )


@pytest.mark.parametrize("role", [Role.OWNER, Role.COORDINATOR])
def test_an_owner_or_coordinator_cannot_be_added_as_a_participant(group: Group, role: Role) -> None:
    with refused(group.plan, ValidationError, "role"):
        group.plan.add_participant(
            by=group.coordinator,
            at=LATER,
            participant_id=uuid4(),
            person_id=uuid4(),
            role=role,
            responsibility="",
            rights=Rights(),
        )


def test_the_coordinator_changes_a_participants_responsibility(group: Group) -> None:
    group.plan.change_participant(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, responsibility=" Far "
    )
    assert isinstance(only_event(group.plan), Plan.ParticipantChanged)
    assert group.plan.state.participants[group.relative_pid].responsibility == "Far"


def test_the_responsibility_of_a_removed_or_unknown_participant_cannot_change(
    group: Group,
) -> None:
    remove(group, group.relative_pid)
    for participant_id in [group.relative_pid, uuid4()]:
        with refused(group.plan, NotFoundError):
            group.plan.change_participant(
                by=group.coordinator, at=LATER, participant_id=participant_id, responsibility="x"
            )


def test_the_coordinator_changes_a_participants_rights(group: Group) -> None:
    rights = Rights(goals=Access.READ, messages=Access.NONE)
    group.plan.change_rights(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, rights=rights
    )
    event = only_event(group.plan)
    assert isinstance(event, Plan.RightsChanged)
    assert event.rights == rights
    assert group.plan.state.participants[group.relative_pid].rights == rights


def test_the_coordinators_rights_cannot_be_changed(group: Group) -> None:
    with refused(group.plan, ValidationError, "participant_id"):
        group.plan.change_rights(
            by=group.coordinator,
            at=LATER,
            participant_id=group.coordinator_pid,
            rights=Rights(goals=Access.NONE),
        )


def test_unchanged_rights_trigger_no_event(group: Group) -> None:
    version = group.plan.version
    group.plan.change_rights(
        by=group.coordinator, at=LATER, participant_id=group.relative_pid, rights=Rights()
    )
    assert group.plan.version == version
    assert group.plan.pending_events == []


def test_the_rights_of_a_removed_or_unknown_participant_cannot_change(group: Group) -> None:
    remove(group, group.relative_pid)
    for participant_id in [group.relative_pid, uuid4()]:
        with refused(group.plan, NotFoundError):
            group.plan.change_rights(
                by=group.coordinator,
                at=LATER,
                participant_id=participant_id,
                rights=Rights(goals=Access.NONE),
            )


def test_a_removed_participant_is_no_longer_in_the_group(group: Group) -> None:
    group.plan.remove_participant(by=group.coordinator, at=LATER, participant_id=group.provider_pid)
    assert isinstance(only_event(group.plan), Plan.ParticipantRemoved)
    assert not group.plan.state.participants[group.provider_pid].active
    assert group.plan.state.participant_of(group.provider) is None
    with refused(group.plan, NotAParticipantError):
        CONTENT_COMMANDS["set_goal"](group, group.provider, LATER)


def test_the_owner_cannot_be_removed(group: Group) -> None:
    with refused(group.plan, ValidationError, "participant_id"):
        group.plan.remove_participant(
            by=group.coordinator, at=LATER, participant_id=group.owner_pid
        )


def test_the_coordinator_cannot_be_removed(group: Group) -> None:
    with refused(group.plan, ValidationError, "participant_id"):
        group.plan.remove_participant(
            by=group.coordinator, at=LATER, participant_id=group.coordinator_pid
        )


def test_a_participant_cannot_be_removed_twice(group: Group) -> None:
    remove(group, group.relative_pid)
    with refused(group.plan, NotFoundError):
        group.plan.remove_participant(
            by=group.coordinator, at=LATER, participant_id=group.relative_pid
        )


# ----------------------------------------------------------------- hand-over


def test_the_baton_passes_to_an_active_provider(group: Group) -> None:
    group.plan.hand_over_coordinator(
        by=group.coordinator, at=LATER, participant_id=group.provider_pid
    )
    event = only_event(group.plan)
    assert isinstance(event, Plan.CoordinatorHandedOver)
    assert (event.actor_id, event.actor_role) == (group.coordinator, Role.COORDINATOR)
    assert group.plan.state.coordinator_id == group.provider_pid
    assert group.plan.is_coordinator(group.provider)
    assert not group.plan.is_coordinator(group.coordinator)


@pytest.mark.parametrize("target", ["relative_pid", "owner_pid"])
def test_the_baton_cannot_pass_to_a_relative_or_the_owner(group: Group, target: str) -> None:
    with refused(group.plan, ConflictingValueError, "participant_id"):
        group.plan.hand_over_coordinator(
            by=group.coordinator, at=LATER, participant_id=getattr(group, target)
        )


def test_the_baton_cannot_pass_to_a_removed_or_unknown_provider(group: Group) -> None:
    remove(group, group.provider_pid)
    for participant_id in [group.provider_pid, uuid4()]:
        with refused(group.plan, NotFoundError):
            group.plan.hand_over_coordinator(
                by=group.coordinator, at=LATER, participant_id=participant_id
            )


def test_the_coordinator_cannot_hand_the_baton_to_themselves(group: Group) -> None:
    with refused(group.plan, ConflictingValueError, "participant_id"):
        group.plan.hand_over_coordinator(
            by=group.coordinator, at=LATER, participant_id=group.coordinator_pid
        )


def test_after_hand_over_only_the_new_coordinator_manages_the_plan(group: Group) -> None:
    hand_over_to_provider(group)
    with refused(group.plan, NotPermittedError):
        MANAGING_COMMANDS["add_participant"](group, group.coordinator, LATER)
    MANAGING_COMMANDS["add_participant"](group, group.provider, LATER)
    event = only_event(group.plan)
    assert (event.actor_id, event.actor_role) == (group.provider, Role.COORDINATOR)
    # The former coordinator is an ordinary provider now, and may be given up.
    group.plan.remove_participant(by=group.provider, at=LATER, participant_id=group.coordinator_pid)
    assert not group.plan.state.participants[group.coordinator_pid].active


def test_after_hand_over_the_former_coordinator_acts_as_a_provider(group: Group) -> None:
    hand_over_to_provider(group)
    CONTENT_COMMANDS["set_goal"](group, group.coordinator, LATER)
    event = only_event(group.plan)
    assert (event.actor_id, event.actor_role) == (group.coordinator, Role.PROVIDER)
    # ... whose rights the new coordinator may now change.
    group.plan.change_rights(
        by=group.provider,
        at=LATER,
        participant_id=group.coordinator_pid,
        rights=Rights(goals=Access.READ),
    )
    with refused(group.plan, NotPermittedError):
        CONTENT_COMMANDS["set_goal"](group, group.coordinator, LATER)


def test_the_new_coordinator_writes_everything_whatever_their_rights(group: Group) -> None:
    nothing = Rights(
        goals=Access.NONE, activities=Access.NONE, minutes=Access.NONE, messages=Access.NONE
    )
    group.plan.change_rights(
        by=group.coordinator, at=AT, participant_id=group.provider_pid, rights=nothing
    )
    hand_over_to_provider(group)
    for name, command in CONTENT_COMMANDS.items():
        command(group, group.provider, LATER)
        event = only_event(group.plan)
        assert (event.actor_id, event.actor_role) == (group.provider, Role.COORDINATOR), name


# ------------------------------------------------------------------- consent


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_content_is_written_on_the_last_day_of_consent_in_oslo(group: Group, command: str) -> None:
    CONTENT_COMMANDS[command](group, group.coordinator, LAST_VALID_INSTANT)
    assert isinstance(only_event(group.plan), CONTENT_EVENT_TYPES)


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_content_needs_consent_that_has_not_expired(group: Group, command: str) -> None:
    with refused(group.plan, ConsentNotValidError):
        CONTENT_COMMANDS[command](group, group.coordinator, FIRST_EXPIRED_INSTANT)


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_content_needs_consent_that_has_not_been_reset(group: Group, command: str) -> None:
    group.plan.reset_consent(by=group.coordinator, at=AT)
    group.plan.collect_events()
    with refused(group.plan, ConsentNotValidError):
        CONTENT_COMMANDS[command](group, group.coordinator, LATER)


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_content_needs_consent_that_has_not_been_withdrawn(group: Group, command: str) -> None:
    group.plan.withdraw_consent(by=group.owner, at=AT, owner_of_age=None)
    group.plan.collect_events()
    with refused(group.plan, ConsentNotValidError):
        CONTENT_COMMANDS[command](group, group.coordinator, LATER)


def test_content_needs_consent_that_has_already_been_given(group: Group) -> None:
    group.plan.renew_consent(
        by=group.coordinator, at=AT, consent=consent(date(2026, 3, 3), date(2026, 9, 1))
    )
    group.plan.collect_events()
    # 23:30 UTC on 2 March is 00:30 on 3 March in Oslo.
    with refused(group.plan, ConsentNotValidError):
        CONTENT_COMMANDS["set_goal"](
            group, group.coordinator, datetime(2026, 3, 2, 22, 59, tzinfo=UTC)
        )
    CONTENT_COMMANDS["set_goal"](group, group.coordinator, datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    assert isinstance(only_event(group.plan), Plan.GoalSet)


@pytest.mark.parametrize("lapse", ["expired", "reset", "withdrawn"])
def test_renewing_consent_restores_content_writes(group: Group, lapse: str) -> None:
    at = FIRST_EXPIRED_INSTANT if lapse == "expired" else LATER
    if lapse == "reset":
        group.plan.reset_consent(by=group.coordinator, at=AT)
    if lapse == "withdrawn":
        group.plan.withdraw_consent(by=group.relative, at=AT, owner_of_age=None)
    group.plan.collect_events()
    with refused(group.plan, ConsentNotValidError):
        CONTENT_COMMANDS["set_goal"](group, group.coordinator, at)
    renewed = consent(date(2026, 6, 30), date(2026, 12, 31), status=ConsentStatus.RESET)
    group.plan.renew_consent(by=group.coordinator, at=at, consent=renewed)
    event = only_event(group.plan)
    assert isinstance(event, Plan.ConsentRenewed)
    assert event.consent.status is ConsentStatus.ACTIVE
    assert group.plan.state.consent == replace(renewed, status=ConsentStatus.ACTIVE)
    for command in CONTENT_COMMANDS.values():
        command(group, group.coordinator, FIRST_EXPIRED_INSTANT)
        assert isinstance(only_event(group.plan), CONTENT_EVENT_TYPES)


def test_renewed_consent_must_expire_after_it_was_given(group: Group) -> None:
    with refused(group.plan, ValidationError, "expires_on"):
        group.plan.renew_consent(
            by=group.coordinator, at=LATER, consent=consent(date(2026, 3, 2), date(2026, 3, 2))
        )


def test_the_coordinator_changes_the_consent_scope(group: Group) -> None:
    group.plan.change_consent_scope(by=group.coordinator, at=LATER, scope="  Bare mål  ")
    event = only_event(group.plan)
    assert isinstance(event, Plan.ConsentChanged)
    assert group.plan.state.consent == consent(scope="Bare mål")


@pytest.mark.parametrize("lapse", ["reset", "withdrawn"])
def test_the_consent_scope_changes_only_while_consent_is_active(group: Group, lapse: str) -> None:
    if lapse == "reset":
        group.plan.reset_consent(by=group.coordinator, at=AT)
    else:
        group.plan.withdraw_consent(by=group.owner, at=AT, owner_of_age=None)
    group.plan.collect_events()
    with refused(group.plan, ConsentNotValidError):
        group.plan.change_consent_scope(by=group.coordinator, at=LATER, scope="Bare mål")


def test_the_consent_scope_cannot_be_empty(group: Group) -> None:
    with refused(group.plan, ValidationError, "scope"):
        group.plan.change_consent_scope(by=group.coordinator, at=LATER, scope="  ")


def test_resetting_consent_twice_triggers_one_event(group: Group) -> None:
    group.plan.reset_consent(by=group.coordinator, at=LATER)
    assert isinstance(only_event(group.plan), Plan.ConsentReset)
    assert group.plan.state.consent.status is ConsentStatus.RESET
    version = group.plan.version
    group.plan.reset_consent(by=group.coordinator, at=LATER)
    assert group.plan.version == version
    assert group.plan.pending_events == []


@pytest.mark.parametrize(
    ("actor", "role"),
    [("owner", Role.OWNER), ("relative", Role.RELATIVE), ("coordinator", Role.COORDINATOR)],
)
def test_the_family_or_the_coordinator_withdraws_consent(
    group: Group, actor: str, role: Role
) -> None:
    group.plan.withdraw_consent(by=getattr(group, actor), at=LATER, owner_of_age=None)
    event = only_event(group.plan)
    assert isinstance(event, Plan.ConsentWithdrawn)
    assert (event.actor_id, event.actor_role, event.timestamp) == (
        getattr(group, actor),
        role,
        LATER,
    )
    assert group.plan.state.consent.status is ConsentStatus.WITHDRAWN


def test_a_provider_cannot_withdraw_the_familys_consent(group: Group) -> None:
    with refused(group.plan, NotPermittedError):
        group.plan.withdraw_consent(by=group.provider, at=LATER, owner_of_age=None)


def test_a_stranger_cannot_withdraw_consent(group: Group) -> None:
    with refused(group.plan, NotAParticipantError):
        group.plan.withdraw_consent(by=group.stranger, at=LATER, owner_of_age=None)


def test_consent_is_withdrawn_only_once(group: Group) -> None:
    group.plan.withdraw_consent(by=group.owner, at=LATER, owner_of_age=None)
    group.plan.collect_events()
    version = group.plan.version
    group.plan.withdraw_consent(by=group.relative, at=LATER, owner_of_age=None)
    assert group.plan.version == version
    assert group.plan.pending_events == []


def test_consent_can_be_withdrawn_from_a_closed_plan(group: Group) -> None:
    close(group)
    group.plan.withdraw_consent(by=group.owner, at=LATER, owner_of_age=None)
    assert isinstance(only_event(group.plan), Plan.ConsentWithdrawn)
    assert group.plan.state.consent.status is ConsentStatus.WITHDRAWN
    assert group.plan.state.status is PlanStatus.CLOSED


# ------------------------------------------------------------ close, reopen


def test_the_coordinator_closes_the_plan(group: Group) -> None:
    group.plan.close(by=group.coordinator, at=LATER, ended_on=date(2026, 3, 5), reason=" Flyttet ")
    event = only_event(group.plan)
    assert isinstance(event, Plan.Closed)
    assert group.plan.state.status is PlanStatus.CLOSED
    assert group.plan.state.end_date == date(2026, 3, 5)
    assert group.plan.state.closed_reason == "Flyttet"


def test_a_plan_cannot_end_before_its_start_date(group: Group) -> None:
    with refused(group.plan, ValidationError, "ended_on"):
        group.plan.close(
            by=group.coordinator, at=LATER, ended_on=START - timedelta(days=1), reason=""
        )


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_a_closed_plan_takes_no_content(group: Group, command: str) -> None:
    close(group)
    with refused(group.plan, PlanClosedError):
        CONTENT_COMMANDS[command](group, group.coordinator, LATER)


@pytest.mark.parametrize("command", MANAGING_COMMANDS)
def test_a_closed_plan_takes_no_changes_to_its_group_or_consent(group: Group, command: str) -> None:
    close(group)
    with refused(group.plan, PlanClosedError):
        MANAGING_COMMANDS[command](group, group.coordinator, LATER)


def test_the_coordinator_reopens_a_closed_plan(group: Group) -> None:
    close(group)
    group.plan.reopen(by=group.coordinator, at=LATER)
    assert isinstance(only_event(group.plan), Plan.Reopened)
    assert group.plan.state.status is PlanStatus.OPEN
    assert group.plan.state.end_date is None
    assert group.plan.state.closed_reason == ""
    CONTENT_COMMANDS["set_goal"](group, group.relative, LATER)
    assert isinstance(only_event(group.plan), Plan.GoalSet)


def test_only_a_closed_plan_can_be_reopened(group: Group) -> None:
    with refused(group.plan, ValidationError, "status"):
        group.plan.reopen(by=group.coordinator, at=LATER)


def test_the_coordinator_records_an_archive_also_of_a_closed_plan(group: Group) -> None:
    close(group)
    archive_id = uuid4()
    group.plan.record_archive(by=group.coordinator, at=LATER, archive_id=archive_id, digest="d1")
    assert isinstance(only_event(group.plan), Plan.Archived)
    assert [a.archive_id for a in group.plan.state.archives] == [archive_id]
    assert group.plan.state.archives[0].archived_at == LATER


def test_an_archive_needs_a_digest(group: Group) -> None:
    with refused(group.plan, ValidationError, "digest"):
        group.plan.record_archive(by=group.coordinator, at=LATER, archive_id=uuid4(), digest="")


# -------------------------------------------------------------------- rights


def test_a_participant_with_read_access_to_goals_cannot_set_a_goal() -> None:
    group = build_group(provider_rights=Rights(goals=Access.READ))
    for command in ["set_goal", "revise_goal", "evaluate_goal"]:
        with refused(group.plan, NotPermittedError):
            CONTENT_COMMANDS[command](group, group.provider, LATER)


def test_a_participant_with_read_access_to_goals_can_comment_on_a_goal() -> None:
    group = build_group(provider_rights=Rights(goals=Access.READ))
    CONTENT_COMMANDS["post_comment"](group, group.provider, LATER)
    event = only_event(group.plan)
    assert isinstance(event, Plan.CommentPosted)
    assert (event.actor_id, event.actor_role) == (group.provider, Role.PROVIDER)


@pytest.mark.parametrize(
    ("rights", "target"),
    [
        (Rights(goals=Access.NONE), CommentTarget.GOAL),
        (Rights(activities=Access.NONE), CommentTarget.ACTIVITY),
        (Rights(minutes=Access.NONE), CommentTarget.MINUTES),
    ],
)
def test_a_participant_without_access_to_a_section_cannot_comment_in_it(
    rights: Rights, target: CommentTarget
) -> None:
    group = build_group(relative_rights=rights)
    on_id = {
        CommentTarget.GOAL: group.goal_id,
        CommentTarget.ACTIVITY: group.activity_id,
        CommentTarget.MINUTES: group.minutes_id,
    }[target]
    with refused(group.plan, NotPermittedError):
        group.plan.post_comment(
            by=group.relative, at=LATER, comment_id=uuid4(), on_kind=target, on_id=on_id, text="?"
        )


@pytest.mark.parametrize(
    ("rights", "command"),
    [
        (Rights(activities=Access.READ), "add_activity"),
        (Rights(activities=Access.READ), "change_activity"),
        (Rights(activities=Access.READ), "complete_activity"),
        (Rights(activities=Access.READ), "add_calendar_entry"),
        (Rights(minutes=Access.READ), "record_minutes"),
        (Rights(messages=Access.READ), "send_message"),
        (Rights(goals=Access.NONE), "set_goal"),
    ],
)
def test_a_participant_without_write_access_to_a_section_cannot_write_in_it(
    rights: Rights, command: str
) -> None:
    group = build_group(relative_rights=rights)
    with refused(group.plan, NotPermittedError):
        CONTENT_COMMANDS[command](group, group.relative, LATER)


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_a_participant_with_write_access_writes_content(group: Group, command: str) -> None:
    CONTENT_COMMANDS[command](group, group.relative, LATER)
    event = only_event(group.plan)
    assert isinstance(event, CONTENT_EVENT_TYPES)
    assert (event.actor_id, event.actor_role) == (group.relative, Role.RELATIVE)


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_a_stranger_writes_no_content(group: Group, command: str) -> None:
    with refused(group.plan, NotAParticipantError):
        CONTENT_COMMANDS[command](group, group.stranger, LATER)


@pytest.mark.parametrize("command", CONTENT_COMMANDS)
def test_a_removed_participant_writes_no_content(group: Group, command: str) -> None:
    remove(group, group.relative_pid)
    with refused(group.plan, NotAParticipantError):
        CONTENT_COMMANDS[command](group, group.relative, LATER)


# --------------------------------------------------------------------- goals


def test_setting_a_goal_adds_it_to_the_plan(group: Group) -> None:
    goal_id = uuid4()
    group.plan.set_goal(
        by=group.provider,
        at=LATER,
        goal_id=goal_id,
        title="  Lese mer  ",
        description=" Hver dag ",
        due_on=date(2026, 6, 1),
    )
    event = only_event(group.plan)
    assert isinstance(event, Plan.GoalSet)
    goal = group.plan.state.goals[goal_id]
    assert (goal.title, goal.description, goal.due_on) == ("Lese mer", "Hver dag", date(2026, 6, 1))
    assert goal.status is GoalStatus.ACTIVE
    assert goal.evaluations == ()


def test_a_goal_id_cannot_be_used_twice(group: Group) -> None:
    with refused(group.plan, DuplicateError):
        group.plan.set_goal(
            by=group.coordinator,
            at=LATER,
            goal_id=group.goal_id,
            title="Igjen",
            description="",
            due_on=None,
        )


@pytest.mark.parametrize("title", ["", "   ", TOO_LONG_NAME])
def test_a_goal_needs_a_title_of_at_most_200_characters(group: Group, title: str) -> None:
    with refused(group.plan, ValidationError, "title"):
        group.plan.set_goal(
            by=group.coordinator,
            at=LATER,
            goal_id=uuid4(),
            title=title,
            description="",
            due_on=None,
        )


def test_revising_a_goal_replaces_its_text(group: Group) -> None:
    group.plan.revise_goal(
        by=group.coordinator,
        at=LATER,
        goal_id=group.goal_id,
        title="Trives bedre",
        description="Med venner",
        due_on=date(2026, 5, 1),
    )
    assert isinstance(only_event(group.plan), Plan.GoalRevised)
    goal = group.plan.state.goals[group.goal_id]
    assert (goal.title, goal.description, goal.due_on) == (
        "Trives bedre",
        "Med venner",
        date(2026, 5, 1),
    )


def test_an_unknown_goal_cannot_be_revised_or_evaluated(group: Group) -> None:
    with refused(group.plan, NotFoundError):
        group.plan.revise_goal(
            by=group.coordinator, at=LATER, goal_id=uuid4(), title="x", description="", due_on=None
        )
    with refused(group.plan, NotFoundError):
        group.plan.evaluate_goal(
            by=group.coordinator,
            at=LATER,
            goal_id=uuid4(),
            status=GoalStatus.ACHIEVED,
            text="x",
        )


def test_evaluating_a_goal_sets_its_status_and_keeps_every_evaluation(group: Group) -> None:
    # 23:30 UTC on 2 March is already 3 March in Oslo.
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    group.plan.evaluate_goal(
        by=group.provider,
        at=late,
        goal_id=group.goal_id,
        status=GoalStatus.PARTLY_ACHIEVED,
        text=" Delvis ",
    )
    group.plan.evaluate_goal(
        by=group.relative,
        at=late + timedelta(days=1),
        goal_id=group.goal_id,
        status=GoalStatus.ACHIEVED,
        text="Nådd",
    )
    assert [type(e) for e in group.plan.collect_events()] == [Plan.GoalEvaluated] * 2
    goal = group.plan.state.goals[group.goal_id]
    assert goal.status is GoalStatus.ACHIEVED
    assert [(e.evaluated_on, e.status, e.text, e.by_participant_id) for e in goal.evaluations] == [
        (date(2026, 3, 3), GoalStatus.PARTLY_ACHIEVED, "Delvis", group.provider_pid),
        (date(2026, 3, 4), GoalStatus.ACHIEVED, "Nådd", group.relative_pid),
    ]


def test_an_evaluation_needs_text(group: Group) -> None:
    with refused(group.plan, ValidationError, "text"):
        group.plan.evaluate_goal(
            by=group.coordinator,
            at=LATER,
            goal_id=group.goal_id,
            status=GoalStatus.ACHIEVED,
            text="  ",
        )


# ---------------------------------------------------------------- activities


def test_adding_an_activity_puts_it_in_the_plan(group: Group) -> None:
    added = activity(
        responsible=group.relative_pid, goal_id=None, title="  Leksehjelp ", description=" Tirsdag "
    )
    group.plan.add_activity(by=group.provider, at=LATER, activity=added)
    assert isinstance(only_event(group.plan), Plan.ActivityAdded)
    assert group.plan.state.activities[added.activity_id] == replace(
        added, title="Leksehjelp", description="Tirsdag"
    )


def test_an_activity_needs_an_active_participant_as_responsible(group: Group) -> None:
    remove(group, group.relative_pid)
    for responsible in [group.relative_pid, uuid4()]:
        with refused(group.plan, NotFoundError):
            group.plan.add_activity(
                by=group.coordinator, at=LATER, activity=activity(responsible=responsible)
            )
        with refused(group.plan, NotFoundError):
            group.plan.change_activity(
                by=group.coordinator,
                at=LATER,
                activity=activity(group.activity_id, responsible=responsible),
            )


def test_an_activity_can_only_serve_a_goal_of_the_plan(group: Group) -> None:
    with refused(group.plan, NotFoundError):
        group.plan.add_activity(
            by=group.coordinator,
            at=LATER,
            activity=activity(responsible=group.provider_pid, goal_id=uuid4()),
        )


def test_an_activity_id_cannot_be_used_twice(group: Group) -> None:
    with refused(group.plan, DuplicateError):
        group.plan.add_activity(
            by=group.coordinator,
            at=LATER,
            activity=activity(group.activity_id, responsible=group.provider_pid),
        )


def test_an_activity_needs_a_title(group: Group) -> None:
    with refused(group.plan, ValidationError, "title"):
        group.plan.add_activity(
            by=group.coordinator,
            at=LATER,
            activity=activity(responsible=group.provider_pid, title=" "),
        )


def test_an_activity_cannot_be_added_as_already_completed(group: Group) -> None:
    """Completing is its own command (see change_activity), also for a new activity."""
    with refused(group.plan, ValidationError, "status"):
        group.plan.add_activity(
            by=group.coordinator,
            at=LATER,
            activity=activity(responsible=group.provider_pid, status=ActivityStatus.COMPLETED),
        )


def test_completing_an_activity_records_the_local_date(group: Group) -> None:
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    group.plan.complete_activity(by=group.provider, at=late, activity_id=group.activity_id)
    event = only_event(group.plan)
    assert isinstance(event, Plan.ActivityCompleted)
    done = group.plan.state.activities[group.activity_id]
    assert (done.status, done.completed_on) == (ActivityStatus.COMPLETED, date(2026, 3, 3))


def test_an_activity_cannot_be_completed_twice(group: Group) -> None:
    group.plan.complete_activity(by=group.coordinator, at=AT, activity_id=group.activity_id)
    group.plan.collect_events()
    with refused(group.plan, DuplicateError):
        group.plan.complete_activity(by=group.coordinator, at=LATER, activity_id=group.activity_id)


def test_an_unknown_activity_cannot_be_changed_or_completed(group: Group) -> None:
    with refused(group.plan, NotFoundError):
        group.plan.complete_activity(by=group.coordinator, at=LATER, activity_id=uuid4())
    with refused(group.plan, NotFoundError):
        group.plan.change_activity(
            by=group.coordinator, at=LATER, activity=activity(responsible=group.provider_pid)
        )


def test_changing_an_activity_replaces_it(group: Group) -> None:
    changed = activity(
        group.activity_id,
        responsible=group.relative_pid,
        goal_id=None,
        title="Ny tittel",
        status=ActivityStatus.IN_PROGRESS,
    )
    group.plan.change_activity(by=group.coordinator, at=LATER, activity=changed)
    assert isinstance(only_event(group.plan), Plan.ActivityChanged)
    assert group.plan.state.activities[group.activity_id] == changed


def test_changing_an_activity_cannot_complete_it(group: Group) -> None:
    with refused(group.plan, ValidationError, "status"):
        group.plan.change_activity(
            by=group.coordinator,
            at=LATER,
            activity=replace(
                group.plan.state.activities[group.activity_id], status=ActivityStatus.COMPLETED
            ),
        )


# ------------------------------------------------------------------- minutes


def test_minutes_keep_each_attendee_once_in_the_given_order(group: Group) -> None:
    recorded = minutes(
        (group.relative_pid, group.coordinator_pid, group.relative_pid, group.coordinator_pid),
        notes="  Notater  ",
        decisions=" Vedtak ",
    )
    group.plan.record_minutes(by=group.provider, at=LATER, minutes=recorded)
    event = only_event(group.plan)
    assert isinstance(event, Plan.MinutesRecorded)
    stored = group.plan.state.minutes[recorded.minutes_id]
    assert stored.attendee_ids == (group.relative_pid, group.coordinator_pid)
    assert (stored.notes, stored.decisions) == ("Notater", "Vedtak")
    assert event.minutes == stored


def test_minutes_attendees_must_be_participants(group: Group) -> None:
    remove(group, group.relative_pid)
    for attendee in [group.relative_pid, uuid4()]:
        with refused(group.plan, NotFoundError):
            group.plan.record_minutes(
                by=group.coordinator,
                at=LATER,
                minutes=minutes((group.coordinator_pid, attendee)),
            )


def test_minutes_need_notes(group: Group) -> None:
    with refused(group.plan, ValidationError, "notes"):
        group.plan.record_minutes(
            by=group.coordinator, at=LATER, minutes=minutes((group.coordinator_pid,), notes="  ")
        )


def test_a_minutes_id_cannot_be_used_twice(group: Group) -> None:
    with refused(group.plan, DuplicateError):
        group.plan.record_minutes(
            by=group.coordinator,
            at=LATER,
            minutes=minutes((group.coordinator_pid,), group.minutes_id),
        )


# ------------------------------------------------------------------ comments


@pytest.mark.parametrize("target", list(CommentTarget))
def test_a_comment_is_posted_on_a_goal_activity_or_minutes(
    group: Group, target: CommentTarget
) -> None:
    on_id = {
        CommentTarget.GOAL: group.goal_id,
        CommentTarget.ACTIVITY: group.activity_id,
        CommentTarget.MINUTES: group.minutes_id,
    }[target]
    comment_id = uuid4()
    group.plan.post_comment(
        by=group.owner, at=LATER, comment_id=comment_id, on_kind=target, on_id=on_id, text=" Ja "
    )
    event = only_event(group.plan)
    assert isinstance(event, Plan.CommentPosted)
    assert (event.actor_id, event.actor_role) == (group.owner, Role.OWNER)
    [comment] = group.plan.state.comments
    assert (comment.comment_id, comment.on_kind, comment.on_id, comment.text) == (
        comment_id,
        target,
        on_id,
        "Ja",
    )
    assert (comment.author_participant_id, comment.posted_at) == (group.owner_pid, LATER)


@pytest.mark.parametrize("target", list(CommentTarget))
def test_a_comment_on_an_unknown_item_is_refused(group: Group, target: CommentTarget) -> None:
    # The goal's id names no activity or minutes, and a new id names nothing at all.
    for on_id in [uuid4(), group.goal_id if target is not CommentTarget.GOAL else uuid4()]:
        with refused(group.plan, NotFoundError):
            group.plan.post_comment(
                by=group.coordinator,
                at=LATER,
                comment_id=uuid4(),
                on_kind=target,
                on_id=on_id,
                text="Hm",
            )


def test_a_comment_needs_text(group: Group) -> None:
    with refused(group.plan, ValidationError, "text"):
        group.plan.post_comment(
            by=group.coordinator,
            at=LATER,
            comment_id=uuid4(),
            on_kind=CommentTarget.GOAL,
            on_id=group.goal_id,
            text=" ",
        )


# ------------------------------------------------------------------ messages


def test_a_message_without_recipients_goes_to_every_other_active_participant(
    group: Group,
) -> None:
    remove(group, group.relative_pid)
    message_id = uuid4()
    group.plan.send_message(
        by=group.provider,
        at=LATER,
        message_id=message_id,
        recipient_ids=None,
        subject=" Møte ",
        body=" Tirsdag? ",
    )
    event = only_event(group.plan)
    assert isinstance(event, Plan.MessageSent)
    [message] = group.plan.state.messages
    assert message.message_id == message_id
    assert message.sender_participant_id == group.provider_pid
    assert set(message.recipient_ids) == {group.owner_pid, group.coordinator_pid}
    assert len(message.recipient_ids) == 2
    assert (message.subject, message.body, message.sent_at) == ("Møte", "Tirsdag?", LATER)


def test_a_message_goes_to_each_listed_recipient_once(group: Group) -> None:
    group.plan.send_message(
        by=group.coordinator,
        at=LATER,
        message_id=uuid4(),
        recipient_ids=(group.relative_pid, group.owner_pid, group.relative_pid),
        subject="Hei",
        body="Hei",
    )
    assert group.plan.state.messages[0].recipient_ids == (group.relative_pid, group.owner_pid)


def test_a_sender_listed_among_the_recipients_is_left_out(group: Group) -> None:
    group.plan.send_message(
        by=group.relative,
        at=LATER,
        message_id=uuid4(),
        recipient_ids=(group.relative_pid, group.owner_pid),
        subject="Hei",
        body="Hei",
    )
    assert group.plan.state.messages[0].recipient_ids == (group.owner_pid,)


def test_a_message_to_an_unknown_or_removed_participant_is_refused(group: Group) -> None:
    remove(group, group.relative_pid)
    for recipient in [group.relative_pid, uuid4()]:
        with refused(group.plan, NotFoundError):
            group.plan.send_message(
                by=group.coordinator,
                at=LATER,
                message_id=uuid4(),
                recipient_ids=(group.owner_pid, recipient),
                subject="Hei",
                body="Hei",
            )


@pytest.mark.parametrize("addressed", ["nobody", "only-yourself"])
def test_a_message_must_name_someone_other_than_the_sender(group: Group, addressed: str) -> None:
    recipient_ids = () if addressed == "nobody" else (group.provider_pid,)
    with refused(group.plan, ValidationError, "to"):
        group.plan.send_message(
            by=group.provider,
            at=LATER,
            message_id=uuid4(),
            recipient_ids=recipient_ids,
            subject="Notat til meg selv",
            body="Hei",
        )


@pytest.mark.parametrize(
    ("subject", "body", "field"), [(" ", "Hei", "subject"), ("Hei", "", "body")]
)
def test_a_message_needs_a_subject_and_a_body(
    group: Group, subject: str, body: str, field: str
) -> None:
    with refused(group.plan, ValidationError, field):
        group.plan.send_message(
            by=group.coordinator,
            at=LATER,
            message_id=uuid4(),
            recipient_ids=None,
            subject=subject,
            body=body,
        )


# ------------------------------------------------------------------ calendar


def test_a_calendar_entry_is_added(group: Group) -> None:
    entry = calendar_entry(title=" Møte ", location=" Skolen ")
    group.plan.add_calendar_entry(by=group.relative, at=LATER, entry=entry)
    assert isinstance(only_event(group.plan), Plan.CalendarEntryAdded)
    assert group.plan.state.calendar[entry.entry_id] == replace(
        entry, title="Møte", location="Skolen"
    )


@pytest.mark.parametrize("length", [timedelta(0), timedelta(minutes=-30)])
def test_a_calendar_entry_must_end_after_it_starts(group: Group, length: timedelta) -> None:
    starts = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    entry = calendar_entry(starts_at=starts, ends_at=starts + length)
    with refused(group.plan, ValidationError, "ends_at"):
        group.plan.add_calendar_entry(by=group.coordinator, at=LATER, entry=entry)


def test_a_calendar_entry_may_end_in_another_time_zone_after_it_starts(group: Group) -> None:
    # 09:30 in Oslo (UTC+1 in March) is 08:30 UTC, after 08:00 UTC.
    entry = calendar_entry(
        starts_at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 10, 9, 30, tzinfo=OSLO),
    )
    group.plan.add_calendar_entry(by=group.coordinator, at=LATER, entry=entry)
    assert entry.entry_id in group.plan.state.calendar


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_a_calendar_entry_needs_instants_with_a_time_zone(group: Group, field: str) -> None:
    entry = calendar_entry(
        starts_at=datetime(2026, 3, 10, 8, 0) if field == "starts_at" else AT,
        ends_at=datetime(2026, 3, 10, 9, 0) if field == "ends_at" else LATER,
    )
    with refused(group.plan, ValidationError, field):
        group.plan.add_calendar_entry(by=group.coordinator, at=LATER, entry=entry)


def test_a_calendar_entry_id_cannot_be_used_twice(group: Group) -> None:
    entry = calendar_entry()
    group.plan.add_calendar_entry(by=group.coordinator, at=AT, entry=entry)
    group.plan.collect_events()
    with refused(group.plan, DuplicateError):
        group.plan.add_calendar_entry(by=group.coordinator, at=LATER, entry=entry)


# ------------------------------------------------------------ length limits

# (command, field) for every free text a command takes; each takes (group, text).
TEXT_FIELDS: list[tuple[Callable[[Group, str], None], str]] = [
    (
        lambda g, text: g.plan.add_participant(
            by=g.coordinator,
            at=LATER,
            participant_id=uuid4(),
            person_id=uuid4(),
            role=Role.RELATIVE,
            responsibility=text,
            rights=Rights(),
        ),
        "responsibility",
    ),
    (
        lambda g, text: g.plan.change_participant(
            by=g.coordinator, at=LATER, participant_id=g.relative_pid, responsibility=text
        ),
        "responsibility",
    ),
    (
        lambda g, text: g.plan.renew_consent(
            by=g.coordinator, at=LATER, consent=consent(scope=text)
        ),
        "scope",
    ),
    (lambda g, text: g.plan.change_consent_scope(by=g.coordinator, at=LATER, scope=text), "scope"),
    (
        lambda g, text: g.plan.set_goal(
            by=g.coordinator, at=LATER, goal_id=uuid4(), title="Mål", description=text, due_on=None
        ),
        "description",
    ),
    (
        lambda g, text: g.plan.revise_goal(
            by=g.coordinator,
            at=LATER,
            goal_id=g.goal_id,
            title="Mål",
            description=text,
            due_on=None,
        ),
        "description",
    ),
    (
        lambda g, text: g.plan.evaluate_goal(
            by=g.coordinator, at=LATER, goal_id=g.goal_id, status=GoalStatus.ACHIEVED, text=text
        ),
        "text",
    ),
    (
        lambda g, text: g.plan.add_activity(
            by=g.coordinator,
            at=LATER,
            activity=activity(responsible=g.provider_pid, description=text),
        ),
        "description",
    ),
    (
        lambda g, text: g.plan.change_activity(
            by=g.coordinator,
            at=LATER,
            activity=activity(g.activity_id, responsible=g.provider_pid, description=text),
        ),
        "description",
    ),
    (
        lambda g, text: g.plan.record_minutes(
            by=g.coordinator, at=LATER, minutes=minutes((g.coordinator_pid,), notes=text)
        ),
        "notes",
    ),
    (
        lambda g, text: g.plan.record_minutes(
            by=g.coordinator, at=LATER, minutes=minutes((g.coordinator_pid,), decisions=text)
        ),
        "decisions",
    ),
    (
        lambda g, text: g.plan.post_comment(
            by=g.coordinator,
            at=LATER,
            comment_id=uuid4(),
            on_kind=CommentTarget.GOAL,
            on_id=g.goal_id,
            text=text,
        ),
        "text",
    ),
    (
        lambda g, text: g.plan.send_message(
            by=g.coordinator,
            at=LATER,
            message_id=uuid4(),
            recipient_ids=None,
            subject="Hei",
            body=text,
        ),
        "body",
    ),
    (
        lambda g, text: g.plan.add_calendar_entry(
            by=g.coordinator, at=LATER, entry=calendar_entry(location=text)
        ),
        "location",
    ),
    (
        lambda g, text: g.plan.close(
            by=g.coordinator, at=LATER, ended_on=date(2026, 3, 2), reason=text
        ),
        "reason",
    ),
]

# (command, field) for every short name a command takes; each takes (group, name).
NAME_FIELDS: list[tuple[Callable[[Group, str], None], str]] = [
    (
        lambda g, name: g.plan.renew_consent(
            by=g.coordinator, at=LATER, consent=consent(given_by=name)
        ),
        "given_by",
    ),
    (
        lambda g, name: g.plan.revise_goal(
            by=g.coordinator, at=LATER, goal_id=g.goal_id, title=name, description="", due_on=None
        ),
        "title",
    ),
    (
        lambda g, name: g.plan.change_activity(
            by=g.coordinator,
            at=LATER,
            activity=activity(g.activity_id, responsible=g.provider_pid, title=name),
        ),
        "title",
    ),
    (
        lambda g, name: g.plan.send_message(
            by=g.coordinator,
            at=LATER,
            message_id=uuid4(),
            recipient_ids=None,
            subject=name,
            body="Hei",
        ),
        "subject",
    ),
    (
        lambda g, name: g.plan.add_calendar_entry(
            by=g.coordinator, at=LATER, entry=calendar_entry(title=name)
        ),
        "title",
    ),
]


@pytest.mark.parametrize(
    ("command", "field"), TEXT_FIELDS, ids=[f"{i}-{f}" for i, (_, f) in enumerate(TEXT_FIELDS)]
)
def test_free_text_longer_than_10000_characters_is_refused_naming_the_field(
    group: Group, command: Callable[[Group, str], None], field: str
) -> None:
    with refused(group.plan, ValidationError, field):
        command(group, TOO_LONG_TEXT)
    command(group, "  " + "x" * 10_000 + "  ")
    assert len(group.plan.collect_events()) == 1


@pytest.mark.parametrize(
    ("command", "field"), NAME_FIELDS, ids=[f"{i}-{f}" for i, (_, f) in enumerate(NAME_FIELDS)]
)
def test_a_name_longer_than_200_characters_is_refused_naming_the_field(
    group: Group, command: Callable[[Group, str], None], field: str
) -> None:
    with refused(group.plan, ValidationError, field):
        command(group, TOO_LONG_NAME)
    command(group, "x" * 200)
    assert len(group.plan.collect_events()) == 1


# ------------------------------------------------- actors, instants, refusals


def test_every_event_names_its_actor_with_their_role_and_the_given_instant(group: Group) -> None:
    steps = [
        ("coordinator", Role.COORDINATOR, datetime(2026, 3, 2, 10, 0, tzinfo=UTC), "set_goal"),
        ("provider", Role.PROVIDER, datetime(2026, 3, 2, 11, 0, tzinfo=UTC), "send_message"),
        ("relative", Role.RELATIVE, datetime(2026, 3, 2, 12, 0, tzinfo=UTC), "record_minutes"),
        ("owner", Role.OWNER, datetime(2026, 3, 3, 10, 0, tzinfo=OSLO), "post_comment"),
    ]
    for actor, role, at, command in steps:
        CONTENT_COMMANDS[command](group, getattr(group, actor), at)
        event = only_event(group.plan)
        assert event.actor_id == getattr(group, actor)
        assert event.actor_role is role
        assert event.timestamp == at
        assert group.plan.modified_on == at


def test_a_copy_of_a_plan_is_equal_and_changes_independently(group: Group) -> None:
    CONTENT_COMMANDS["post_comment"](group, group.relative, AT)
    CONTENT_COMMANDS["send_message"](group, group.relative, AT)
    group.plan.collect_events()
    CONTENT_COMMANDS["set_goal"](group, group.coordinator, AT)  # left pending
    original = group.plan
    saved = copy.deepcopy(original.state)
    pending = list(original.pending_events)
    clone = copy.deepcopy(original)
    assert clone == original
    assert clone.state == original.state
    group.plan = clone
    for name, command in [*CONTENT_COMMANDS.items(), *MANAGING_COMMANDS.items()]:
        if name not in ("hand_over_coordinator", "close"):
            command(group, group.coordinator, LATER)
    MANAGING_COMMANDS["hand_over_coordinator"](group, group.coordinator, LATER)
    MANAGING_COMMANDS["close"](group, group.provider, LATER)
    clone.withdraw_consent(by=group.owner, at=LATER, owner_of_age=None)
    clone.reopen(by=group.provider, at=LATER)
    clone.record_archive(by=group.provider, at=LATER, archive_id=uuid4(), digest="d")
    assert clone.version == original.version + len(CONTENT_COMMANDS) + len(MANAGING_COMMANDS) + 3
    assert original.state == saved
    assert original.pending_events == pending
    assert original.state.participants[group.relative_pid].rights == Rights()
    assert original.state.coordinator_id == group.coordinator_pid
    assert (len(original.state.comments), len(original.state.messages)) == (1, 1)
    assert original.state.archives == []


@pytest.mark.parametrize("command", sorted(ALL_COMMANDS))
def test_a_command_given_at_a_naive_instant_is_refused(group: Group, command: str) -> None:
    if command == "reopen":
        close(group)
    with refused(group.plan, ValidationError, "at"):
        ALL_COMMANDS[command](group, group.coordinator, NAIVE)


def test_a_refused_command_leaves_version_and_pending_events_unchanged(group: Group) -> None:
    CONTENT_COMMANDS["set_goal"](group, group.coordinator, AT)
    CONTENT_COMMANDS["send_message"](group, group.provider, AT)
    version = group.plan.version
    pending = list(group.plan.pending_events)
    state = group.plan.state.copy()
    attempts: list[Callable[[], None]] = [
        lambda: CONTENT_COMMANDS["set_goal"](group, group.stranger, LATER),
        lambda: MANAGING_COMMANDS["close"](group, group.provider, LATER),
        lambda: CONTENT_COMMANDS["add_activity"](group, group.coordinator, FIRST_EXPIRED_INSTANT),
        lambda: group.plan.remove_participant(
            by=group.coordinator, at=LATER, participant_id=group.owner_pid
        ),
        lambda: group.plan.complete_activity(by=group.coordinator, at=LATER, activity_id=uuid4()),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError):
            attempt()
        assert group.plan.version == version
        assert group.plan.pending_events == pending
        assert group.plan.state == state
    assert [type(e) for e in group.plan.collect_events()] == [Plan.GoalSet, Plan.MessageSent]


def test_a_reset_after_a_withdrawal_keeps_the_consent_withdrawn(group: Group) -> None:
    group.plan.withdraw_consent(by=group.owner, at=AT, owner_of_age=None)
    group.plan.collect_events()
    group.plan.reset_consent(by=group.coordinator, at=LATER)
    assert group.plan.pending_events == []
    assert group.plan.state.consent.status is ConsentStatus.WITHDRAWN
