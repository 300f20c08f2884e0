"""The Plan aggregate: one collaboration around a child; its events are its history.

Commands (the public methods) check every rule and then trigger one event; the
events' `apply` methods only assign state, so a stream recorded under older
rules always replays. Every event names its actor (person id and role in the
plan) and carries the instant the command was given, which is also the
library's `timestamp`.
"""

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot
from eventsourcing.utils import get_topic

from stafett.aggregates.errors import (
    ConsentNotValidError,
    DuplicateError,
    NotAParticipantError,
    NotFoundError,
    NotPermittedError,
    PlanClosedError,
    ValidationError,
)
from stafett.aggregates.logs import AppendOnlyLog
from stafett.aggregates.policy import Action, Denial, Standing, decide
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Activity,
    ActivityStatus,
    ArchiveRecord,
    CalendarEntry,
    Comment,
    CommentTarget,
    Consent,
    ConsentStatus,
    Evaluation,
    Goal,
    GoalStatus,
    Message,
    Minutes,
    Participant,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    Section,
    clean_name,
    clean_text,
    local_date,
    require_aware,
)

TOPIC_PREFIX = "stafett.plan:"
CONSENT_GIVEN_AT_MOST_AGO = timedelta(days=2 * 366)
CONSENT_GIVEN_AT_MOST_AHEAD = timedelta(days=366)
CONSENT_LONGEST = timedelta(days=5 * 366)
COMMENT_SECTION = {
    CommentTarget.GOAL: Section.GOALS,
    CommentTarget.ACTIVITY: Section.ACTIVITIES,
    CommentTarget.MINUTES: Section.MINUTES,
}


@dataclass(slots=True)
class PlanState:
    """Everything a plan holds. Items are frozen; only the containers change.

    Comments and messages, most of a long plan, are append-only logs that a plan
    loaded from a snapshot decodes only when they are read (see `AppendOnlyLog`);
    commands append to them but never read them.
    """

    plan_type: PlanType
    short_name: str
    owner_person_id: UUID
    start_date: date
    end_date: date | None
    consent: Consent
    coordinator_id: UUID
    participants: dict[UUID, Participant]
    status: PlanStatus = PlanStatus.OPEN
    closed_reason: str = ""
    # While closed, `end_date` is the day it ended; this keeps the planned end for a reopen.
    planned_end_date: date | None = None
    goals: dict[UUID, Goal] = field(default_factory=dict)
    activities: dict[UUID, Activity] = field(default_factory=dict)
    minutes: dict[UUID, Minutes] = field(default_factory=dict)
    comments: AppendOnlyLog[Comment] = field(default_factory=AppendOnlyLog)
    messages: AppendOnlyLog[Message] = field(default_factory=AppendOnlyLog)
    calendar: dict[UUID, CalendarEntry] = field(default_factory=dict)
    archives: list[ArchiveRecord] = field(default_factory=list)

    def copy(self) -> "PlanState":
        """A copy whose containers are new and whose frozen items are shared.

        Field by field rather than `dataclasses.replace`, which costs ten times more
        (it runs `__init__` through introspection); it is on every command's path.
        """
        clone = object.__new__(PlanState)
        for name in _STATE_FIELDS:
            setattr(clone, name, getattr(self, name))
        clone.participants = dict(self.participants)
        clone.goals = dict(self.goals)
        clone.activities = dict(self.activities)
        clone.minutes = dict(self.minutes)
        clone.comments = self.comments.copy()
        clone.messages = self.messages.copy()
        clone.calendar = dict(self.calendar)
        clone.archives = list(self.archives)
        return clone

    def active_participants(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.active]

    def participant_of(self, person_id: UUID) -> Participant | None:
        for participant in self.participants.values():
            if participant.person_id == person_id and participant.active:
                return participant
        return None

    # Who someone is in the plan, decided here only: the commands, the permitted
    # view and the history routes all ask these three.

    def role_of(self, participant: Participant) -> Role:
        """The participant's role, with the baton counted: the coordinator's is COORDINATOR."""
        if participant.participant_id == self.coordinator_id:
            return Role.COORDINATOR
        return participant.role

    def standing_of(self, person_id: UUID) -> tuple[Standing, Participant | None]:
        """How a person stands towards this plan now (removed counts as outside)."""
        participant = self.participant_of(person_id)
        if participant is None:
            return Standing.OUTSIDER, None
        return Standing(self.role_of(participant).value), participant

    def rights_of(self, participant: Participant) -> Rights:
        """The rights in force: the coordinator's are always full."""
        if participant.participant_id == self.coordinator_id:
            return FULL_RIGHTS
        return participant.rights


