"""Property: for random histories and choices, the outbox holds exactly the notices an
oracle written from the product rules (not from the policy table) gives for each
event, each once; a rebuild from scratch adds nothing."""

from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from stafett.aggregates.errors import DomainError
from stafett.aggregates.plan import Plan
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Access,
    CommentTarget,
    NoticeKind,
    Rights,
    Role,
    local_date,
)
from stafett.applications.commands import (
    AddActivity,
    AddCalendarEntry,
    AddParticipant,
    ChangeParticipant,
    ChooseNotifications,
    PlanCommand,
    PostComment,
    RemoveParticipant,
    RenewConsent,
    ResetConsent,
    SendMessage,
    SetGoal,
)
from stafett.applications.parts import CommentOn, PersonIn, RightsIn
from stafett.applications.plans import PlanApplication
from stafett.bootstrap import build_plans
from stafett.settings import Settings
from tests.conftest import ManualClock, consent_for
from tests.integration.notice_support import outbox_of, process_for
from tests.integration.support import new_plan, register

ACCESS = list(Access)
CHANNELS = [[], ["sms"], ["email"], ["sms", "email"]]
KINDS = [k.value for k in NoticeKind]
STEP = st.tuples(
    st.sampled_from(
        [
            "add",
            "choose",
            "choose",
            "goal",
            "activity",
            "calendar",
            "comment",
            "message",
            "remove",
            "rights",
            "reset",
            "renew",
            "days",
        ]
    ),
    st.integers(0, 1000),
    st.integers(0, 1000),
)


def oracle(plan: Plan, event: Plan.Event) -> set[tuple[UUID, str, str]]:
    """Who is told of `event`, from the product rules: active, not the actor, chose the
    kind; providers only under consent valid that day; a section only with read or
    write in it (the coordinator's rights are full); a message only its recipients."""
    s = plan.state
    kinds = {
        Plan.GoalSet: ("new_goal_or_activity", "goals"),
        Plan.ActivityAdded: ("new_goal_or_activity", "activities"),
        Plan.CalendarEntryAdded: ("new_calendar_entry", "activities"),
        Plan.MessageSent: ("new_message", "messages"),
        Plan.ParticipantAdded: ("new_participant", None),
    }
    kind: str
    section: str | None
    if isinstance(event, Plan.CommentPosted):
        target = {"goal": "goals", "activity": "activities", "minutes": "minutes"}
        kind, section = "new_comment", target[event.comment.on_kind.value]
    elif type(event) in kinds:
        kind, section = kinds[type(event)]
    else:
        return set()
    day = local_date(event.timestamp)
    consent = s.consent
    consent_ok = consent.status.value == "active" and consent.given_on <= day <= consent.expires_on
    told = set()
    for p in s.participants.values():
        if not p.active or p.person_id == event.actor_id:
            continue
        coordinator = p.participant_id == s.coordinator_id
        if p.role is Role.PROVIDER and not coordinator and not consent_ok:
            continue
        rights = FULL_RIGHTS if coordinator else p.rights
        if section is not None and getattr(rights, section) is Access.NONE:
            continue
        if isinstance(event, Plan.MessageSent) and p.participant_id not in (
            event.message.recipient_ids
        ):
            continue
        chosen = s.notifications.get(p.participant_id)
        for channel in getattr(chosen, kind, ()) if chosen else ():
            told.add((p.participant_id, kind, channel.value))
    return told


