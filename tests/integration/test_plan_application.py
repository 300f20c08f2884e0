"""The plan application on a real store: commands, versions, conflicts, several instances."""

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from stafett.aggregates.errors import (
    ConsentNotValidError,
    NotAParticipantError,
    NotFoundError,
    NotPermittedError,
    PlanClosedError,
    ValidationError,
)
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Access,
    ActivityStatus,
    CommentTarget,
    ConsentStatus,
    GoalStatus,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    local_date,
)
from stafett.applications.commands import (
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    ChangeActivity,
    ChangeConsentScope,
    ChangeParticipant,
    ClosePlan,
    CompleteActivity,
    EvaluateGoal,
    HandOverCoordinator,
    PostComment,
    RecordArchive,
    RecordMinutes,
    RemoveParticipant,
    RenewConsent,
    ReopenPlan,
    ResetConsent,
    ReviseGoal,
    SendMessage,
    SetGoal,
    WithdrawConsent,
)
from stafett.applications.parts import CommentOn, ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.applications.results import (
    CommandResult,
    PersonNotFoundError,
    PlanNotFoundError,
    VersionConflictError,
)
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for, person
from tests.integration.support import (
    add_provider,
    count_rows,
    count_time_rows,
    new_plan,
    register,
)


@pytest.fixture
def other_instance(database_url: str, clock: ManualClock) -> Iterator[PlanApplication]:
    """A second application on the same database, as another process would have."""
    app = PlanApplication(Settings(database_url=database_url).event_store_env(), clock=clock)
    try:
        yield app
    finally:
        app.close()


# ------------------------------------------------------------------ creating


def test_a_plan_is_created_for_an_owner_already_in_the_directory(
    plans: PlanApplication, clock: ManualClock
) -> None:
    kari = register(plans, "Kari", "Stafettholder")
    ola = register(plans, "Ola", "Nordmann")
    today = local_date(clock())

    created = plans.create_plan(
        CreatePlan(
            type=PlanType.INDIVIDUAL_PLAN,
            short_name="  Ola – lesing  ",
            start_date=today,
            owner=PersonIn.of(ola),
            consent=ConsentIn.of(consent_for(today)),
        ),
        by=kari,
    )

    assert created.version == 1
    assert created.notification_id == plans.recorder.max_notification_id()
    assert created.notification_id is not None
    view = plans.get_plan(created.plan_id)
    assert view.plan_id == created.plan_id
    assert view.version == 1
    assert view.plan_type is PlanType.INDIVIDUAL_PLAN
    assert view.short_name == "Ola – lesing"
    assert view.owner_person_id == ola
    assert view.created_at == clock.now
    assert view.status is PlanStatus.OPEN
    by_person = {p.person_id: p for p in view.participants}
    assert by_person.keys() == {kari, ola}
    assert by_person[ola].role is Role.OWNER
    assert by_person[kari].role is Role.PROVIDER
    assert by_person[kari].rights == FULL_RIGHTS
    assert view.coordinator_participant_id == by_person[kari].participant_id
    assert plans.plan_ids() == [created.plan_id]


def test_a_plan_is_created_for_a_new_owner_who_is_registered_in_the_directory(
    plans: PlanApplication, clock: ManualClock
) -> None:
    kari = register(plans, "Kari", "Stafettholder")
    today = local_date(clock())

    created = plans.create_plan(
        CreatePlan(
            type=PlanType.RELAY_LOG,
            short_name="Ola – trivsel",
            start_date=today,
            owner=PersonIn.of(
                person("Ola", "Nordmann", birth_date=today.replace(year=today.year - 9))
            ),
            consent=ConsentIn.of(consent_for(today)),
        ),
        by=kari,
    )

    owner_id = plans.get_plan(created.plan_id).owner_person_id
    owner = plans.get_person(owner_id)
    assert owner.full_name == "Ola Nordmann"
    assert [p.person_id for p in plans.directory.find_by_name("ola nordmann")] == [owner_id]
    assert plans.directory.changes_of(owner_id)[0][0] == "registered"


