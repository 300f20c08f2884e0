"""The plan-list projection's contract: events in, rows out, on SQLite and PostgreSQL.

Events are fed to the projection straight from the notification log here (the runner
is tested in test_plan_list_runner.py), so each test decides exactly what is
processed and when.
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from stafett.aggregates import policy
from stafett.aggregates.errors import NotAParticipantError
from stafett.aggregates.policy import Action, Need, Standing
from stafett.aggregates.values import Access, PlanType, Rights, Section
from stafett.applications.commands import (
    AddParticipant,
    ChangeParticipant,
    ChangePlanDetails,
    ClosePlan,
    HandOverCoordinator,
    RecordArchive,
    RemoveParticipant,
    RenewConsent,
    ReopenPlan,
    ResetConsent,
    SendMessage,
    SetGoal,
    WithdrawConsent,
)
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.persistence.recorders import to_micros
from stafett.projections.plan_list import (
    MEMBERS_TABLE,
    PLANS_TABLE,
    VISITS_TABLE,
    PlanCount,
    PlanListProjection,
    PlanListView,
    access,
    construct_view,
)
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for, person
from tests.crossed import crossed_with_another_writer

START = date(2026, 3, 1)  # the clock starts on 2026-03-02 09:00 UTC


def project(plans: PlanApplication, projection: PlanListProjection) -> int:
    """Feed every event after the view's position; how many were processed."""
    start = projection.view.max_tracking_id(plans.name) or 0
    count = 0
    for n in plans.recorder.select_notifications(start, 10_000, inclusive_of_start=False):
        projection.process_event(plans.mapper.to_domain_event(n), Tracking(plans.name, n.id))
        count += 1
    return count


def table(view: PlanListView, name: str) -> list[dict[str, Any]]:
    sql = view._sql  # type: ignore[attr-defined]
    key = "plan_id" if name == PLANS_TABLE else "plan_id, participant_id"
    with view.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(f"SELECT * FROM {sql.table(name)} ORDER BY {key}")
        return [dict(row) for row in c.fetchall()]


def uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@dataclass
class Group:
    plan_id: UUID
    coordinator: UUID
    owner: UUID
    relative: UUID
    provider: UUID
    provider_participant: UUID
    relative_participant: UUID


def make_group(
    plans: PlanApplication, *, short_name: str = "Ola sin plan", days: int = 210
) -> Group:
    coordinator = plans.register_person(person("Kari", "Koordinator"), by=None).person_id
    owner = plans.register_person(
        person("Ola", "Nordmann", birth_date=date(2015, 5, 17)), by=None
    ).person_id
    relative = plans.register_person(person("Mor", "Nordmann"), by=None).person_id
    provider = plans.register_person(person("Per", "Helsesøster"), by=None).person_id
    created = plans.create_plan(
        CreatePlan(
            type=PlanType.INDIVIDUAL_PLAN,
            short_name=short_name,
            start_date=START,
            owner=PersonIn.of(owner),
            consent=ConsentIn.of(consent_for(START, days)),
        ),
        by=coordinator,
    )
    plan_id = created.plan_id
    rel = plans.handle(
        plan_id, AddParticipant(person=PersonIn.of(relative), role="relative"), by=coordinator
    )
    prov = plans.handle(
        plan_id,
        AddParticipant(
            person=PersonIn.of(provider),
            role="provider",
            rights=RightsIn.of(Rights(messages=Access.READ)),
        ),
        by=coordinator,
    )
    assert rel.created_id is not None
    assert prov.created_id is not None
    return Group(plan_id, coordinator, owner, relative, provider, prov.created_id, rel.created_id)


