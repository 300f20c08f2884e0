"""A hypothesis state machine over the Plan aggregate, in memory.

Random people give random commands, valid and invalid, while time moves through
and past the consent period. A small model predicts each outcome: a refused
command must raise the predicted DomainError and change nothing; an accepted one
must trigger exactly the predicted event. The events are collected after every
step and must always replay to the plan as it stands, and every prefix of them
to the plan as it stood then.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

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
from stafett.aggregates.plan import CONTENT_EVENT_TYPES, Plan, PlanState
from stafett.aggregates.values import (
    FULL_RIGHTS,
    MUNICIPAL_TIMEZONE,
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
    Section,
    local_date,
)
from tests.unit.test_plan_rules import collected

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START_DATE = date(2026, 3, 2)
FIRST_CONSENT = Consent(
    given_by="Mor og far",
    given_on=date(2026, 3, 1),
    expires_on=date(2026, 6, 30),
    scope="Full deling i plangruppen",
)
CREATOR = UUID(int=1)
OWNER = UUID(int=2)
STRANGER = UUID(int=3)
CREATOR_PID = UUID(int=1001)
OWNER_PID = UUID(int=1002)
UNKNOWN = UUID(int=999_999)
# Besides content, only these may happen while a plan is closed.
ALLOWED_WHILE_CLOSED = (Plan.ConsentWithdrawn, Plan.Reopened, Plan.Archived)

rights_strategy = st.builds(
    Rights,
    goals=st.sampled_from(Access),
    activities=st.sampled_from(Access),
    minutes=st.sampled_from(Access),
    messages=st.sampled_from(Access),
    print=st.booleans(),
    edit_person=st.booleans(),
)
# Mostly valid values, so that histories grow; sometimes an invalid one.
text_strategy = st.sampled_from(["Tekst", "  Med mellomrom  ", "Ja", "   "])
role_strategy = st.sampled_from(
    [Role.PROVIDER, Role.RELATIVE, Role.PROVIDER, Role.RELATIVE, Role.OWNER, Role.COORDINATOR]
)


@dataclass(frozen=True)
class Member:
    """The model's view of one participant."""

    person_id: UUID
    role: Role
    rights: Rights
    active: bool = True


Errors = list[type[DomainError]]


class PlanMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.counter = 10_000
        self.plan = Plan.create(
            plan_id=UUID(int=42),
            at=self.now,
            creator_person_id=CREATOR,
            creator_participant_id=CREATOR_PID,
            plan_type=PlanType.RELAY_LOG,
            short_name="Ola",
            owner_person_id=OWNER,
            owner_participant_id=OWNER_PID,
            start_date=START_DATE,
            end_date=None,
            consent=FIRST_CONSENT,
        )
        self.events = collected(self.plan)
        self.states: list[PlanState] = [copy.deepcopy(self.plan.state)]
        # The model.
        self.members: dict[UUID, Member] = {
            OWNER_PID: Member(OWNER, Role.OWNER, Rights()),
            CREATOR_PID: Member(CREATOR, Role.PROVIDER, FULL_RIGHTS),
        }
        self.people: list[UUID] = [CREATOR, OWNER, STRANGER]
        self.coordinator = CREATOR_PID
        self.offered: UUID | None = None  # who the baton is offered to (decision 0052)
        self.closed = False
        self.consent = FIRST_CONSENT
        self.goals: set[UUID] = set()
        self.activities: dict[UUID, bool] = {}  # id -> completed
        self.minutes: set[UUID] = set()
        self.comments = 0
        self.messages = 0
        self.calendar = 0
        self.archives = 0

    # ------------------------------------------------------------ plumbing

    def new_id(self) -> UUID:
        self.counter += 1
        return UUID(int=self.counter)

    def expect(
        self,
        errors: Errors,
        command: Callable[[], None],
        event: type[Plan.Event] | None,
    ) -> bool:
        """Give the command; it is refused with one of `errors`, or triggers `event`.

        No errors predicted and `event` None means an accepted command that changes
        nothing. Returns whether the command was accepted.
        """
        version = self.plan.version
        before = self.plan.state.copy()
        if errors:
            with pytest.raises(tuple(errors)):
                command()
            assert self.plan.version == version
            assert self.plan.pending_events == []
            assert self.plan.state == before
            return False
        command()
        new = collected(self.plan)
        assert [type(e) for e in new] == ([] if event is None else [event])
        for e in new:
            assert e.timestamp == self.now
            self.events.append(e)
            self.states.append(copy.deepcopy(self.plan.state))
        if event is None:
            assert self.plan.state == before
        return True

    def draw_actor(self, data: st.DataObject) -> UUID:
        # The coordinator is listed first (and so shrunk to) and drawn most often;
        # the people in the group more often than those who left it or never joined.
        coordinator = self.members[self.coordinator].person_id
        present = [m.person_id for m in self.members.values() if m.active]
        choices = [coordinator, coordinator, coordinator, *present, *present, *self.people]
        return data.draw(st.sampled_from(choices), label="by")

    def participant_choices(self, fits: Callable[[UUID], bool] | None = None) -> list[UUID]:
        """Every participant id and an unknown one; active ones that `fits` twice more,
        and those who left once more (commands must not reach them)."""
        fitting = [p for p in self.members if self.is_active(p) and (fits is None or fits(p))]
        left = [p for p in self.members if not self.is_active(p)]
        return [*fitting, *fitting, *self.members, *left, UNKNOWN]

    def draw_participant_id(
        self, data: st.DataObject, label: str, fits: Callable[[UUID], bool] | None = None
    ) -> UUID:
        return data.draw(st.sampled_from(self.participant_choices(fits)), label=label)

    def actor_pid(self, person_id: UUID) -> UUID | None:
        for pid, member in self.members.items():
            if member.person_id == person_id and member.active:
                return pid
        return None

    def is_active(self, pid: UUID) -> bool:
        return pid in self.members and self.members[pid].active

    def role_of(self, pid: UUID) -> Role:
        return Role.COORDINATOR if pid == self.coordinator else self.members[pid].role

    def access(self, pid: UUID, section: Section) -> Access:
        if pid == self.coordinator:
            return Access.WRITE
        return self.members[pid].rights.level(section)

    def reads(self, pid: UUID, section: Section) -> bool:
        """Whether an active participant may read `section` by their rights: who may be
        addressed there (decision 0049). Consent is left out: addressing writes, which
        needs valid consent of the writer anyway, so a lapsed one is refused for that."""
        return self.is_active(pid) and self.access(pid, section) is not Access.NONE

    def consent_valid(self) -> bool:
        return (
            self.consent.status is ConsentStatus.ACTIVE
            and self.consent.given_on <= local_date(self.now) <= self.consent.expires_on
        )

    def coordinator_errors(self, person_id: UUID) -> Errors:
        pid = self.actor_pid(person_id)
        if pid is None:
            return [NotAParticipantError]
        return [NotPermittedError] if pid != self.coordinator else []

    def draw_baton_target(self, data: st.DataObject) -> tuple[UUID, UUID, Errors]:
        """Who passes the baton (handing over or offering), to whom, and what the plan
        refuses: the coordinator's rules, and a target that is an active provider who
        does not hold it."""
        by = self.draw_actor(data)
        pid = self.draw_participant_id(
            data,
            "participant_id",
            lambda p: p != self.coordinator and self.members[p].role is Role.PROVIDER,
        )
        errors = self.managing_errors(by)
        if not self.is_active(pid):
            errors.append(NotFoundError)
        elif not self.fits_the_baton(pid):
            errors.append(ValidationError)
        return by, pid, errors

    def fits_the_baton(self, pid: UUID) -> bool:
        member = self.members.get(pid)
        return member is not None and member.role is Role.PROVIDER and pid != self.coordinator

    def managing_errors(self, person_id: UUID) -> Errors:
        errors = self.coordinator_errors(person_id)
        return errors + ([PlanClosedError] if self.closed else [])

    def content_errors(self, person_id: UUID, section: Section, *, reading: bool = False) -> Errors:
        pid = self.actor_pid(person_id)
        if pid is None:
            return [NotAParticipantError]
        errors: Errors = []
        if self.closed:
            errors.append(PlanClosedError)
        if not self.consent_valid():
            errors.append(ConsentNotValidError)
        level = self.access(pid, section)
        if (level is Access.NONE) if reading else (level is not Access.WRITE):
            errors.append(NotPermittedError)
        return errors

    # ----------------------------------------------------------- the group

    @initialize(
        joining=st.lists(
            st.tuples(st.sampled_from([Role.RELATIVE, Role.PROVIDER]), rights_strategy),
            max_size=3,
        ),
        stocked=st.booleans(),
    )
    def start_with_a_group(self, joining: list[tuple[Role, Rights]], stocked: bool) -> None:
        """Some runs start with more people, a goal, an activity and minutes."""
        coordinator = self.members[self.coordinator].person_id
        for role, rights in joining:
            person, pid = self.new_id(), self.new_id()
            join = partial(
                self.plan.add_participant,
                by=coordinator,
                at=self.now,
                participant_id=pid,
                person_id=person,
                role=role,
                responsibility="",
                rights=rights,
            )
            self.expect([], join, Plan.ParticipantAdded)
            self.members[pid] = Member(person, role, rights)
            self.people.append(person)
        if not stocked:
            return
        goal_id, activity_id, minutes_id = self.new_id(), self.new_id(), self.new_id()
        set_goal = partial(
            self.plan.set_goal,
            by=coordinator,
            at=self.now,
            goal_id=goal_id,
            title="Trives på skolen",
            description="",
            due_on=None,
        )
        self.expect([], set_goal, Plan.GoalSet)
        self.goals.add(goal_id)
        activity = Activity(
            activity_id=activity_id,
            title="Leksehjelp",
            description="",
            responsible_participant_id=self.coordinator,
            due_on=None,
            goal_id=goal_id,
        )
        add = partial(self.plan.add_activity, by=coordinator, at=self.now, activity=activity)
        self.expect([], add, Plan.ActivityAdded)
        self.activities[activity_id] = False
        minutes = Minutes(
            minutes_id=minutes_id,
            met_on=START_DATE,
            attendee_ids=(self.coordinator,),
            notes="Oppstart",
            decisions="",
        )
        record = partial(self.plan.record_minutes, by=coordinator, at=self.now, minutes=minutes)
        self.expect([], record, Plan.MinutesRecorded)
        self.minutes.add(minutes_id)

    @rule(data=st.data())
    def add_participant(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        errors = self.managing_errors(by)
        role = data.draw(role_strategy, label="role")
        if role not in (Role.RELATIVE, Role.PROVIDER):
            errors.append(ValidationError)
        person = data.draw(st.sampled_from([self.new_id(), *self.people]), label="person")
        if self.actor_pid(person) is not None:
            errors.append(DuplicateError)
        pid = data.draw(st.sampled_from([self.new_id(), *self.members]), label="participant_id")
        if pid in self.members:
            errors.append(DuplicateError)
        rights = data.draw(rights_strategy, label="rights")
        accepted = self.expect(
            errors,
            lambda: self.plan.add_participant(
                by=by,
                at=self.now,
                participant_id=pid,
                person_id=person,
                role=role,
                responsibility="Kontaktlærer",
                rights=rights,
            ),
            Plan.ParticipantAdded,
        )
        if accepted:
            self.members[pid] = Member(person, role, rights)
            if person not in self.people:
                self.people.append(person)

    @rule(data=st.data())
    def change_rights(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        pid = self.draw_participant_id(data, "participant_id", lambda p: p != self.coordinator)
        current = self.members[pid].rights if pid in self.members else Rights()
        rights = data.draw(st.just(current) | rights_strategy, label="rights")
        errors = self.managing_errors(by)
        if not self.is_active(pid):
            errors.append(NotFoundError)
        elif pid == self.coordinator:
            errors.append(ValidationError)
        unchanged = pid in self.members and self.members[pid].rights == rights
        accepted = self.expect(
            errors,
            lambda: self.plan.change_rights(by=by, at=self.now, participant_id=pid, rights=rights),
            None if unchanged else Plan.RightsChanged,
        )
        if accepted:
            self.members[pid] = replace(self.members[pid], rights=rights)

    @rule(data=st.data(), role=st.sampled_from([Role.RELATIVE, Role.PROVIDER]))
    def change_role(self, data: st.DataObject, role: Role) -> None:
        """Decision 0054: a relative made a provider or back; never the owner, the baton
        holder or whoever is offered the baton."""
        by = self.draw_actor(data)
        pid = self.draw_participant_id(data, "participant_id")
        errors = self.managing_errors(by)
        unchanged = pid in self.members and self.members[pid].role is role
        if not self.is_active(pid):
            errors.append(NotFoundError)
        elif not unchanged and (
            self.members[pid].role is Role.OWNER or pid in (self.coordinator, self.offered)
        ):
            errors.append(ValidationError)  # a ConflictingValueError (409)
        accepted = self.expect(
            errors,
            lambda: self.plan.change_role(by=by, at=self.now, participant_id=pid, role=role),
            None if unchanged else Plan.RoleChanged,
        )
        if accepted:
            self.members[pid] = replace(self.members[pid], role=role)

    @rule(data=st.data())
    def remove_participant(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        pid = self.draw_participant_id(
            data,
            "participant_id",
            lambda p: p != self.coordinator and self.members[p].role is not Role.OWNER,
        )
        errors = self.managing_errors(by)
        if not self.is_active(pid):
            errors.append(NotFoundError)
        elif pid == self.coordinator or self.members[pid].role is Role.OWNER:
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.remove_participant(by=by, at=self.now, participant_id=pid),
            Plan.ParticipantRemoved,
        )
        if accepted:
            self.members[pid] = replace(self.members[pid], active=False)
            if pid == self.offered:
                self.offered = None

    @rule(data=st.data())
    def hand_over(self, data: st.DataObject) -> None:
        by, pid, errors = self.draw_baton_target(data)
        accepted = self.expect(
            errors,
            lambda: self.plan.hand_over_coordinator(by=by, at=self.now, participant_id=pid),
            Plan.CoordinatorHandedOver,
        )
        if accepted:
            self.coordinator, self.offered = pid, None

    @rule(data=st.data())
    def offer_baton(self, data: st.DataObject) -> None:
        by, pid, errors = self.draw_baton_target(data)
        if self.offered is not None and self.is_active(pid) and self.fits_the_baton(pid):
            errors.append(ConflictingValueError)
        accepted = self.expect(
            errors,
            lambda: self.plan.offer_baton(by=by, at=self.now, participant_id=pid),
            Plan.BatonOffered,
        )
        if accepted:
            self.offered = pid

    @rule(data=st.data(), accept=st.booleans())
    def offer_and_answer(self, data: st.DataObject, accept: bool) -> None:
        """An offer made and answered in one step, so that runs reach the answers often."""
        fits = [
            p
            for p, m in self.members.items()
            if m.active and m.role is Role.PROVIDER and p != self.coordinator
        ]
        if self.offered is None and fits and not self.closed:
            pid = data.draw(st.sampled_from(fits), label="offered")
            coordinator = self.members[self.coordinator].person_id
            offering = partial(self.plan.offer_baton, by=coordinator, at=self.now)
            self.expect([], partial(offering, participant_id=pid), Plan.BatonOffered)
            self.offered = pid
        if accept:
            self.accept_baton(data)
        else:
            self.end_baton_offer(data)

    def draw_answerer(self, data: st.DataObject) -> UUID:
        """The one offered the baton most often, then anyone."""
        offered = [] if self.offered is None else [self.members[self.offered].person_id] * 3
        present = [m.person_id for m in self.members.values() if m.active]
        return data.draw(st.sampled_from([*offered, *present, *self.people]), label="by")

    def answering_errors(self, person_id: UUID) -> Errors:
        pid = self.actor_pid(person_id)
        if pid is None:
            return [NotAParticipantError]
        errors: Errors = []
        if self.role_of(pid) is not Role.PROVIDER:
            errors.append(NotPermittedError)
        if self.closed:
            errors.append(PlanClosedError)
        if not self.consent_valid():
            errors.append(ConsentNotValidError)
        if self.offered != pid:
            errors.append(ValidationError)
        return errors

    @rule(data=st.data())
    def accept_baton(self, data: st.DataObject) -> None:
        by = self.draw_answerer(data)
        accepted = self.expect(
            self.answering_errors(by),
            lambda: self.plan.accept_baton(by=by, at=self.now),
            Plan.CoordinatorHandedOver,
        )
        if accepted:
            assert self.offered is not None
            self.coordinator, self.offered = self.offered, None

    @rule(data=st.data())
    def end_baton_offer(self, data: st.DataObject) -> None:
        by = self.draw_answerer(data) if data.draw(st.booleans()) else self.draw_actor(data)
        if self.actor_pid(by) == self.coordinator:
            errors = self.managing_errors(by)
            if self.offered is None:
                errors.append(ValidationError)
        else:
            errors = self.answering_errors(by)
        accepted = self.expect(
            errors, lambda: self.plan.end_baton_offer(by=by, at=self.now), Plan.BatonOfferEnded
        )
        if accepted:
            self.offered = None

    # ------------------------------------------------------------- content

    @rule(data=st.data(), title=text_strategy)
    def set_goal(self, data: st.DataObject, title: str) -> None:
        by = self.draw_actor(data)
        goal_id = self.new_id()
        errors = self.content_errors(by, Section.GOALS)
        if not title.strip():
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.set_goal(
                by=by, at=self.now, goal_id=goal_id, title=title, description="", due_on=None
            ),
            Plan.GoalSet,
        )
        if accepted:
            self.goals.add(goal_id)

    @rule(data=st.data(), status=st.sampled_from(GoalStatus), text=text_strategy)
    def evaluate_goal(self, data: st.DataObject, status: GoalStatus, text: str) -> None:
        by = self.draw_actor(data)
        goal_id = data.draw(st.sampled_from([*sorted(self.goals), UNKNOWN]), label="goal_id")
        errors = self.content_errors(by, Section.GOALS)
        if goal_id not in self.goals:
            errors.append(NotFoundError)
        if not text.strip():
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.evaluate_goal(
                by=by, at=self.now, goal_id=goal_id, status=status, text=text
            ),
            Plan.GoalEvaluated,
        )
        if accepted:
            assert self.plan.state.goals[goal_id].status is status
            assert self.plan.state.goals[goal_id].evaluations[-1].evaluated_on == local_date(
                self.now
            )

    @rule(data=st.data())
    def add_activity(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        responsible = self.draw_participant_id(data, "responsible")
        goal_id = data.draw(st.sampled_from([None, *sorted(self.goals), UNKNOWN]), label="goal_id")
        activity = Activity(
            activity_id=self.new_id(),
            title="Leksehjelp",
            description="",
            responsible_participant_id=responsible,
            due_on=None,
            goal_id=goal_id,
        )
        errors = self.content_errors(by, Section.ACTIVITIES)
        if not self.is_active(responsible):  # the responsible is looked at first
            errors.append(NotFoundError)
        elif not self.reads(responsible, Section.ACTIVITIES):
            errors.append(ConflictingValueError)
        elif goal_id is not None and goal_id not in self.goals:
            errors.append(NotFoundError)
        accepted = self.expect(
            errors,
            lambda: self.plan.add_activity(by=by, at=self.now, activity=activity),
            Plan.ActivityAdded,
        )
        if accepted:
            self.activities[activity.activity_id] = False

    @rule(data=st.data())
    def complete_activity(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        activity_id = data.draw(
            st.sampled_from([*sorted(self.activities), UNKNOWN]), label="activity_id"
        )
        errors = self.content_errors(by, Section.ACTIVITIES)
        if activity_id not in self.activities:
            errors.append(NotFoundError)
        elif self.activities[activity_id]:
            errors.append(DuplicateError)
        accepted = self.expect(
            errors,
            lambda: self.plan.complete_activity(by=by, at=self.now, activity_id=activity_id),
            Plan.ActivityCompleted,
        )
        if accepted:
            self.activities[activity_id] = True

    @rule(data=st.data(), kind=st.sampled_from(CommentTarget), text=text_strategy)
    def comment(self, data: st.DataObject, kind: CommentTarget, text: str) -> None:
        by = self.draw_actor(data)
        targets = {
            CommentTarget.GOAL: (self.goals, Section.GOALS),
            CommentTarget.ACTIVITY: (set(self.activities), Section.ACTIVITIES),
            CommentTarget.MINUTES: (self.minutes, Section.MINUTES),
        }
        known, section = targets[kind]
        on_id = data.draw(st.sampled_from([*sorted(known), UNKNOWN]), label="on_id")
        errors = self.content_errors(by, section, reading=True)
        if on_id not in known:
            errors.append(NotFoundError)
        if not text.strip():
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.post_comment(
                by=by, at=self.now, comment_id=self.new_id(), on_kind=kind, on_id=on_id, text=text
            ),
            Plan.CommentPosted,
        )
        self.comments += accepted

    @rule(data=st.data())
    def message(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        sender = self.actor_pid(by)
        # The sender may list themselves: they are left out of the recipients.
        present = [pid for pid in self.members if self.is_active(pid) and pid != sender]
        recipients = data.draw(
            st.none()
            | st.lists(
                st.sampled_from([*present, *present, *self.members, UNKNOWN]), max_size=3
            ).map(tuple),
            label="to",
        )
        errors = self.content_errors(by, Section.MESSAGES)
        if recipients is None:
            expected = [
                p
                for p, m in self.members.items()
                if m.active and p != sender and self.reads(p, Section.MESSAGES)
            ]
        else:
            expected = [p for p in dict.fromkeys(recipients) if p != sender]
            for pid in expected:  # the first recipient the plan cannot take says why
                if not self.is_active(pid):
                    errors.append(NotFoundError)
                    break
                if not self.reads(pid, Section.MESSAGES):
                    errors.append(ConflictingValueError)
                    break
        if not expected:
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.send_message(
                by=by,
                at=self.now,
                message_id=self.new_id(),
                recipient_ids=recipients,
                subject="Hei",
                body="Møte neste uke?",
            ),
            Plan.MessageSent,
        )
        if accepted:
            self.messages += 1
            sent = self.plan.state.messages[-1]
            assert sent.recipient_ids == tuple(expected)

    @rule(data=st.data(), length=st.integers(min_value=-60, max_value=240))
    def calendar_entry(self, data: st.DataObject, length: int) -> None:
        by = self.draw_actor(data)
        starts_at = self.now + timedelta(days=7)
        entry = CalendarEntry(
            entry_id=self.new_id(),
            title="Ansvarsgruppemøte",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=length),
            location="Skolen",
        )
        errors = self.content_errors(by, Section.ACTIVITIES)
        if length <= 0:
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.add_calendar_entry(by=by, at=self.now, entry=entry),
            Plan.CalendarEntryAdded,
        )
        self.calendar += accepted

    @rule(data=st.data(), notes=text_strategy)
    def record_minutes(self, data: st.DataObject, notes: str) -> None:
        by = self.draw_actor(data)
        attendees = data.draw(
            st.lists(st.sampled_from(self.participant_choices()), max_size=4).map(tuple),
            label="attendee_ids",
        )
        minutes = Minutes(
            minutes_id=self.new_id(),
            met_on=local_date(self.now),
            attendee_ids=attendees,
            notes=notes,
            decisions="",
        )
        errors = self.content_errors(by, Section.MINUTES)
        if not all(self.is_active(pid) for pid in attendees):
            errors.append(NotFoundError)
        if not notes.strip():
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.record_minutes(by=by, at=self.now, minutes=minutes),
            Plan.MinutesRecorded,
        )
        if accepted:
            self.minutes.add(minutes.minutes_id)
            stored = self.plan.state.minutes[minutes.minutes_id].attendee_ids
            assert stored == tuple(dict.fromkeys(attendees))

    # ------------------------------------------------------------- consent

    @rule(data=st.data())
    def reset_consent(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        lapsed = self.consent.status is not ConsentStatus.ACTIVE  # reset or withdrawn stays
        accepted = self.expect(
            self.managing_errors(by),
            lambda: self.plan.reset_consent(by=by, at=self.now),
            None if lapsed else Plan.ConsentReset,
        )
        if accepted and not lapsed:
            self.consent = replace(self.consent, status=ConsentStatus.RESET)

    @rule(
        data=st.data(),
        given_days_ago=st.integers(min_value=-2, max_value=5),
        days=st.integers(min_value=-1, max_value=120),
    )
    def renew_consent(self, data: st.DataObject, given_days_ago: int, days: int) -> None:
        by = self.draw_actor(data)
        given_on = local_date(self.now) - timedelta(days=given_days_ago)
        renewed = replace(
            FIRST_CONSENT, given_on=given_on, expires_on=given_on + timedelta(days=days)
        )
        errors = self.managing_errors(by)
        if days <= 0 or renewed.expires_on < local_date(self.now):
            errors.append(ValidationError)  # a renewal that has already run out is refused
        accepted = self.expect(
            errors,
            lambda: self.plan.renew_consent(by=by, at=self.now, consent=renewed),
            Plan.ConsentRenewed,
        )
        if accepted:
            self.consent = renewed

    @rule(data=st.data(), scope=text_strategy)
    def change_consent_scope(self, data: st.DataObject, scope: str) -> None:
        by = self.draw_actor(data)
        errors = self.managing_errors(by)
        if self.consent.status is not ConsentStatus.ACTIVE:
            errors.append(ConsentNotValidError)
        if not scope.strip():
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.change_consent_scope(by=by, at=self.now, scope=scope),
            Plan.ConsentChanged,
        )
        if accepted:
            self.consent = replace(self.consent, scope=scope.strip())

    @rule(data=st.data())
    def withdraw_consent(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        pid = self.actor_pid(by)
        errors: Errors = []
        if pid is None:
            errors.append(NotAParticipantError)
        elif self.role_of(pid) is Role.PROVIDER:
            errors.append(NotPermittedError)
        already = self.consent.status is ConsentStatus.WITHDRAWN
        accepted = self.expect(
            errors,
            lambda: self.plan.withdraw_consent(by=by, at=self.now, owner_of_age=None),
            None if already else Plan.ConsentWithdrawn,
        )
        if accepted:
            self.consent = replace(self.consent, status=ConsentStatus.WITHDRAWN)

    @rule(fraction=st.sampled_from([1.0, 0.0]) | st.floats(min_value=0, max_value=1))
    def advance_within_consent(self, fraction: float) -> None:
        """Move to an instant no later than the end of the consent's last local day."""
        last = datetime.combine(
            self.consent.expires_on, time(23, 59, 59), tzinfo=MUNICIPAL_TIMEZONE
        )
        if last <= self.now:
            self.now += timedelta(minutes=1)
            return
        self.now += (last - self.now) * fraction
        assert local_date(self.now) <= self.consent.expires_on

    @rule(hours=st.sampled_from([0]) | st.integers(min_value=0, max_value=72))
    def advance_past_consent(self, hours: int) -> None:
        """Move to an instant after the consent's last local day."""
        day_after = datetime.combine(
            self.consent.expires_on + timedelta(days=1), time(0, 0), tzinfo=MUNICIPAL_TIMEZONE
        )
        self.now = max(self.now, day_after.astimezone(UTC)) + timedelta(hours=hours)
        assert local_date(self.now) > self.consent.expires_on
        assert not self.consent_valid()

    # ----------------------------------------------------------- lifecycle

    @rule(data=st.data(), days=st.sampled_from([-1, 0]) | st.integers(min_value=-3, max_value=30))
    def close(self, data: st.DataObject, days: int) -> None:
        by = self.draw_actor(data)
        ended_on = START_DATE + timedelta(days=days)
        errors = self.managing_errors(by)
        if days < 0:
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.close(by=by, at=self.now, ended_on=ended_on, reason="Ferdig"),
            Plan.Closed,
        )
        if accepted:
            self.closed, self.offered = True, None
            assert self.plan.state.end_date == ended_on

    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        errors = self.coordinator_errors(by)
        if not self.closed:
            errors.append(ValidationError)
        accepted = self.expect(errors, lambda: self.plan.reopen(by=by, at=self.now), Plan.Reopened)
        if accepted:
            self.closed = False

    @rule(
        data=st.data(),
        short_name=st.sampled_from(["Ola", "Ola N", "   "]),
        end_days=st.sampled_from([None, -1, 0, 90]),
        level=st.sampled_from([None, 0, 1, 3, 4]),
        review_days=st.sampled_from([None, -1, 30]),
    )
    def change_details(
        self,
        data: st.DataObject,
        short_name: str,
        end_days: int | None,
        level: int | None,
        review_days: int | None,
    ) -> None:
        by = self.draw_actor(data)
        given: dict[str, Any] = {
            "short_name": short_name,
            "end_date": None if end_days is None else START_DATE + timedelta(days=end_days),
            "level": level,
            "review_on": None if review_days is None else START_DATE + timedelta(days=review_days),
        }
        given = {k: v for k, v in given.items() if data.draw(st.booleans(), label=f"gives {k}")}
        errors = self.managing_errors(by)
        state = self.plan.state
        invalid = {
            "short_name": short_name.strip() == "",
            "end_date": (end_days or 0) < 0,
            "level": level == 4,
            "review_on": (review_days or 0) < 0,
        }
        unchanged = all(getattr(state, k) == v for k, v in given.items())
        if unchanged or any(invalid[k] for k in given):
            errors.append(ValidationError)
        accepted = self.expect(
            errors,
            lambda: self.plan.change_details(by=by, at=self.now, **given),
            Plan.PlanDetailsChanged,
        )
        if accepted:
            details_changed = self.events[-1]
            assert isinstance(details_changed, Plan.PlanDetailsChanged)
            changed = details_changed.changes()
            assert changed
            assert all(given[k] == v for k, v in changed.items())
            assert all(getattr(self.plan.state, k) == v for k, v in given.items())

    @rule(data=st.data())
    def record_archive(self, data: st.DataObject) -> None:
        by = self.draw_actor(data)
        accepted = self.expect(
            self.coordinator_errors(by),
            lambda: self.plan.record_archive(
                by=by, at=self.now, archive_id=self.new_id(), digest="sha256:0"
            ),
            Plan.Archived,
        )
        self.archives += accepted

    # ---------------------------------------------------------- the checks

    @rule(data=st.data())
    def replaying_a_prefix_rebuilds_the_plan_as_it_stood(self, data: st.DataObject) -> None:
        n = data.draw(st.integers(min_value=1, max_value=len(self.events)), label="n")
        replayed = replay(self.events[:n])
        assert replayed.version == n
        assert replayed.state == self.states[n - 1]

    @invariant()
    def a_deep_copy_is_equal_and_independent(self) -> None:
        clone = copy.deepcopy(self.plan)
        assert clone == self.plan
        assert clone.state == self.plan.state
        assert clone.state is not self.plan.state
        saved = copy.deepcopy(self.plan.state)
        version = self.plan.version
        # A command on the copy (the coordinator may always archive) ...
        coordinator = self.members[self.coordinator].person_id
        clone.record_archive(by=coordinator, at=self.now, archive_id=UNKNOWN, digest="x")
        assert clone.version == version + 1
        # ... and changes made directly to every container of its state.
        state = clone.state
        for pid, participant in list(state.participants.items()):
            state.participants[pid] = replace(participant, active=False)
        state.participants[UNKNOWN] = state.participants[self.coordinator]
        for mapping in (state.goals, state.activities, state.minutes, state.calendar):
            mapping.clear()
        for items in (state.comments, state.messages, state.archives):
            items.clear()
        assert self.plan.version == version
        assert self.plan.pending_events == []
        assert self.plan.state == saved

    @invariant()
    def the_version_counts_the_collected_events(self) -> None:
        assert self.plan.version == len(self.events)
        assert [e.originator_version for e in self.events] == list(range(1, len(self.events) + 1))
        assert self.plan.pending_events == []

    @invariant()
    def replaying_every_event_rebuilds_the_plan(self) -> None:
        replayed = replay(self.events)
        assert replayed.state == self.plan.state
        assert replayed.version == self.plan.version
        assert replayed.modified_on == self.plan.modified_on

    @invariant()
    def there_is_exactly_one_coordinator_and_they_are_an_active_provider(self) -> None:
        state = self.plan.state
        coordinator = state.participants[state.coordinator_id]
        assert coordinator.active
        assert coordinator.role is Role.PROVIDER
        holders = [p for p in state.active_participants() if self.plan.is_coordinator(p.person_id)]
        assert holders == [coordinator]
        assert state.coordinator_id == self.coordinator

    @invariant()
    def the_baton_is_offered_only_to_an_active_provider_who_does_not_hold_it(self) -> None:
        """And never in a closed plan (decision 0052)."""
        offered = self.plan.state.baton_offered_to
        if offered is not None:
            participant = self.plan.state.participants[offered]
            assert participant.active
            assert participant.role is Role.PROVIDER
            assert offered != self.plan.state.coordinator_id
            assert self.plan.state.status is PlanStatus.OPEN

    @invariant()
    def a_closed_plan_gained_no_content(self) -> None:
        closed = False
        for event in self.events:
            if closed:
                assert not isinstance(event, CONTENT_EVENT_TYPES), event
                assert isinstance(event, ALLOWED_WHILE_CLOSED), event
            if isinstance(event, Plan.Closed):
                closed = True
            elif isinstance(event, Plan.Reopened):
                closed = False
        assert closed == self.closed

    @invariant()
    def the_plan_matches_the_model(self) -> None:
        state = self.plan.state
        assert {
            pid: (p.person_id, p.role, p.rights, p.active) for pid, p in state.participants.items()
        } == {pid: (m.person_id, m.role, m.rights, m.active) for pid, m in self.members.items()}
        assert state.status is (PlanStatus.CLOSED if self.closed else PlanStatus.OPEN)
        assert state.baton_offered_to == self.offered
        assert state.consent == self.consent
        assert set(state.goals) == self.goals
        assert {
            a: s.status is ActivityStatus.COMPLETED for a, s in state.activities.items()
        } == self.activities
        assert set(state.minutes) == self.minutes
        assert len(state.comments) == self.comments
        assert len(state.messages) == self.messages
        assert len(state.calendar) == self.calendar
        assert len(state.archives) == self.archives

    def teardown(self) -> None:
        for n in range(1, len(self.events) + 1):
            replayed = replay(self.events[:n])
            assert replayed.state == self.states[n - 1]
            assert replayed.version == n


def replay(events: list[Plan.Event]) -> Plan:
    plan = None
    for event in events:
        plan = event.mutate(plan)
    assert isinstance(plan, Plan)
    return plan


# max_examples and the rest come from the loaded profile (tests/conftest.py). The
# explain phase is left out: it traces every line and turns a few seconds of
# shrinking a failure into minutes, for a report the steps already give.
assert settings.default is not None  # the loaded profile
PlanMachine.TestCase.settings = settings(
    stateful_step_count=30,
    phases=[phase for phase in settings.default.phases if phase is not Phase.explain],
)
TestPlanStateMachine = PlanMachine.TestCase