def test_creating_a_plan_by_an_unknown_person_is_refused_and_writes_nothing(
    plans: PlanApplication, clock: ManualClock
) -> None:
    today = local_date(clock())
    persons_before = count_rows(plans, "persons")

    with pytest.raises(PersonNotFoundError):
        plans.create_plan(
            CreatePlan(
                type=PlanType.RELAY_LOG,
                short_name="Ola – trivsel",
                start_date=today,
                owner=PersonIn.of(person("Ola", "Nordmann")),
                consent=ConsentIn.of(consent_for(today)),
            ),
            by=uuid4(),
        )

    assert plans.recorder.max_notification_id() is None
    assert plans.plan_ids() == []
    assert plans.directory.find_by_name("Ola Nordmann") == []
    assert count_rows(plans, "persons") == persons_before


@pytest.mark.parametrize(
    ("field", "end_after_days", "consent_days"),
    [("end_date", -1, 210), ("expires_on", None, -5)],
    ids=["end_before_start", "consent_expiring_before_given"],
)
def test_creating_a_plan_with_invalid_input_names_the_field_and_leaves_no_new_person(
    plans: PlanApplication,
    clock: ManualClock,
    field: str,
    end_after_days: int | None,
    consent_days: int,
) -> None:
    kari = register(plans, "Kari", "Stafettholder")
    new_plan(plans, coordinator_id=kari)
    today = local_date(clock())
    head = plans.recorder.max_notification_id()
    persons_before = count_rows(plans, "persons")

    with pytest.raises(ValidationError) as refused:
        plans.create_plan(
            CreatePlan(
                type=PlanType.RELAY_LOG,
                short_name="Lise – skolestart",
                start_date=today,
                owner=PersonIn.of(person("Lise", "Bakken")),
                consent=ConsentIn.of(consent_for(today, days=consent_days)),
                end_date=None if end_after_days is None else today + timedelta(days=end_after_days),
            ),
            by=kari,
        )

    assert refused.value.field == field
    assert plans.directory.find_by_name("Lise Bakken") == []
    assert count_rows(plans, "persons") == persons_before
    assert plans.recorder.max_notification_id() == head
    assert len(plans.plan_ids()) == 1


def test_creating_a_plan_for_an_owner_id_not_in_the_directory_names_the_owner(
    plans: PlanApplication, clock: ManualClock
) -> None:
    kari = register(plans, "Kari", "Stafettholder")
    today = local_date(clock())

    with pytest.raises(ValidationError) as refused:
        plans.create_plan(
            CreatePlan(
                type=PlanType.RELAY_LOG,
                short_name="Ola – trivsel",
                start_date=today,
                owner=PersonIn.of(uuid4()),
                consent=ConsentIn.of(consent_for(today)),
            ),
            by=kari,
        )

    assert refused.value.field == "owner"
    assert plans.recorder.max_notification_id() is None


# ------------------------------------------------------------------ commands


