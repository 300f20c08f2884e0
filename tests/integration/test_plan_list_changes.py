"""'Changed since your last visit' is a change to something the member may read now
(decision 0050), on SQLite and PostgreSQL: the plan list and the plan's home ask the
same rule (`plans_for`, `since_last_visit`), which the policy table decides part by part.

A provider whose rights on activities and messages are `none` opened the plan; the
coordinator then adds an activity, comments on it and writes to another member: her
list must not say the plan changed (it would tell her when something she may not read
was written), while it does for those who may read those parts.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking
from structlog.testing import capture_logs

from stafett.aggregates.plan_events import PLAN_EVENTS
from stafett.aggregates.policy import PART_SECTION
from stafett.aggregates.values import Access, CommentTarget, PlanType, Rights, Role
from stafett.applications.commands import (
    AddActivity,
    AddParticipant,
    ChangeParticipant,
    ChooseNotifications,
    PostComment,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn, ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import plan_list_runner
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables
from stafett.projections.plan_list import (
    MEMBERS_TABLE,
    PLANS_TABLE,
    PlanListProjection,
    PlanListView,
    construct_view,
)
from stafett.projections.plan_list.projection import STAMPED_PART, TOLD
from stafett.projections.plan_list.schema import SCHEMA_TABLE, SCHEMA_VERSION
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for, person
from tests.integration.test_plan_list import START, project

WAIT_SECONDS = 60.0  # an upper bound for a loaded machine, not a speed goal
HIDDEN = Rights(activities=Access.NONE, messages=Access.NONE)  # Helga's


@dataclass
class Plan:
    plan_id: UUID
    people: dict[str, UUID]  # name: person id
    members: dict[str, UUID]  # name: participant id

    def by(self, name: str) -> UUID:
        return self.people[name]


def make_plan(plans: PlanApplication, short_name: str = "Ola sin plan") -> Plan:
    """kari coordinates; ola owns it; mor is a relative (full rights); helga a provider
    who may read the goals and minutes but not the activities or messages."""
    names = ("kari", "ola", "mor", "helga")
    people = {
        n: plans.register_person(person(n.title(), "Testesen"), by=None).person_id for n in names
    }
    created = plans.create_plan(
        CreatePlan(
            type=PlanType.INDIVIDUAL_PLAN,
            short_name=short_name,
            start_date=START,
            owner=PersonIn.of(people["ola"]),
            consent=ConsentIn.of(consent_for(START)),
        ),
        by=people["kari"],
    )
    plan = Plan(created.plan_id, people, {})
    state = plans.get_plan(plan.plan_id)
    plan.members["kari"] = state.coordinator_participant_id
    plan.members["ola"] = next(p.participant_id for p in state.participants if p.role is Role.OWNER)
    role: Literal["relative", "provider"]
    for name, role, rights in (("mor", "relative", Rights()), ("helga", "provider", HIDDEN)):
        added = plans.handle(
            plan.plan_id,
            AddParticipant(person=PersonIn.of(people[name]), role=role, rights=RightsIn.of(rights)),
            by=people["kari"],
        )
        assert added.created_id is not None
        plan.members[name] = added.created_id
    return plan


def changed(view: PlanListView, plan: Plan, today: date) -> dict[str, bool]:
    """Per member, whether their list says the plan changed; the plan's home (the same
    rule asked for one plan) must say the same."""
    found = {}
    for name, person_id in plan.people.items():
        [row] = [r for r in view.plans_for(person_id, today=today) if r.id == plan.plan_id]
        since = view.since_last_visit(person_id, plan.plan_id, today=today)
        assert since.changed == row.changed_since_last_visit, name
        found[name] = row.changed_since_last_visit
    return found


def everyone_visits(view: PlanListView, plan: Plan, clock: ManualClock) -> None:
    at = clock.advance(timedelta(minutes=1))
    view.note_visits([(p, plan.plan_id, at) for p in plan.people.values()])
    clock.advance(timedelta(minutes=1))


@pytest.fixture
def seen(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> Callable[[Plan], dict[str, bool]]:
    """Project what is new, then who is told the plan changed since everyone's visit;
    then everyone visits again."""
    projection = PlanListProjection(view)

    def after(plan: Plan) -> dict[str, bool]:
        project(plans, projection)
        found = changed(view, plan, clock.now.date())
        everyone_visits(view, plan, clock)
        return found

    return after


def test_a_change_counts_only_for_those_who_may_read_its_part(
    plans: PlanApplication,
    view: PlanListView,
    clock: ManualClock,
    seen: Callable[[Plan], dict[str, bool]],
) -> None:
    plan = make_plan(plans)
    kari = plan.by("kari")
    nobody = dict.fromkeys(plan.people, False)
    seen(plan)
    assert seen(plan) == nobody  # visited: nothing new

    activity = plans.handle(
        plan.plan_id,
        AddActivity(title="Svømming", responsible_participant_id=plan.members["mor"]),
        by=kari,
    )
    assert seen(plan) == nobody | {"kari": True, "ola": True, "mor": True}  # not helga

    assert activity.created_id is not None
    on_activity = CommentOn(kind=CommentTarget.ACTIVITY, id=activity.created_id)
    plans.handle(plan.plan_id, PostComment(on=on_activity, text="Husk badetøy"), by=kari)
    assert seen(plan) == nobody | {"kari": True, "ola": True, "mor": True}  # not helga

    to_mor = SendMessage(to=[plan.members["mor"]], subject="Barnevern", body="Fortrolig")
    plans.handle(plan.plan_id, to_mor, by=kari)
    assert seen(plan) == nobody | {"kari": True, "mor": True}  # its sender and recipient

    goal = plans.handle(plan.plan_id, SetGoal(title="Lese"), by=kari)
    assert seen(plan) == dict.fromkeys(plan.people, True)  # helga reads the goals

    assert goal.created_id is not None
    on_goal = CommentOn(kind=CommentTarget.GOAL, id=goal.created_id)
    plans.handle(plan.plan_id, PostComment(on=on_goal, text="Fint"), by=plan.by("helga"))
    assert seen(plan) == dict.fromkeys(plan.people, True)

    responsibility = ChangeParticipant(participant_id=plan.members["mor"], responsibility="Mor")
    plans.handle(plan.plan_id, responsibility, by=kari)
    assert seen(plan) == dict.fromkeys(plan.people, True)  # the plan group: everyone sees it

    rights = RightsIn.of(Rights(minutes=Access.READ))
    plans.handle(
        plan.plan_id, ChangeParticipant(participant_id=plan.members["mor"], rights=rights), by=kari
    )
    assert seen(plan) == nobody | {"kari": True, "mor": True}  # her own, and the coordinator's

    choices = ChooseNotifications(participant_id=plan.members["ola"], new_message=["sms"])
    plans.handle(plan.plan_id, choices, by=plan.by("ola"))
    assert seen(plan) == nobody | {"kari": True, "ola": True}


def test_every_kind_of_plan_event_is_told_with_the_part_it_changes() -> None:
    """None falls to `plan_touched` (no member told) by being left out: each kind is named
    once, by `STAMPED_PART`, by `TOLD` or by a handler of its own; a stamped part is a
    content part (its section's readers) or one everyone who may open the plan reads."""
    dispatch = PlanListProjection.__dict__["_project"].dispatcher.dispatch
    for cls in PLAN_EVENTS:
        own = dispatch(cls) is not PlanListProjection._other
        assert [cls in STAMPED_PART, cls in TOLD, own].count(True) == 1, cls.__name__
    shared = {"participants", "consent", "overview", "archives"}
    assert set(STAMPED_PART.values()) <= set(PART_SECTION) | shared


def test_the_list_is_ordered_by_what_each_member_may_read(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    """Newest first by the member's own changes: a hidden change moves no plan up."""
    projection = PlanListProjection(view)
    first = make_plan(plans, "Første")
    clock.advance(timedelta(hours=1))
    second = make_plan(plans, "Andre")
    helga, kari = first.by("helga"), first.by("kari")
    plans.handle(
        second.plan_id,
        AddParticipant(person=PersonIn.of(helga), role="provider", rights=RightsIn.of(HIDDEN)),
        by=second.by("kari"),
    )
    clock.advance(timedelta(hours=1))
    plans.handle(
        first.plan_id,
        AddActivity(title="Skjult", responsible_participant_id=first.members["mor"]),
        by=kari,
    )
    project(plans, projection)
    listed = [r.id for r in view.plans_for(helga, today=START)]
    assert listed == [second.plan_id, first.plan_id]
    assert [r.id for r in view.plans_for(kari, today=START)] == [first.plan_id]


def test_a_membership_the_list_has_not_got_yet_tells_nothing(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    plan = make_plan(plans)  # not projected
    helga = plan.by("helga")
    assert view.since_last_visit(helga, plan.plan_id, today=START).changed  # never opened
    view.note_visit(helga, plan.plan_id, clock.now)
    since = view.since_last_visit(helga, plan.plan_id, today=START)
    assert (since.visited_at, since.changed) == (clock.now, False)


# --------------------------------------------------------- an older view upgraded

# The plan list's tables as version 1 made them (before the parts were dated).
OLD_PLANS = (
    "CREATE TABLE {plans} (plan_id {uuid} PRIMARY KEY, plan_type TEXT NOT NULL, "
    "short_name TEXT NOT NULL, owner_person_id {uuid} NOT NULL, start_date {day} NOT NULL, "
    "end_date {day}, status TEXT NOT NULL, consent_status TEXT NOT NULL, "
    "consent_expires_on {day} NOT NULL, consent_given_on {day} NOT NULL, "
    "coordinator_person_id {uuid} NOT NULL, created_at BIGINT NOT NULL, "
    "last_event_at BIGINT NOT NULL, last_content_at BIGINT, last_archived_at BIGINT, "
    "version BIGINT NOT NULL)"
)
OLD_MEMBERS = (
    "CREATE TABLE {members} (plan_id {uuid} NOT NULL, participant_id {uuid} NOT NULL, "
    "person_id {uuid} NOT NULL, role TEXT NOT NULL, is_coordinator {boolean} NOT NULL, "
    "active {boolean} NOT NULL, rights_messages TEXT NOT NULL, messages_access TEXT NOT NULL, "
    "last_message_to_me_at BIGINT, PRIMARY KEY (plan_id, participant_id))"
)


def made_old(view: PlanListView, plan: Plan, position: int) -> None:
    """Turn the view into one version 1 left: its tables without the dated parts, a row
    in them, no recorded version, and its position at `position` (caught up)."""
    t: SqlTables = view._sql  # type: ignore[attr-defined]
    plans, members = t.table(PLANS_TABLE), t.table(MEMBERS_TABLE)
    kinds = {"uuid": t.uuid_type, "day": t.date_type, "boolean": t.bool_type}
    at = to_micros(START_AT)
    with view.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
        for table in (plans, members, t.table(SCHEMA_TABLE)):
            c.execute(f"DROP TABLE {table}")
        c.execute(OLD_PLANS.format(plans=plans, **kinds))
        c.execute(OLD_MEMBERS.format(members=members, **kinds))
        row: list[Any] = [plan.plan_id, "IP", "Ola", plan.by("ola"), START, None, "open"]
        row += ["active", START + timedelta(days=210), START, plan.by("kari"), at, at]
        row += [None, None, 9]
        marks = ", ".join(["%s"] * len(row))
        c.execute(t.sql(f"INSERT INTO {plans} VALUES ({marks})"), [t.value(v) for v in row])
    view.insert_tracking(Tracking("plans", position))


START_AT = ManualClock().now  # when the plans of these tests are made


def test_a_view_an_older_version_made_is_rebuilt_from_the_events_when_the_runner_starts(
    plans: PlanApplication, database_url: str, clock: ManualClock
) -> None:
    plan = make_plan(plans)
    helga, kari = plan.by("helga"), plan.by("kari")
    env = Settings(database_url=database_url).event_store_env()
    view, factory = construct_view(env)
    try:
        clock.advance(timedelta(hours=1))
        visited = clock.now
        view.note_visits([(helga, plan.plan_id, visited), (kari, plan.plan_id, visited)])
        clock.advance(timedelta(hours=1))
        plans.handle(
            plan.plan_id,
            AddActivity(title="Skjult", responsible_participant_id=plan.members["mor"]),
            by=kari,
        )
        position = plans.recorder.max_notification_id()
        assert position is not None
        made_old(view, plan, position)

        with capture_logs() as logs, plan_list_runner(env) as runner:
            runner.wait(position, timeout=WAIT_SECONDS)
            assert runner.projection.processed == position  # type: ignore[attr-defined]
        [upgraded] = [e for e in logs if e["event"] == "projection_schema_upgraded"]
        assert (upgraded["from_version"], upgraded["to_version"]) == (1, SCHEMA_VERSION)

        today = clock.now.date()
        assert view.last_visit(helga, plan.plan_id) == visited  # visits are kept
        [row] = view.plans_for(helga, today=today)
        assert not row.changed_since_last_visit  # the activity is hidden from her
        [row] = view.plans_for(kari, today=today)
        assert row.changed_since_last_visit

        with capture_logs() as logs, plan_list_runner(env):  # current now: left as it is
            pass
        assert [e for e in logs if e["event"] == "projection_schema_upgraded"] == []
        assert view.upgrade() is None
        assert view.max_tracking_id("plans") == position
    finally:
        factory.close()