def test_every_column_follows_the_events(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    created_at = clock.now
    clock.advance(timedelta(hours=1))
    plans.handle(
        g.plan_id,
        SendMessage(to=[g.provider_participant], subject="Hei", body="."),
        by=g.coordinator,
    )
    message_at = clock.now
    clock.advance(timedelta(hours=1))
    plans.handle(g.plan_id, RecordArchive(digest="sha256:x"), by=g.coordinator)
    archived_at = clock.now
    clock.advance(timedelta(hours=1))
    plans.handle(g.plan_id, ClosePlan(ended_on=date(2026, 3, 3)), by=g.coordinator)
    closed_at = clock.now

    assert project(plans, projection) == 6

    [row] = table(view, PLANS_TABLE)
    assert uuid(row["plan_id"]) == g.plan_id
    assert row["plan_type"] == "IP"
    assert row["short_name"] == "Ola sin plan"
    assert uuid(row["owner_person_id"]) == g.owner
    assert day(row["start_date"]) == START
    assert day(row["end_date"]) == date(2026, 3, 3)
    assert row["status"] == "closed"
    assert row["consent_status"] == "active"
    assert day(row["consent_given_on"]) == START
    assert day(row["consent_expires_on"]) == START + timedelta(days=210)
    assert uuid(row["coordinator_person_id"]) == g.coordinator
    assert row["created_at"] == to_micros(created_at)
    assert row["last_event_at"] == to_micros(closed_at)
    assert row["last_content_at"] == to_micros(message_at)
    assert row["last_archived_at"] == to_micros(archived_at)
    assert row["shared_changed_at"] == to_micros(closed_at)
    assert (row["goals_changed_at"], row["rights_changed_at"]) == (None, None)
    assert row["version"] == 6

    members = {uuid(m["person_id"]): m for m in table(view, MEMBERS_TABLE)}
    assert set(members) == {g.coordinator, g.owner, g.relative, g.provider}
    roles = {
        p: (m["role"], bool(m["is_coordinator"]), bool(m["active"])) for p, m in members.items()
    }
    assert roles == {
        g.coordinator: ("provider", True, True),
        g.owner: ("owner", False, True),
        g.relative: ("relative", False, True),
        g.provider: ("provider", False, True),
    }
    assert members[g.provider]["rights_messages"] == "read"  # as given
    assert members[g.coordinator]["rights_messages"] == "write"
    assert in_force(view, Section.MESSAGES) == {g.provider: "read", g.coordinator: "write"} | {
        g.owner: "write",
        g.relative: "write",
    }
    assert uuid(members[g.provider]["participant_id"]) == g.provider_participant
    assert members[g.provider]["last_message_to_me_at"] == to_micros(message_at)
    assert members[g.owner]["last_message_to_me_at"] is None
    assert members[g.coordinator]["last_message_to_me_at"] is None  # its sender
    assert members[g.coordinator]["last_message_mine_at"] == to_micros(message_at)
    assert members[g.provider]["last_message_mine_at"] == to_micros(message_at)
    assert members[g.owner]["last_message_mine_at"] is None


def in_force(view: PlanListView, section: Section) -> dict[UUID, str]:
    """Each member's right in `section` in force, as the list's SQL reads it."""
    sql = view._sql  # type: ignore[attr-defined]
    right = access.right_in_force(section)
    with view.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(
            sql.sql(f"SELECT m.person_id, {right.sql} AS r FROM {sql.table(MEMBERS_TABLE)} m"),
            list(right.values),
        )
        return {uuid(row["person_id"]): row["r"] for row in c.fetchall()}


def test_processing_the_same_position_twice_changes_nothing(
    plans: PlanApplication, view: PlanListView
) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    project(plans, projection)
    before = view.rows()
    [first] = plans.recorder.select_notifications(1, 1)
    event = plans.mapper.to_domain_event(first)
    with pytest.raises(IntegrityError):
        projection.process_event(event, Tracking(plans.name, first.id))
    assert view.rows() == before
    assert len(before[MEMBERS_TABLE]) == 4
    assert view.max_tracking_id(plans.name) == plans.recorder.max_notification_id()
    assert g.plan_id == uuid(before[PLANS_TABLE][0][0])


def listed(view: PlanListView, person_id: UUID, today: date, **kw: Any) -> list[UUID]:
    return [row.id for row in view.plans_for(person_id, today=today, **kw)]


def test_a_provider_sees_the_plan_only_on_days_of_valid_consent(
    plans: PlanApplication, view: PlanListView
) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans, days=30)
    project(plans, projection)
    expires_on = START + timedelta(days=30)
    assert listed(view, g.provider, START - timedelta(days=1)) == []
    assert listed(view, g.provider, START) == [g.plan_id]
    assert listed(view, g.provider, expires_on) == [g.plan_id]
    assert listed(view, g.provider, expires_on + timedelta(days=1)) == []
    for member in (g.owner, g.relative, g.coordinator):
        assert listed(view, member, expires_on + timedelta(days=1)) == [g.plan_id]
    [row] = view.plans_for(g.provider, today=expires_on)
    assert row.consent_expires_on == expires_on
    assert row.consent_expires_in_days == 0


@pytest.mark.parametrize("end_consent", ["reset", "withdraw"])
def test_a_provider_loses_the_plan_when_consent_ends(
    plans: PlanApplication, view: PlanListView, end_consent: str
) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    if end_consent == "reset":
        plans.handle(g.plan_id, ResetConsent(), by=g.coordinator)
    else:
        plans.handle(g.plan_id, WithdrawConsent(), by=g.relative)  # Ola is a child (0055)
    project(plans, projection)
    assert listed(view, g.provider, START) == []
    for member in (g.owner, g.relative, g.coordinator):
        assert listed(view, member, START) == [g.plan_id]
    plans.handle(g.plan_id, RenewConsent.of(consent_for(START)), by=g.coordinator)
    project(plans, projection)
    assert listed(view, g.provider, START) == [g.plan_id]