class History:
    def __init__(self, plans: PlanApplication) -> None:
        self.plans = plans
        self.plan = new_plan(plans)
        self.goal: UUID | None = None

    def members(self) -> list[tuple[UUID, UUID]]:
        """(participant id, person id) of the active participants, in a stable order."""
        view = self.plans.get_plan(self.plan.plan_id)
        return sorted((p.participant_id, p.person_id) for p in view.participants)

    def step(self, kind: str, a: int, b: int) -> None:
        members = self.members()
        pid, actor = members[a % len(members)]
        coordinator = self.plan.coordinator_id
        clock = self.plans.clock
        command: PlanCommand | None = None
        by = actor
        if kind == "add":
            person = register(self.plans, f"P{a}", "Deltaker", email="p@example.no")
            rights = Rights(goals=ACCESS[a % 3], activities=ACCESS[b % 3], messages=ACCESS[a % 2])
            role: Literal["relative", "provider"] = "relative" if b % 2 else "provider"
            command = AddParticipant(
                person=PersonIn.of(person), role=role, rights=RightsIn.of(rights)
            )
            by = coordinator
        elif kind == "choose":
            chosen: dict[str, Any] = {k: CHANNELS[(b >> (2 * i)) % 4] for i, k in enumerate(KINDS)}
            command = ChooseNotifications(participant_id=pid, **chosen)
            by = actor if b % 2 == 0 else coordinator
        elif kind == "goal":
            command = SetGoal(title="Mål")
        elif kind == "activity":
            command = AddActivity(title="Tiltak", responsible_participant_id=pid)
        elif kind == "calendar":
            start = clock() + timedelta(days=1)
            command = AddCalendarEntry(title="Møte", starts_at=start, ends_at=start)
        elif kind == "comment" and self.goal is not None:
            command = PostComment(on=CommentOn(kind=CommentTarget.GOAL, id=self.goal), text="Ja")
        elif kind == "message":
            to = members[b % len(members)][0]
            command = SendMessage(to="all" if b % 3 == 0 else [to], subject="Hei", body="Tekst")
        elif kind == "remove":
            command, by = RemoveParticipant(participant_id=pid), coordinator
        elif kind == "rights":
            rights = Rights(goals=ACCESS[b % 3], activities=ACCESS[(b // 3) % 3])
            command = ChangeParticipant(participant_id=pid, rights=RightsIn.of(rights))
            by = coordinator
        elif kind == "reset":
            command, by = ResetConsent(), coordinator
        elif kind == "renew":
            command = RenewConsent.of(consent_for(local_date(clock()), days=30 + b))
            by = coordinator
        elif kind == "days":
            assert isinstance(clock, ManualClock)
            clock.advance(timedelta(days=b % 90))
        if command is None:
            return
        try:
            result = self.plans.handle(self.plan.plan_id, command, by=by)
        except DomainError:
            return  # refused: no event
        if isinstance(command, SetGoal):
            self.goal = result.created_id


@given(st.lists(STEP, min_size=5, max_size=40))
def test_the_outbox_is_the_rule_applied_to_every_event(steps: list[tuple[str, int, int]]) -> None:
    plans = build_plans(Settings(database_url="memory:"), clock=ManualClock())
    try:
        history = History(plans)
        # a group to start from: a relative and two providers, everyone choosing
        # everything by both channels; the drawn steps change it from there
        prelude = [("add", 0, 1), ("add", 1, 4), ("add", 2, 2)]
        prelude += [("choose", i, 0xFFFF) for i in range(5)]
        for step in [*prelude, *steps]:
            history.step(*step)
        outbox = outbox_of(plans)
        process_for(plans, outbox, batch_size=7, plans_kept=1).catch_up()
        rows = outbox.rows()
        got = {(r.version, r.participant_id, r.kind, r.channel) for r in rows}
        assert len(got) == len(rows)  # one row per (event, recipient, channel)
        plan_id = history.plan.plan_id
        expected = set()
        last = plans.get_plan(plan_id).version
        for version in range(2, last + 1):
            plan: object = plans.repository.get(plan_id, version=version)
            assert isinstance(plan, Plan)
            event = next(
                iter(plans.repository.event_store.get(plan_id, gt=version - 1, lte=version))
            )
            assert isinstance(event, Plan.Event)
            expected |= {(version, *told) for told in oracle(plan, event)}
        assert got == expected

        outbox.reset()  # a rebuild from scratch
        process_for(plans, outbox, batch_size=3).catch_up()
        assert [(r.notice_id, r.status) for r in outbox.rows()] == [
            (r.notice_id, r.status) for r in rows
        ]
    finally:
        plans.close()