def test_every_command_returns_its_new_version_and_notification_id(
    plans: PlanApplication, clock: ManualClock
) -> None:
    plan = new_plan(plans)
    pid, kari = plan.plan_id, plan.coordinator_id
    anne = register(plans, "Anne", "Nordmann")
    today = local_date(clock())
    results: list[tuple[str, CommandResult]] = []

    def run(name: str, command: Callable[[], CommandResult]) -> CommandResult:
        clock.advance(timedelta(minutes=1))
        before = plans.get_plan(pid).version
        result = command()
        assert result.plan_id == pid, name
        assert result.version == before + 1, name
        assert result.notification_id is not None, name
        assert result.notification_id == plans.recorder.max_notification_id(), name
        assert plans.get_plan(pid).version == result.version, name
        results.append((name, result))
        return result

    anne_part = run(
        "add_participant(existing)",
        lambda: plans.handle(
            pid, AddParticipant(person=PersonIn.of(anne), role="relative"), by=kari
        ),
    ).created_id
    per_part = run(
        "add_participant(new)",
        lambda: plans.handle(
            pid,
            AddParticipant(person=PersonIn.of(person("Per", "Lærer")), role="provider"),
            by=kari,
        ),
    ).created_id
    assert anne_part is not None
    assert per_part is not None
    run(
        "change_participant",
        lambda: plans.handle(
            pid, ChangeParticipant(participant_id=per_part, responsibility="Kontaktlærer"), by=kari
        ),
    )
    run(
        "change_rights",
        lambda: plans.handle(
            pid,
            ChangeParticipant(
                participant_id=anne_part, rights=RightsIn.of(Rights(goals=Access.READ))
            ),
            by=kari,
        ),
    )
    goal = run(
        "set_goal", lambda: plans.handle(pid, SetGoal(title="Lese hver dag"), by=kari)
    ).created_id
    assert goal is not None
    run(
        "revise_goal",
        lambda: plans.handle(
            pid,
            ReviseGoal(goal_id=goal, title="Lese 20 minutter", description="", due_on=None),
            by=kari,
        ),
    )
    run(
        "evaluate_goal",
        lambda: plans.handle(
            pid,
            EvaluateGoal(goal_id=goal, status=GoalStatus.PARTLY_ACHIEVED, text="Godt i gang"),
            by=kari,
        ),
    )
    activity = run(
        "add_activity",
        lambda: plans.handle(
            pid,
            AddActivity(title="Leselekse", responsible_participant_id=per_part, goal_id=goal),
            by=kari,
        ),
    ).created_id
    assert activity is not None
    run(
        "change_activity",
        lambda: plans.handle(
            pid,
            ChangeActivity(
                activity_id=activity,
                title="Leselekse",
                responsible_participant_id=per_part,
                status=ActivityStatus.IN_PROGRESS,
                description="",
                due_on=None,
                goal_id=None,
            ),
            by=kari,
        ),
    )
    run(
        "complete_activity",
        lambda: plans.handle(pid, CompleteActivity(activity_id=activity), by=kari),
    )
    minutes = run(
        "record_minutes",
        lambda: plans.handle(
            pid,
            RecordMinutes(met_on=today, attendee_ids=[anne_part, per_part], notes="Oppstart"),
            by=kari,
        ),
    ).created_id
    comment = run(
        "post_comment",
        lambda: plans.handle(
            pid,
            PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=goal), text="Fint mål"),
            by=anne,
        ),
    ).created_id
    message = run(
        "send_message",
        lambda: plans.handle(pid, SendMessage(to="all", subject="Møte", body="Hei"), by=kari),
    ).created_id
    starts = clock.now + timedelta(days=3)
    entry = run(
        "add_calendar_entry",
        lambda: plans.handle(
            pid,
            AddCalendarEntry(title="Møte", starts_at=starts, ends_at=starts + timedelta(hours=1)),
            by=kari,
        ),
    ).created_id
    run("change_consent_scope", lambda: plans.handle(pid, ChangeConsentScope(scope="Mål"), by=kari))
    run(
        "renew_consent",
        lambda: plans.handle(pid, RenewConsent.of(consent_for(today, days=300)), by=kari),
    )
    run(
        "remove_participant",
        lambda: plans.handle(pid, RemoveParticipant(participant_id=anne_part), by=kari),
    )
    run(
        "hand_over_coordinator",
        lambda: plans.handle(pid, HandOverCoordinator(participant_id=per_part), by=kari),
    )
    per = plans.get_plan(pid).participants
    per_id = next(p.person_id for p in per if p.participant_id == per_part)
    run(
        "close_plan",
        lambda: plans.handle(pid, ClosePlan(ended_on=today, reason="Ferdig"), by=per_id),
    )
    run("reopen_plan", lambda: plans.handle(pid, ReopenPlan(), by=per_id))
    archive = run(
        "record_archive", lambda: plans.handle(pid, RecordArchive(digest="sha256:abc"), by=per_id)
    ).created_id
    run("reset_consent", lambda: plans.handle(pid, ResetConsent(), by=per_id))
    run("withdraw_consent", lambda: plans.handle(pid, WithdrawConsent(), by=per_id))

    assert [r.version for _, r in results] == list(range(2, 2 + len(results)))
    ids: list[int] = []
    for _, r in results:
        assert r.notification_id is not None
        ids.append(r.notification_id)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    view = plans.get_plan(pid)
    assert view.version == 1 + len(results) == 24
    assert [g.goal_id for g in view.goals] == [goal]
    assert [a.activity_id for a in view.activities] == [activity]
    assert [m.minutes_id for m in view.minutes] == [minutes]
    assert [c.comment_id for c in view.comments] == [comment]
    assert [m.message_id for m in view.messages] == [message]
    assert [e.entry_id for e in view.calendar] == [entry]
    assert [a.archive_id for a in view.archives] == [archive]
    assert view.coordinator_participant_id == per_part
    assert view.consent.status is ConsentStatus.WITHDRAWN
    assert count_time_rows(plans, pid) == view.version