def test_a_removed_participant_no_longer_sees_the_plan(
    plans: PlanApplication, view: PlanListView
) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    plans.handle(
        g.plan_id, RemoveParticipant(participant_id=g.relative_participant), by=g.coordinator
    )
    project(plans, projection)
    assert listed(view, g.relative, START) == []
    assert listed(view, g.owner, START) == [g.plan_id]


def test_closed_plans_are_listed_only_when_asked_for(
    plans: PlanApplication, view: PlanListView
) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    plans.handle(g.plan_id, ClosePlan(ended_on=START), by=g.coordinator)
    project(plans, projection)
    assert listed(view, g.owner, START) == []
    [row] = view.plans_for(g.coordinator, today=START, include_closed=True)
    assert row.id == g.plan_id
    assert (row.can_manage, row.can_reopen) == (False, True)  # the policy table's reopen
    [owners] = view.plans_for(g.owner, today=START, include_closed=True)
    assert (owners.can_manage, owners.can_reopen) == (False, False)
    plans.handle(g.plan_id, ReopenPlan(), by=g.coordinator)
    project(plans, projection)
    [row] = view.plans_for(g.coordinator, today=START)
    assert (row.can_manage, row.can_reopen) == (True, False)
    assert row.end_date is None


def test_the_list_follows_corrected_details_and_a_later_close_keeps_the_planned_end(
    plans: PlanApplication, view: PlanListView
) -> None:
    """Decision 0051: a corrected short name, start and end date reach the list; a level
    or review date alone changes none of its columns but what everyone reads."""
    projection = PlanListProjection(view)
    g = make_group(plans)
    project(plans, projection)
    planned_end = date(2026, 12, 31)
    details = ChangePlanDetails(short_name="Ola N", start_date=START, end_date=planned_end)
    plans.handle(g.plan_id, details, by=g.coordinator)
    project(plans, projection)
    [row] = view.plans_for(g.coordinator, today=START)
    assert (row.short_name, row.start_date, row.end_date) == ("Ola N", START, planned_end)
    plans.handle(g.plan_id, ChangePlanDetails(level=1), by=g.coordinator)
    project(plans, projection)
    [row] = view.plans_for(g.coordinator, today=START)
    assert (row.short_name, row.end_date) == ("Ola N", planned_end)
    plans.handle(g.plan_id, ChangePlanDetails(end_date=None), by=g.coordinator)
    project(plans, projection)
    [row] = view.plans_for(g.coordinator, today=START)
    assert row.end_date is None
    plans.handle(g.plan_id, ChangePlanDetails(end_date=planned_end), by=g.coordinator)
    plans.handle(g.plan_id, ClosePlan(ended_on=START), by=g.coordinator)
    plans.handle(g.plan_id, ReopenPlan(), by=g.coordinator)
    project(plans, projection)
    [row] = view.plans_for(g.coordinator, today=START)
    assert row.end_date == planned_end  # the corrected planned end, given back


def test_search_by_the_owners_name(plans: PlanApplication, view: PlanListView) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    project(plans, projection)
    assert listed(view, g.coordinator, START, first_name="ol") == [g.plan_id]
    assert listed(view, g.coordinator, START, first_name="OLA", last_name="nord") == [g.plan_id]
    assert listed(view, g.coordinator, START, first_name="nord") == []
    assert listed(view, g.coordinator, START, last_name="ola") == []
    assert listed(view, g.coordinator, START, first_name="%") == []
    [row] = view.plans_for(g.coordinator, today=START)
    assert row.owner_name == "Ola Nordmann"
    assert (row.owner_first_name, row.owner_last_name) == ("Ola", "Nordmann")
    assert row.owner_birth_date == date(2015, 5, 17)
    assert row.type == "IP"
    assert row.start_date == START