_STATE_FIELDS = tuple(f.name for f in fields(PlanState))


class Plan(Aggregate):
    """A stafettlogg (SL) or individuell plan (IP)."""

    TOPIC = TOPIC_PREFIX + "Plan"

    class Snapshot(BaseSnapshot):
        TOPIC = TOPIC_PREFIX + "Snapshot"

    class Event(Aggregate.Event):
        TOPIC = TOPIC_PREFIX + "Event"
        actor_id: UUID
        actor_role: Role

        def apply(self, aggregate: Any) -> None:
            plan: Plan = aggregate
            self.apply_to(plan.state)

        def apply_to(self, state: PlanState) -> None:
            raise NotImplementedError

    class Created(Aggregate.Created):
        TOPIC = TOPIC_PREFIX + "PlanCreated"
        actor_id: UUID
        actor_role: Role
        plan_type: PlanType
        short_name: str
        owner_person_id: UUID
        owner_participant_id: UUID
        coordinator_person_id: UUID
        coordinator_participant_id: UUID
        start_date: date
        end_date: date | None
        consent: Consent

        def apply(self, aggregate: Any) -> None:
            """`__init__` builds the state from this event; nothing more to do."""

    class ParticipantAdded(Event):
        TOPIC = TOPIC_PREFIX + "ParticipantAdded"
        participant_id: UUID
        person_id: UUID
        role: Role
        responsibility: str
        rights: Rights

        def apply_to(self, state: PlanState) -> None:
            state.participants[self.participant_id] = Participant(
                participant_id=self.participant_id,
                person_id=self.person_id,
                role=self.role,
                responsibility=self.responsibility,
                rights=self.rights,
            )

    class ParticipantChanged(Event):
        TOPIC = TOPIC_PREFIX + "ParticipantChanged"
        participant_id: UUID
        responsibility: str

        def apply_to(self, state: PlanState) -> None:
            old = state.participants[self.participant_id]
            state.participants[self.participant_id] = replace(
                old, responsibility=self.responsibility
            )

    class RightsChanged(Event):
        TOPIC = TOPIC_PREFIX + "RightsChanged"
        participant_id: UUID
        rights: Rights

        def apply_to(self, state: PlanState) -> None:
            old = state.participants[self.participant_id]
            state.participants[self.participant_id] = replace(old, rights=self.rights)

    class ParticipantRemoved(Event):
        TOPIC = TOPIC_PREFIX + "ParticipantRemoved"
        participant_id: UUID

        def apply_to(self, state: PlanState) -> None:
            old = state.participants[self.participant_id]
            state.participants[self.participant_id] = replace(old, active=False)

    class ConsentRenewed(Event):
        TOPIC = TOPIC_PREFIX + "ConsentRenewed"
        consent: Consent

        def apply_to(self, state: PlanState) -> None:
            state.consent = self.consent

    class ConsentChanged(Event):
        TOPIC = TOPIC_PREFIX + "ConsentChanged"
        scope: str

        def apply_to(self, state: PlanState) -> None:
            state.consent = replace(state.consent, scope=self.scope)

    class ConsentReset(Event):
        TOPIC = TOPIC_PREFIX + "ConsentReset"

        def apply_to(self, state: PlanState) -> None:
            state.consent = replace(state.consent, status=ConsentStatus.RESET)

    class ConsentWithdrawn(Event):
        TOPIC = TOPIC_PREFIX + "ConsentWithdrawn"

        def apply_to(self, state: PlanState) -> None:
            state.consent = replace(state.consent, status=ConsentStatus.WITHDRAWN)

    class CoordinatorHandedOver(Event):
        TOPIC = TOPIC_PREFIX + "CoordinatorHandedOver"
        participant_id: UUID

        def apply_to(self, state: PlanState) -> None:
            state.coordinator_id = self.participant_id

    class GoalSet(Event):
        TOPIC = TOPIC_PREFIX + "GoalSet"
        goal_id: UUID
        title: str
        description: str
        due_on: date | None

        def apply_to(self, state: PlanState) -> None:
            state.goals[self.goal_id] = Goal(
                goal_id=self.goal_id,
                title=self.title,
                description=self.description,
                due_on=self.due_on,
            )

    class GoalRevised(Event):
        TOPIC = TOPIC_PREFIX + "GoalRevised"
        goal_id: UUID
        title: str
        description: str
        due_on: date | None

        def apply_to(self, state: PlanState) -> None:
            old = state.goals[self.goal_id]
            state.goals[self.goal_id] = replace(
                old, title=self.title, description=self.description, due_on=self.due_on
            )

    class GoalEvaluated(Event):
        TOPIC = TOPIC_PREFIX + "GoalEvaluated"
        goal_id: UUID
        evaluation: Evaluation

        def apply_to(self, state: PlanState) -> None:
            old = state.goals[self.goal_id]
            state.goals[self.goal_id] = replace(
                old,
                status=self.evaluation.status,
                evaluations=(*old.evaluations, self.evaluation),
            )

    class ActivityAdded(Event):
        TOPIC = TOPIC_PREFIX + "ActivityAdded"
        activity: Activity

        def apply_to(self, state: PlanState) -> None:
            state.activities[self.activity.activity_id] = self.activity

    class ActivityChanged(Event):
        TOPIC = TOPIC_PREFIX + "ActivityChanged"
        activity: Activity

        def apply_to(self, state: PlanState) -> None:
            state.activities[self.activity.activity_id] = self.activity

    class ActivityCompleted(Event):
        TOPIC = TOPIC_PREFIX + "ActivityCompleted"
        activity_id: UUID
        completed_on: date

        def apply_to(self, state: PlanState) -> None:
            old = state.activities[self.activity_id]
            state.activities[self.activity_id] = replace(
                old, status=ActivityStatus.COMPLETED, completed_on=self.completed_on
            )

    class MinutesRecorded(Event):
        TOPIC = TOPIC_PREFIX + "MinutesRecorded"
        minutes: Minutes

        def apply_to(self, state: PlanState) -> None:
            state.minutes[self.minutes.minutes_id] = self.minutes

    class CommentPosted(Event):
        TOPIC = TOPIC_PREFIX + "CommentPosted"
        comment: Comment

        def apply_to(self, state: PlanState) -> None:
            state.comments.append(self.comment)

    class MessageSent(Event):
        TOPIC = TOPIC_PREFIX + "MessageSent"
        message: Message

        def apply_to(self, state: PlanState) -> None:
            state.messages.append(self.message)

    class CalendarEntryAdded(Event):
        TOPIC = TOPIC_PREFIX + "CalendarEntryAdded"
        entry: CalendarEntry

        def apply_to(self, state: PlanState) -> None:
            state.calendar[self.entry.entry_id] = self.entry

    class Closed(Event):
        TOPIC = TOPIC_PREFIX + "PlanClosed"
        ended_on: date
        reason: str

        def apply_to(self, state: PlanState) -> None:
            state.status = PlanStatus.CLOSED
            state.planned_end_date = state.end_date
            state.end_date = self.ended_on
            state.closed_reason = self.reason

    class Reopened(Event):
        TOPIC = TOPIC_PREFIX + "PlanReopened"
        # The planned end date the plan gets back; events stored before it was carried
        # read None here, as the plan then had it.
        end_date: date | None = None

        def apply_to(self, state: PlanState) -> None:
            state.status = PlanStatus.OPEN
            state.end_date = self.end_date
            state.planned_end_date = None
            state.closed_reason = ""

    class Archived(Event):
        TOPIC = TOPIC_PREFIX + "PlanArchived"
        archive: ArchiveRecord

        def apply_to(self, state: PlanState) -> None:
            state.archives.append(self.archive)

    def __init__(
        self,
        *,
        actor_id: UUID,
        actor_role: Role,
        plan_type: PlanType,
        short_name: str,
        owner_person_id: UUID,
        owner_participant_id: UUID,
        coordinator_person_id: UUID,
        coordinator_participant_id: UUID,
        start_date: date,
        end_date: date | None,
        consent: Consent,
    ) -> None:
        del actor_id, actor_role
        self.state = PlanState(
            plan_type=plan_type,
            short_name=short_name,
            owner_person_id=owner_person_id,
            start_date=start_date,
            end_date=end_date,
            consent=consent,
            coordinator_id=coordinator_participant_id,
            participants={
                owner_participant_id: Participant(
                    participant_id=owner_participant_id,
                    person_id=owner_person_id,
                    role=Role.OWNER,
                    responsibility="",
                    rights=Rights(),
                ),
                coordinator_participant_id: Participant(
                    participant_id=coordinator_participant_id,
                    person_id=coordinator_person_id,
                    role=Role.PROVIDER,
                    responsibility="",
                    rights=FULL_RIGHTS,
                ),
            },
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> "Plan":
        """Copy cheaply: containers are copied, the frozen items are shared."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.__dict__["state"] = self.state.copy()
        clone.__dict__["_pending_events"] = list(self._pending_events)
        return clone

    # ----------------------------------------------------------------- create

    @classmethod
    def create(
        cls,
        *,
        plan_id: UUID,
        at: datetime,
        creator_person_id: UUID,
        creator_participant_id: UUID,
        plan_type: PlanType,
        short_name: str,
        owner_person_id: UUID,
        owner_participant_id: UUID,
        start_date: date,
        end_date: date | None,
        consent: Consent,
    ) -> "Plan":
        """Open a plan; the creator becomes its coordinator."""
        require_aware("at", at)
        if owner_person_id == creator_person_id:
            raise ValidationError("owner", "the coordinator cannot be the plan's owner")
        if owner_participant_id == creator_participant_id:
            raise ValidationError("owner", "the owner and the coordinator are two participants")
        if end_date is not None and end_date < start_date:
            raise ValidationError("end_date", "must not be before start_date")
        if consent.expires_on > consent.given_on and not consent.is_valid_on(local_date(at)):
            raise ConsentNotValidError("a plan can only be created under valid consent")
        consent = _checked_consent(consent, today=local_date(at))
        return cls._create(
            cls.Created,
            id=plan_id,
            timestamp=at,
            actor_id=creator_person_id,
            actor_role=Role.COORDINATOR,
            plan_type=plan_type,
            short_name=clean_name("short_name", short_name),
            owner_person_id=owner_person_id,
            owner_participant_id=owner_participant_id,
            coordinator_person_id=creator_person_id,
            coordinator_participant_id=creator_participant_id,
            start_date=start_date,
            end_date=end_date,
            consent=consent,
        )

    # ---------------------------------------------------------------- helpers

    state: PlanState

    def actor(self, person_id: UUID) -> Participant:
        participant = self.state.participant_of(person_id)
        if participant is None:
            raise NotAParticipantError("the person is not in this plan group")
        return participant

    def is_coordinator(self, person_id: UUID) -> bool:
        participant = self.state.participant_of(person_id)
        return participant is not None and (participant.participant_id == self.state.coordinator_id)

    def _trigger(self, event_class: type[Event], at: datetime, by: Participant, **kw: Any) -> None:
        require_aware("at", at)
        self.trigger_event(
            event_class,
            timestamp=at,
            actor_id=by.person_id,
            actor_role=self.state.role_of(by),
            **kw,
        )

    def permitted(
        self,
        person_id: UUID,
        action: Action,
        *,
        at: datetime | None = None,
        section: Section | None = None,
    ) -> Participant:
        """The acting participant, if the policy table allows the action at `at`.

        Else the refusal as a domain error. Without `at`, consent is not asked (the
        actions that need it always come with their instant).
        """
        standing, participant = self.state.standing_of(person_id)
        if at is not None:
            require_aware("at", at)
        decision = decide(
            action,
            standing,
            consent_valid=at is None or self.state.consent.is_valid_on(local_date(at)),
            plan_open=self.state.status is PlanStatus.OPEN,
            access=None
            if participant is None or section is None
            else self.state.rights_of(participant).level(section),
        )
        if decision.denial is not None or participant is None:
            raise _refusal(decision.denial, action, section)
        return participant

    def _coordinator(self, person_id: UUID) -> Participant:
        return self.permitted(person_id, Action.RECORD_ARCHIVE)

    def _managing(self, person_id: UUID) -> Participant:
        return self.permitted(person_id, Action.MANAGE)

    def _writer(self, person_id: UUID, section: Section, at: datetime) -> Participant:
        return self.permitted(person_id, Action.WRITE_SECTION, at=at, section=section)

    def _participant(self, participant_id: UUID, field_name: str) -> Participant:
        participant = self.state.participants.get(participant_id)
        if participant is None or not participant.active:
            raise NotFoundError(f"{field_name}: no such participant in this plan")
        return participant

    def goal(self, goal_id: UUID) -> Goal:
        goal = self.state.goals.get(goal_id)
        if goal is None:
            raise NotFoundError("no such goal in this plan")
        return goal

    def activity(self, activity_id: UUID) -> Activity:
        activity = self.state.activities.get(activity_id)
        if activity is None:
            raise NotFoundError("no such activity in this plan")
        return activity

    # ----------------------------------------------------------- participants

    def add_participant(
        self,
        *,
        by: UUID,
        at: datetime,
        participant_id: UUID,
        person_id: UUID,
        role: Role,
        responsibility: str,
        rights: Rights,
    ) -> None:
        actor = self._managing(by)
        if role not in (Role.RELATIVE, Role.PROVIDER):
            raise ValidationError("role", "must be relative or provider")
        if self.state.participant_of(person_id) is not None:
            raise DuplicateError("the person is already in this plan group")
        if participant_id in self.state.participants:
            raise DuplicateError("participant id already used")
        self._trigger(
            self.ParticipantAdded,
            at,
            actor,
            participant_id=participant_id,
            person_id=person_id,
            role=role,
            responsibility=clean_text("responsibility", responsibility),
            rights=rights,
        )

    def change_participant(
        self, *, by: UUID, at: datetime, participant_id: UUID, responsibility: str
    ) -> None:
        actor = self._managing(by)
        self._participant(participant_id, "participant_id")
        self._trigger(
            self.ParticipantChanged,
            at,
            actor,
            participant_id=participant_id,
            responsibility=clean_text("responsibility", responsibility),
        )

    def change_rights(
        self, *, by: UUID, at: datetime, participant_id: UUID, rights: Rights
    ) -> None:
        actor = self._managing(by)
        target = self._participant(participant_id, "participant_id")
        if participant_id == self.state.coordinator_id:
            raise ValidationError("participant_id", "the coordinator always has full rights")
        if target.rights == rights:
            return
        self._trigger(self.RightsChanged, at, actor, participant_id=participant_id, rights=rights)

    def update_participant(
        self,
        *,
        by: UUID,
        at: datetime,
        participant_id: UUID,
        responsibility: str | None = None,
        rights: Rights | None = None,
    ) -> None:
        """New rights and/or responsibility (None keeps it), in one save or not at all."""
        if rights is not None:
            self.change_rights(by=by, at=at, participant_id=participant_id, rights=rights)
        if responsibility is not None:
            self.change_participant(
                by=by, at=at, participant_id=participant_id, responsibility=responsibility
            )

    def remove_participant(self, *, by: UUID, at: datetime, participant_id: UUID) -> None:
        actor = self._managing(by)
        target = self._participant(participant_id, "participant_id")
        if participant_id == self.state.coordinator_id:
            raise ValidationError("participant_id", "hand the baton over before leaving")
        if target.role is Role.OWNER:
            raise ValidationError("participant_id", "the plan owner cannot be removed")
        self._trigger(self.ParticipantRemoved, at, actor, participant_id=participant_id)

    def hand_over_coordinator(self, *, by: UUID, at: datetime, participant_id: UUID) -> None:
        actor = self._managing(by)
        target = self._participant(participant_id, "participant_id")
        if target.role is not Role.PROVIDER:
            raise ValidationError("participant_id", "the baton can only pass to a provider")
        if participant_id == self.state.coordinator_id:
            raise ValidationError("participant_id", "already holds the baton")
        self._trigger(self.CoordinatorHandedOver, at, actor, participant_id=participant_id)

    # ----------------------------------------------------------------- consent

    def renew_consent(self, *, by: UUID, at: datetime, consent: Consent) -> None:
        actor = self._managing(by)
        consent = _checked_consent(
            replace(consent, status=ConsentStatus.ACTIVE), today=local_date(at)
        )
        self._trigger(self.ConsentRenewed, at, actor, consent=consent)

    def change_consent_scope(self, *, by: UUID, at: datetime, scope: str) -> None:
        actor = self._managing(by)
        if self.state.consent.status is not ConsentStatus.ACTIVE:
            raise ConsentNotValidError("consent must be given again before its scope changes")
        self._trigger(
            self.ConsentChanged, at, actor, scope=clean_text("scope", scope, required=True)
        )

    def reset_consent(self, *, by: UUID, at: datetime) -> None:
        actor = self._managing(by)
        if self.state.consent.status is not ConsentStatus.ACTIVE:
            return  # already reset, or withdrawn by the family: a reset must not hide that
        self._trigger(self.ConsentReset, at, actor)

    def withdraw_consent(self, *, by: UUID, at: datetime) -> None:
        """The owner, a relative or the coordinator withdraws consent (also when closed)."""
        actor = self.permitted(by, Action.WITHDRAW_CONSENT)
        if self.state.consent.status is ConsentStatus.WITHDRAWN:
            return
        self._trigger(self.ConsentWithdrawn, at, actor)

    # ------------------------------------------------------------------- goals

    def set_goal(
        self,
        *,
        by: UUID,
        at: datetime,
        goal_id: UUID,
        title: str,
        description: str,
        due_on: date | None,
    ) -> None:
        actor = self._writer(by, Section.GOALS, at)
        if goal_id in self.state.goals:
            raise DuplicateError("goal id already used")
        self._trigger(
            self.GoalSet,
            at,
            actor,
            goal_id=goal_id,
            title=clean_name("title", title),
            description=clean_text("description", description),
            due_on=due_on,
        )

    def revise_goal(
        self,
        *,
        by: UUID,
        at: datetime,
        goal_id: UUID,
        title: str,
        description: str,
        due_on: date | None,
    ) -> None:
        actor = self._writer(by, Section.GOALS, at)
        self.goal(goal_id)
        self._trigger(
            self.GoalRevised,
            at,
            actor,
            goal_id=goal_id,
            title=clean_name("title", title),
            description=clean_text("description", description),
            due_on=due_on,
        )

    def evaluate_goal(
        self, *, by: UUID, at: datetime, goal_id: UUID, status: GoalStatus, text: str
    ) -> None:
        actor = self._writer(by, Section.GOALS, at)
        self.goal(goal_id)
        evaluation = Evaluation(
            evaluated_on=local_date(at),
            status=status,
            text=clean_text("text", text, required=True),
            by_participant_id=actor.participant_id,
        )
        self._trigger(self.GoalEvaluated, at, actor, goal_id=goal_id, evaluation=evaluation)

    # -------------------------------------------------------------- activities

    def add_activity(self, *, by: UUID, at: datetime, activity: Activity) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        if activity.activity_id in self.state.activities:
            raise DuplicateError("activity id already used")
        if activity.status is ActivityStatus.COMPLETED:
            raise ValidationError("status", "complete an activity with its own command")
        checked = self._checked_activity(activity)
        self._trigger(self.ActivityAdded, at, actor, activity=checked)

    def change_activity(self, *, by: UUID, at: datetime, activity: Activity) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        old = self.activity(activity.activity_id)
        checked = self._checked_activity(activity)
        if checked.status is ActivityStatus.COMPLETED and old.status is not checked.status:
            raise ValidationError("status", "complete an activity with its own command")
        self._trigger(self.ActivityChanged, at, actor, activity=checked)

    def revise_activity(self, *, by: UUID, at: datetime, activity: Activity) -> None:
        """The activity as it should now be, from its fields: changed, completed, or both.

        A status that becomes completed completes it (dated today), with any other
        field changed first, in one save; an unchanged activity triggers nothing.
        """
        old = self.activity(activity.activity_id)
        done = ActivityStatus.COMPLETED
        if activity.status is done and old.status is not done:
            fields = replace(activity, status=old.status, completed_on=old.completed_on)
            if fields != old:
                self.change_activity(by=by, at=at, activity=fields)
            self.complete_activity(by=by, at=at, activity_id=activity.activity_id)
            return
        same_status = activity.status is old.status
        candidate = replace(activity, completed_on=old.completed_on if same_status else None)
        if candidate != old:
            self.change_activity(by=by, at=at, activity=candidate)

    def complete_activity(self, *, by: UUID, at: datetime, activity_id: UUID) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        if self.activity(activity_id).status is ActivityStatus.COMPLETED:
            raise DuplicateError("the activity is already completed")
        self._trigger(
            self.ActivityCompleted,
            at,
            actor,
            activity_id=activity_id,
            completed_on=local_date(at),
        )

    def _checked_activity(self, activity: Activity) -> Activity:
        self._participant(activity.responsible_participant_id, "responsible_participant_id")
        if activity.goal_id is not None and activity.goal_id not in self.state.goals:
            raise NotFoundError("goal_id: no such goal in this plan")
        return replace(
            activity,
            title=clean_name("title", activity.title),
            description=clean_text("description", activity.description),
        )

    # ------------------------------------------------------ minutes and talk

    def record_minutes(self, *, by: UUID, at: datetime, minutes: Minutes) -> None:
        actor = self._writer(by, Section.MINUTES, at)
        if minutes.minutes_id in self.state.minutes:
            raise DuplicateError("minutes id already used")
        for attendee in minutes.attendee_ids:
            self._participant(attendee, "attendee_ids")
        checked = replace(
            minutes,
            attendee_ids=tuple(dict.fromkeys(minutes.attendee_ids)),
            notes=clean_text("notes", minutes.notes, required=True),
            decisions=clean_text("decisions", minutes.decisions),
        )
        self._trigger(self.MinutesRecorded, at, actor, minutes=checked)

    def post_comment(
        self,
        *,
        by: UUID,
        at: datetime,
        comment_id: UUID,
        on_kind: CommentTarget,
        on_id: UUID,
        text: str,
    ) -> None:
        """Comment on a goal, activity or minutes; reading its section is enough."""
        actor = self.permitted(by, Action.COMMENT, at=at, section=COMMENT_SECTION[on_kind])
        targets: dict[CommentTarget, dict[UUID, Any]] = {
            CommentTarget.GOAL: self.state.goals,
            CommentTarget.ACTIVITY: self.state.activities,
            CommentTarget.MINUTES: self.state.minutes,
        }
        if on_id not in targets[on_kind]:
            raise NotFoundError(f"on: no such {on_kind.value} in this plan")
        comment = Comment(
            comment_id=comment_id,
            on_kind=on_kind,
            on_id=on_id,
            text=clean_text("text", text, required=True),
            author_participant_id=actor.participant_id,
            posted_at=at,
        )
        self._trigger(self.CommentPosted, at, actor, comment=comment)

    def send_message(
        self,
        *,
        by: UUID,
        at: datetime,
        message_id: UUID,
        recipient_ids: tuple[UUID, ...] | None,
        subject: str,
        body: str,
    ) -> None:
        """Send to the listed participants, or to every other participant when None."""
        actor = self._writer(by, Section.MESSAGES, at)
        if recipient_ids is None:
            recipients = tuple(
                p.participant_id
                for p in self.state.active_participants()
                if p.participant_id != actor.participant_id
            )
        else:
            recipients = tuple(r for r in dict.fromkeys(recipient_ids) if r != actor.participant_id)
            for recipient in recipients:
                self._participant(recipient, "to")
        if not recipients:
            raise ValidationError("to", "must name at least one other participant")
        message = Message(
            message_id=message_id,
            sender_participant_id=actor.participant_id,
            recipient_ids=recipients,
            subject=clean_name("subject", subject),
            body=clean_text("body", body, required=True),
            sent_at=at,
        )
        self._trigger(self.MessageSent, at, actor, message=message)

    def add_calendar_entry(self, *, by: UUID, at: datetime, entry: CalendarEntry) -> None:
        actor = self._writer(by, Section.ACTIVITIES, at)
        if entry.entry_id in self.state.calendar:
            raise DuplicateError("calendar entry id already used")
        require_aware("starts_at", entry.starts_at)
        require_aware("ends_at", entry.ends_at)
        if entry.ends_at <= entry.starts_at:
            raise ValidationError("ends_at", "must be after starts_at")
        checked = replace(
            entry,
            title=clean_name("title", entry.title),
            location=clean_text("location", entry.location),
        )
        self._trigger(self.CalendarEntryAdded, at, actor, entry=checked)

    # ------------------------------------------------------------- lifecycle

    def close(self, *, by: UUID, at: datetime, ended_on: date, reason: str) -> None:
        actor = self._managing(by)
        if ended_on < self.state.start_date:
            raise ValidationError("ended_on", "must not be before the plan's start date")
        self._trigger(
            self.Closed, at, actor, ended_on=ended_on, reason=clean_text("reason", reason)
        )

    def reopen(self, *, by: UUID, at: datetime) -> None:
        actor = self.permitted(by, Action.REOPEN)
        self._trigger(self.Reopened, at, actor, end_date=self.state.planned_end_date)

    def record_archive(self, *, by: UUID, at: datetime, archive_id: UUID, digest: str) -> None:
        """Note that a sealed record was made; archiving may happen more than once."""
        actor = self._coordinator(by)
        if not digest:
            raise ValidationError("digest", "must not be empty")
        archive = ArchiveRecord(archive_id=archive_id, archived_at=at, digest=digest)
        self._trigger(self.Archived, at, actor, archive=archive)


def _refusal(denial: Denial | None, action: Action, section: Section | None) -> Exception:
    """The domain error for a refusal of the policy table."""
    where = f" to {section.value}" if section is not None else ""
    messages: dict[Denial | None, Exception] = {
        None: NotAParticipantError("the person is not in this plan group"),
        Denial.NOT_FOUND: NotAParticipantError("the person is not in this plan group"),
        Denial.NOT_PERMITTED: NotPermittedError(f"not permitted: {action.value}{where}"),
        Denial.CONSENT: ConsentNotValidError("content needs valid consent"),
        Denial.CLOSED: PlanClosedError("the plan is closed"),
        Denial.NOT_CLOSED: ValidationError("status", "only a closed plan can be reopened"),
    }
    return messages[denial]


def _checked_consent(consent: Consent, *, today: date) -> Consent:
    """Consent dated near today that has not run out and runs for a plausible while.

    A consent dated 1900 or running to 9999 is a typing error, and a "renewal"
    that has already run out would lock every provider, and the coordinator's own
    writes, out of the plan at once.
    """
    if consent.given_on > today + CONSENT_GIVEN_AT_MOST_AHEAD:
        raise ValidationError("given_on", "must be within the coming year")
    if consent.given_on < today - CONSENT_GIVEN_AT_MOST_AGO:
        raise ValidationError("given_on", "must be within the last two years")
    if consent.expires_on <= consent.given_on:
        raise ValidationError("expires_on", "must be after given_on")
    if consent.expires_on < today:
        raise ValidationError("expires_on", "must not have passed already")
    if consent.expires_on > consent.given_on + CONSENT_LONGEST:
        raise ValidationError("expires_on", "must be at most five years after given_on")
    return replace(
        consent,
        given_by=clean_name("given_by", consent.given_by),
        scope=clean_text("scope", consent.scope, required=True),
    )


CONTENT_EVENT_TYPES: tuple[type[Plan.Event], ...] = (
    Plan.GoalSet,
    Plan.GoalRevised,
    Plan.GoalEvaluated,
    Plan.ActivityAdded,
    Plan.ActivityChanged,
    Plan.ActivityCompleted,
    Plan.MinutesRecorded,
    Plan.CommentPosted,
    Plan.MessageSent,
    Plan.CalendarEntryAdded,
)


def _register_topics() -> None:
    """Make every stored topic of a plan resolvable as soon as this module is imported.

    The library registers a class's own `TOPIC` only when it first encodes one, so a
    process that reads before it writes (a restarted server, a fresh loader) could not
    resolve `stafett.plan:...` topics.
    """
    for cls in (Plan, *vars(Plan).values()):
        if isinstance(cls, type) and "TOPIC" in vars(cls):
            get_topic(cls)


_register_topics()