def test_a_command_that_changes_nothing_returns_no_notification_id(
    plans: PlanApplication,
) -> None:
    plan = new_plan(plans)
    added = plans.handle(
        plan.plan_id,
        AddParticipant(
            person=PersonIn.of(register(plans, "Anne", "Nordmann")),
            role="relative",
            rights=RightsIn.of(Rights(messages=Access.NONE)),
        ),
        by=plan.coordinator_id,
    )
    assert added.created_id is not None
    head = plans.recorder.max_notification_id()

    unchanged = plans.handle(
        plan.plan_id,
        ChangeParticipant(
            participant_id=added.created_id, rights=RightsIn.of(Rights(messages=Access.NONE))
        ),
        by=plan.coordinator_id,
    )

    assert unchanged == CommandResult(plan.plan_id, added.version, None, None)
    assert plans.recorder.max_notification_id() == head
    assert plans.get_plan(plan.plan_id).version == added.version

    reset = plans.handle(plan.plan_id, ResetConsent(), by=plan.coordinator_id)
    assert reset.notification_id is not None
    reset_again = plans.handle(plan.plan_id, ResetConsent(), by=plan.coordinator_id)
    assert reset_again.notification_id is None
    assert reset_again.version == reset.version


def test_an_unknown_plan_is_not_found_by_commands_and_reads(
    plans: PlanApplication, clock: ManualClock
) -> None:
    plan = new_plan(plans)
    unknown = uuid4()
    head = plans.recorder.max_notification_id()
    persons_before = count_rows(plans, "persons")
    kari = plan.coordinator_id

    commands: list[Callable[[], object]] = [
        lambda: plans.handle(unknown, SetGoal(title="Mål"), by=kari),
        lambda: plans.handle(unknown, ClosePlan(ended_on=local_date(clock())), by=kari),
        lambda: plans.handle(unknown, ResetConsent(), by=kari),
        lambda: plans.handle(
            unknown, AddParticipant(person=PersonIn.of(plan.owner_id), role="relative"), by=kari
        ),
        lambda: plans.handle(
            unknown,
            AddParticipant(person=PersonIn.of(person("Lise", "Bakken")), role="relative"),
            by=kari,
        ),
    ]
    reads: list[Callable[[], object]] = [
        lambda: plans.get_plan(unknown),
        lambda: plans.plan_as_of(unknown, version=1),
        lambda: plans.plan_as_of(unknown, at=clock.now),
        lambda: plans.timeline(unknown),
    ]
    for call in commands + reads:
        with pytest.raises(PlanNotFoundError):
            call()

    assert plans.recorder.max_notification_id() == head
    assert plans.directory.find_by_name("Lise Bakken") == []
    assert count_rows(plans, "persons") == persons_before