def test_changes_and_messages_since_the_last_visit(
    plans: PlanApplication, view: PlanListView, clock: ManualClock
) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    project(plans, projection)
    [row] = view.plans_for(g.provider, today=START)
    assert (row.changed_since_last_visit, row.new_message) == (True, False)

    view.note_visit(g.provider, g.plan_id, clock.advance())
    view.note_visit(g.provider, g.plan_id, clock.now - timedelta(days=1))  # older: kept max
    [row] = view.plans_for(g.provider, today=START)
    assert (row.changed_since_last_visit, row.new_message) == (False, False)

    clock.advance()
    plans.handle(g.plan_id, SendMessage(to="all", subject="Hei", body="."), by=g.coordinator)
    project(plans, projection)
    [row] = view.plans_for(g.provider, today=START)
    assert (row.changed_since_last_visit, row.new_message) == (True, True)

    plans.handle(
        g.plan_id,
        ChangeParticipant(
            participant_id=g.provider_participant, rights=RightsIn.of(Rights(messages=Access.NONE))
        ),
        by=g.coordinator,
    )
    project(plans, projection)
    [row] = view.plans_for(g.provider, today=START)
    assert row.new_message is False


def test_handing_over_moves_management(plans: PlanApplication, view: PlanListView) -> None:
    projection = PlanListProjection(view)
    g = make_group(plans)
    plans.handle(
        g.plan_id, HandOverCoordinator(participant_id=g.provider_participant), by=g.coordinator
    )
    project(plans, projection)
    [row] = view.plans_for(g.provider, today=START)
    assert row.can_manage is True
    [row] = view.plans_for(g.coordinator, today=START)
    assert row.can_manage is False
    messages = in_force(view, Section.MESSAGES)
    assert (messages[g.provider], messages[g.coordinator]) == ("write", "write")  # own: full
    [plan] = table(view, PLANS_TABLE)
    assert uuid(plan["coordinator_person_id"]) == g.provider


def test_reports(plans: PlanApplication, view: PlanListView, clock: ManualClock) -> None:
    projection = PlanListProjection(view)
    soon = make_group(plans, short_name="Snart", days=20)
    later = make_group(plans, short_name="Senere", days=200)
    plans.handle(later.plan_id, ClosePlan(ended_on=START), by=later.coordinator)
    clock.advance(timedelta(days=100))
    plans.handle(later.plan_id, ReopenPlan(), by=later.coordinator)
    plans.handle(later.plan_id, RecordArchive(digest="sha256:x"), by=later.coordinator)
    project(plans, projection)

    assert view.report_counts() == [PlanCount("IP", "open", 2)]
    [expiring] = view.consents_expiring(START)
    assert (expiring.plan_id, expiring.short_name, expiring.on) == (
        soon.plan_id,
        "Snart",
        START + timedelta(days=20),
    )
    assert view.consents_expiring(START, within_days=19) == []
    now = clock.now
    [inactive] = view.inactive_plans(now)
    assert inactive.plan_id == soon.plan_id
    assert inactive.on == date(2026, 3, 2)
    assert view.inactive_plans(now, days=101) == []
    assert [item.plan_id for item in view.never_archived()] == [soon.plan_id]
    assert datetime(2026, 3, 2, tzinfo=UTC) < now


def with_rule(
    monkeypatch: pytest.MonkeyPatch, action: Action, standing: Standing, consent: Need | None = None
) -> None:
    """Change one row of the policy table: `standing` loses its rule for `action`, or
    with `consent` has a rule of its own that needs it; every other row stays."""
    rule = policy.rule_for(action, standing)
    assert rule is not None
    rest = replace(rule, standings=rule.standings - {standing})
    own = (replace(rule, standings=frozenset({standing}), consent=consent),) if consent else ()
    rules = tuple(r for old in policy.RULES for r in ((rest, *own) if old is rule else (old,)))
    monkeypatch.setattr(policy, "RULES", rules)