# ------------------------------------------------------------------ versions


def test_a_stale_expected_version_is_refused_and_writes_nothing(plans: PlanApplication) -> None:
    plan = new_plan(plans)
    first = plans.handle(plan.plan_id, SetGoal(title="Lese hver dag"), by=plan.coordinator_id)
    head = plans.recorder.max_notification_id()

    with pytest.raises(VersionConflictError) as conflict:
        plans.handle(
            plan.plan_id, SetGoal(title="Svømme"), by=plan.coordinator_id, expected_version=1
        )
    assert (conflict.value.expected, conflict.value.actual) == (1, first.version)

    with pytest.raises(VersionConflictError):
        plans.handle(
            plan.plan_id,
            AddParticipant(person=PersonIn.of(person("Lise", "Bakken")), role="relative"),
            by=plan.coordinator_id,
            expected_version=1,
        )

    assert plans.recorder.max_notification_id() == head
    view = plans.get_plan(plan.plan_id)
    assert view.version == first.version
    assert [g.title for g in view.goals] == ["Lese hver dag"]
    assert plans.directory.find_by_name("Lise Bakken") == []


def test_the_current_expected_version_is_accepted(plans: PlanApplication) -> None:
    plan = new_plan(plans)
    first = plans.handle(
        plan.plan_id, SetGoal(title="Lese"), by=plan.coordinator_id, expected_version=1
    )

    second = plans.handle(
        plan.plan_id,
        SetGoal(title="Svømme"),
        by=plan.coordinator_id,
        expected_version=first.version,
    )

    assert (first.version, second.version) == (2, 3)
    assert [g.title for g in plans.get_plan(plan.plan_id).goals] == ["Lese", "Svømme"]


# ------------------------------------------------------------ two instances


def test_a_write_through_one_instance_is_seen_by_the_other(
    plans: PlanApplication, other_instance: PlanApplication
) -> None:
    plan = new_plan(plans)
    kari = plan.coordinator_id
    assert other_instance.get_plan(plan.plan_id).version == 1  # now in its cache
    plans.handle(plan.plan_id, SetGoal(title="Lese"), by=kari)
    written = plans.handle(plan.plan_id, SetGoal(title="Svømme"), by=kari)

    seen = other_instance.get_plan(plan.plan_id)
    assert seen.version == written.version == 3
    assert [g.title for g in seen.goals] == ["Lese", "Svømme"]

    answered = other_instance.handle(
        plan.plan_id, SetGoal(title="Sykle"), by=kari, expected_version=written.version
    )
    assert answered.version == 4
    assert plans.get_plan(plan.plan_id) == other_instance.get_plan(plan.plan_id)
    assert [g.title for g in plans.get_plan(plan.plan_id).goals] == ["Lese", "Svømme", "Sykle"]
    assert other_instance.directory.get(kari).full_name == "Kari Stafettholder"


def test_interleaved_commands_from_two_instances_lose_no_event(
    plans: PlanApplication, other_instance: PlanApplication, clock: ManualClock
) -> None:
    plan = new_plan(plans)
    apps = (plans, other_instance)
    for n in range(12):
        clock.advance()
        apps[n % 2].handle(plan.plan_id, SetGoal(title=f"Mål {n}"), by=plan.coordinator_id)

    for app in apps:
        view = app.get_plan(plan.plan_id)
        assert view.version == 1 + 12
        assert [g.title for g in view.goals] == [f"Mål {n}" for n in range(12)]
        assert [e.version for e in app.timeline(plan.plan_id)] == list(range(1, 14))
    assert count_time_rows(plans, plan.plan_id) == 13


class RacingClock:
    """A clock that lets another instance write once, just after a command loaded its plan."""

    def __init__(self, clock: ManualClock, race: Callable[[], object]) -> None:
        self.clock = clock
        self.race: Callable[[], object] | None = race

    def __call__(self) -> datetime:
        race, self.race = self.race, None
        if race is not None:
            race()
        return self.clock()


def test_a_command_that_loses_a_race_is_retried_on_fresh_state(
    plans: PlanApplication, database_url: str, clock: ManualClock
) -> None:
    plan = new_plan(plans)
    kari = plan.coordinator_id
    racing = RacingClock(clock, lambda: plans.handle(plan.plan_id, SetGoal(title="Først"), by=kari))
    env = Settings(database_url=database_url).event_store_env()
    loser = PlanApplication(env, clock=racing)
    try:
        assert loser.get_plan(plan.plan_id).version == 1
        result = loser.handle(plan.plan_id, SetGoal(title="Etter"), by=kari)
        assert racing.race is None  # the other write did happen in between
        assert result.version == 3
        assert result.notification_id == plans.recorder.max_notification_id()
        for app in (plans, loser):
            assert [g.title for g in app.get_plan(plan.plan_id).goals] == ["Først", "Etter"]
    finally:
        loser.close()
    assert count_time_rows(plans, plan.plan_id) == 3


def test_a_command_that_loses_a_race_with_an_expected_version_is_a_conflict(
    plans: PlanApplication, database_url: str, clock: ManualClock
) -> None:
    plan = new_plan(plans)
    kari = plan.coordinator_id
    racing = RacingClock(clock, lambda: plans.handle(plan.plan_id, SetGoal(title="Først"), by=kari))
    loser = PlanApplication(Settings(database_url=database_url).event_store_env(), clock=racing)
    try:
        with pytest.raises(VersionConflictError) as conflict:
            loser.handle(plan.plan_id, SetGoal(title="Etter"), by=kari, expected_version=1)
        assert (conflict.value.expected, conflict.value.actual) == (1, 2)
        assert [g.title for g in loser.get_plan(plan.plan_id).goals] == ["Først"]
    finally:
        loser.close()
    assert plans.get_plan(plan.plan_id).version == 2
    assert count_time_rows(plans, plan.plan_id) == 2