def test_the_list_follows_the_policy_table(
    plans: PlanApplication, view: PlanListView, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list's SQL is made from the policy table: change a row, and the list, the
    plan's own read and `decide` all follow it on the next call."""
    projection = PlanListProjection(view)
    g = make_group(plans, days=30)
    plans.handle(g.plan_id, SendMessage(to="all", subject="Hei", body="."), by=g.coordinator)
    project(plans, projection)
    lapsed = START + timedelta(days=31)
    everyone = (g.owner, g.relative, g.coordinator, g.provider)
    original = policy.RULES

    def new_message(person_id: UUID) -> bool:
        [row] = view.plans_for(person_id, today=START)
        return row.new_message

    assert listed(view, g.provider, START) == [g.plan_id]
    assert listed(view, g.provider, lapsed) == []
    assert plans.read_plan(g.plan_id, by=g.provider).id == g.plan_id

    with_rule(monkeypatch, Action.OPEN, Standing.PROVIDER)  # providers never open
    assert listed(view, g.provider, START) == []
    for member in (g.owner, g.relative, g.coordinator):
        assert listed(view, member, START) == [g.plan_id]
    with pytest.raises(NotAParticipantError):
        plans.read_plan(g.plan_id, by=g.provider)

    monkeypatch.setattr(policy, "RULES", original)
    with_rule(monkeypatch, Action.OPEN, Standing.PROVIDER, Need.ANY)  # without consent
    assert listed(view, g.provider, lapsed) == [g.plan_id]
    clock.advance(timedelta(days=31))
    assert plans.read_plan(g.plan_id, by=g.provider).id == g.plan_id

    monkeypatch.setattr(policy, "RULES", original)
    with_rule(monkeypatch, Action.OPEN, Standing.OWNER, Need.VALID)  # the owner needs it
    assert listed(view, g.owner, lapsed) == []
    assert listed(view, g.owner, START) == [g.plan_id]

    monkeypatch.setattr(policy, "RULES", original)
    assert [new_message(p) for p in everyone] == [True, True, False, True]  # not to the sender
    assert "messages" in plans.read_plan(g.plan_id, by=g.relative).parts
    with_rule(monkeypatch, Action.READ_SECTION, Standing.RELATIVE)
    assert [new_message(p) for p in everyone] == [True, False, False, True]
    assert "messages" not in plans.read_plan(g.plan_id, by=g.relative).parts

    monkeypatch.setattr(policy, "RULES", original)
    assert [r.can_manage for p in everyone for r in view.plans_for(p, today=START)] == [
        False,
        False,
        True,
        False,
    ]
    manage = policy.rule_for(Action.MANAGE, Standing.COORDINATOR)
    assert manage is not None
    owner_too = replace(manage, standings=manage.standings | {Standing.OWNER})
    monkeypatch.setattr(policy, "RULES", tuple(owner_too if r is manage else r for r in original))
    assert [r.can_manage for p in everyone for r in view.plans_for(p, today=START)] == [
        True,
        False,
        True,
        False,
    ]
    assert policy.decide(Action.MANAGE, Standing.OWNER, consent_valid=True, plan_open=True).allowed

    # "Changed since your last visit" is a change to a part the member may read now.
    monkeypatch.setattr(policy, "RULES", original)
    renewed = RenewConsent.of(consent_for(clock.now.date()))
    plans.handle(g.plan_id, renewed, by=g.coordinator)
    project(plans, projection)
    view.note_visit(g.relative, g.plan_id, clock.advance())
    clock.advance()
    plans.handle(g.plan_id, SetGoal(title="Lese"), by=g.coordinator)
    project(plans, projection)
    today = clock.now.date()
    [row] = view.plans_for(g.relative, today=today)
    assert row.changed_since_last_visit  # a goal, and the relative reads the goals
    assert view.since_last_visit(g.relative, g.plan_id, today=today).changed
    with_rule(monkeypatch, Action.READ_SECTION, Standing.RELATIVE)  # relatives read none
    [row] = view.plans_for(g.relative, today=today)
    assert not row.changed_since_last_visit
    assert not view.since_last_visit(g.relative, g.plan_id, today=today).changed
    assert "goals" not in plans.read_plan(g.plan_id, by=g.relative).parts

    monkeypatch.setattr(policy, "RULES", tuple(r for r in original if r.action is not Action.OPEN))
    assert [listed(view, p, START) for p in everyone] == [[], [], [], []]  # deny by default


@pytest.mark.postgres
def test_visits_noted_at_once_by_two_processes_do_not_deadlock(postgres_schema: str) -> None:
    """Our batch notes (person, plan 2) then (person, plan 1) while another process's
    batch holds plan 1's row and is about to take plan 2's (`tests/crossed.py`)."""
    built, factory = construct_view(Settings(database_url=postgres_schema).event_store_env())
    try:
        person, first, second = UUID(int=7), UUID(int=1), UUID(int=2)
        at = datetime(2026, 12, 5, 12, tzinfo=UTC)
        schema = postgres_schema.split("schema=")[1].split("&", maxsplit=1)[0]
        table = f'"{schema}".{VISITS_TABLE}'
        outcome = crossed_with_another_writer(
            postgres_schema,
            table,
            statement=f"INSERT INTO {table} (person_id, plan_id, visited_at) VALUES (%s, %s, %s)",
            first=(person, first, to_micros(at)),
            second=(person, second, to_micros(at)),
            ours=lambda: built.note_visits([(person, second, at), (person, first, at)]),
        )
        assert outcome == ["done"]
        later = at + timedelta(hours=1)
        built.note_visits([(person, second, later)])
        assert built.last_visit(person, second) == later
        assert built.last_visit(person, first) == at
    finally:
        factory.close()