def test_concurrent_writers_on_two_instances_lose_no_event(
    plans: PlanApplication, other_instance: PlanApplication
) -> None:
    """Each command either lands or reports a conflict; none is lost or half-written.

    A command that keeps losing the race gives up after a few attempts with
    `VersionConflictError`; that is an answer the caller sees, not a lost event.
    """
    plan = new_plan(plans)
    writers, per_writer = 4, 6
    start = threading.Barrier(writers)
    landed: list[str] = []
    refused: list[VersionConflictError] = []
    errors: list[BaseException] = []

    def write(app: PlanApplication, writer: int) -> None:
        start.wait()
        for n in range(per_writer):
            title = f"{writer}-{n}"
            try:
                app.handle(plan.plan_id, SetGoal(title=title), by=plan.coordinator_id)
            except VersionConflictError as conflict:
                refused.append(conflict)
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
            else:
                landed.append(title)

    threads = [
        threading.Thread(target=write, args=((plans, other_instance)[w % 2], w))
        for w in range(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(landed) + len(refused) == writers * per_writer
    assert len(landed) > writers * per_writer // 2
    for app in (plans, other_instance):
        view = app.get_plan(plan.plan_id)
        assert view.version == 1 + len(landed)
        assert sorted(g.title for g in view.goals) == sorted(landed)
    assert count_time_rows(plans, plan.plan_id) == 1 + len(landed)


# ------------------------------------------------------------------ refusals


def test_a_refused_command_writes_nothing(plans: PlanApplication, clock: ManualClock) -> None:
    plan = new_plan(plans)
    per, per_part = add_provider(plans, plan, "Per", "Lærer")
    stranger = register(plans, "Sara", "Fremmed")
    head = plans.recorder.max_notification_id()
    version = plans.get_plan(plan.plan_id).version
    persons_before = count_rows(plans, "persons")

    with pytest.raises(NotAParticipantError):
        plans.handle(plan.plan_id, SetGoal(title="Mål"), by=stranger)
    with pytest.raises(NotPermittedError):
        plans.handle(plan.plan_id, HandOverCoordinator(participant_id=per_part), by=per)
    with pytest.raises(NotPermittedError):
        plans.handle(
            plan.plan_id,
            AddParticipant(person=PersonIn.of(person("Lise", "Bakken")), role="relative"),
            by=per,
        )
    with pytest.raises(ValidationError) as refused:
        plans.handle(
            plan.plan_id,
            AddCalendarEntry(
                title="Møte", starts_at=clock.now, ends_at=clock.now - timedelta(hours=1)
            ),
            by=plan.coordinator_id,
        )
    assert refused.value.field == "ends_at"

    assert plans.recorder.max_notification_id() == head
    assert plans.get_plan(plan.plan_id).version == version
    assert plans.directory.find_by_name("Lise Bakken") == []
    assert count_rows(plans, "persons") == persons_before

    plans.handle(plan.plan_id, ClosePlan(ended_on=local_date(clock())), by=plan.coordinator_id)
    closed_head = plans.recorder.max_notification_id()
    with pytest.raises(PlanClosedError):
        plans.handle(plan.plan_id, SetGoal(title="Mål"), by=plan.coordinator_id)
    assert plans.recorder.max_notification_id() == closed_head
    assert plans.get_plan(plan.plan_id).version == version + 1
    assert plans.get_plan(plan.plan_id).goals == ()
    assert count_time_rows(plans, plan.plan_id) == version + 1


def test_a_refused_command_leaves_the_cached_plan_untouched(
    plans: PlanApplication, clock: ManualClock
) -> None:
    plan = new_plan(plans)
    before = plans.get_plan(plan.plan_id)
    clock.advance(timedelta(days=400))  # consent has expired by now

    with pytest.raises(ConsentNotValidError):
        plans.handle(plan.plan_id, SetGoal(title="Mål"), by=plan.coordinator_id)

    assert plans.get_plan(plan.plan_id) == before


def test_a_stranger_with_a_stale_version_learns_nothing_about_the_plan(
    plans: PlanApplication,
) -> None:
    """Someone outside the plan gets 'not a participant', never the plan's version."""
    plan = new_plan(plans)
    stranger = register(plans, "Sara", "Fremmed")
    with pytest.raises(NotAParticipantError) as refused:
        plans.handle(plan.plan_id, SetGoal(title="Mål"), by=stranger, expected_version=99)
    assert "version" not in str(refused.value)


def test_rights_and_responsibility_change_together_or_not_at_all(
    plans: PlanApplication,
) -> None:
    plan = new_plan(plans)
    _, per_part = add_provider(plans, plan, "Per", "Lærer")
    before = plans.get_plan(plan.plan_id)
    with pytest.raises(ValidationError):
        plans.handle(
            plan.plan_id,
            ChangeParticipant(
                participant_id=per_part,
                rights=RightsIn.of(Rights(goals=Access.READ)),
                responsibility="x" * 10_001,
            ),
            by=plan.coordinator_id,
        )
    assert plans.get_plan(plan.plan_id) == before
    result = plans.handle(
        plan.plan_id,
        ChangeParticipant(
            participant_id=per_part,
            rights=RightsIn.of(Rights(goals=Access.READ)),
            responsibility="Leseopplæring",
        ),
        by=plan.coordinator_id,
    )
    assert result.version == before.version + 2
    changed = {p.participant_id: p for p in plans.get_plan(plan.plan_id).participants}[per_part]
    assert (changed.rights.goals, changed.responsibility) == (Access.READ, "Leseopplæring")


def test_an_activity_revised_and_completed_in_one_go_is_saved_together_or_not_at_all(
    plans: PlanApplication,
) -> None:
    plan = new_plan(plans)
    _, per_part = add_provider(plans, plan, "Per", "Lærer")
    activity_id = plans.handle(
        plan.plan_id,
        AddActivity(title="Lesekvarter", responsible_participant_id=per_part),
        by=plan.coordinator_id,
    ).created_id
    assert activity_id is not None
    before = plans.get_plan(plan.plan_id)
    with pytest.raises(NotFoundError):
        plans.handle(
            plan.plan_id,
            ChangeActivity(
                activity_id=activity_id,
                title="Lesekvarter hver dag",
                responsible_participant_id=uuid4(),
                status=ActivityStatus.COMPLETED,
            ),
            by=plan.coordinator_id,
        )
    assert plans.get_plan(plan.plan_id) == before
    result = plans.handle(
        plan.plan_id,
        ChangeActivity(
            activity_id=activity_id, title="Lesekvarter hver dag", status=ActivityStatus.COMPLETED
        ),
        by=plan.coordinator_id,
    )
    assert result.version == before.version + 2
    (done,) = plans.get_plan(plan.plan_id).activities
    assert (done.title, done.status) == ("Lesekvarter hver dag", ActivityStatus.COMPLETED)
    assert done.completed_on is not None


@pytest.mark.parametrize("with_plan_part", [True, False])
def test_a_person_erased_while_their_change_is_saved_leaves_nothing_saved(
    plans: PlanApplication, with_plan_part: bool
) -> None:
    """The plan's part of a participant change (responsibility) and the person's part (a
    new workplace) are saved together or not at all: the person erased between the check
    and the save refuses both, and the plan keeps its version."""
    plan = new_plan(plans)
    person_id = register(plans, "Per", "Lærer")
    added = plans.handle(
        plan.plan_id,
        AddParticipant(person=PersonIn.of(person_id), role="provider"),
        by=plan.coordinator_id,
    )
    assert added.created_id is not None
    head = plans.recorder.max_notification_id()

    def erase_first(changing: object, _after: object) -> None:
        plans.directory.erase(person_id, actor_id=None, at=plans.clock(), kind="erased")

    plans.person_changing = erase_first
    plan_part: dict[str, Any] = {"responsibility": "Kontaktlærer"} if with_plan_part else {}
    change = ChangeParticipant(participant_id=added.created_id, workplace="Bø skole", **plan_part)
    with pytest.raises(PersonNotFoundError):
        plans.handle(plan.plan_id, change, by=plan.coordinator_id)
    assert plans.recorder.max_notification_id() == head
    view = plans.get_plan(plan.plan_id)
    assert view.version == added.version
    assert [p.responsibility for p in view.participants if p.person_id == person_id] == [""]


def test_a_write_beside_the_events_that_fails_in_python_leaves_no_event(
    plans: PlanApplication,
) -> None:
    """Rows that must commit with a command's events (`ALSO_WRITE`): a writer that raises
    (not the database refusing a statement) rolls the events back on both stores."""
    plan = new_plan(plans)
    head = plans.recorder.max_notification_id()
    aggregate: object = plans.repository.get(plan.plan_id)
    assert isinstance(aggregate, Plan)
    aggregate.set_goal(
        by=plan.coordinator_id,
        at=plans.clock(),
        goal_id=uuid4(),
        title="Lese",
        description="",
        due_on=None,
    )

    def refuse(_cursor: object) -> None:
        raise RuntimeError("the other row cannot be written")

    with pytest.raises(RuntimeError):
        plans._save_with(aggregate, None, also=[refuse])
    assert plans.recorder.max_notification_id() == head
    assert list(plans.events.get(plan.plan_id, gt=aggregate.version - 1)) == []
