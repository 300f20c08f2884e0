"""What a plan holds: `PlanState`, and who someone is in it (standing, role, rights)
and so what the policy table lets them do in it (`PlanState.decision`).

The Plan aggregate (`plan.py`) keeps one; its events (`plan_events.py`) change it.
"""

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from uuid import UUID

from stafett.aggregates.logs import AppendOnlyLog
from stafett.aggregates.policy import Action, Decision, Standing, access_for, decide
from stafett.aggregates.values import (
    FULL_RIGHTS,
    Activity,
    ArchiveRecord,
    CalendarEntry,
    Comment,
    Consent,
    Goal,
    Message,
    Minutes,
    NotificationChoices,
    Participant,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    Section,
)


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
    # The BTI level (0–3; None: not set) and when the plan is next evaluated/revised
    # (decision 0051); plans created before they were carried read None.
    level: int | None = None
    review_on: date | None = None
    # The participant the coordinator offered the baton to, and when, until they accept
    # or decline it or the offer ends (decision 0052); None: no offer pending.
    baton_offered_to: UUID | None = None
    baton_offered_at: datetime | None = None
    # The coordinator the baton last passed from: whom an acceptance is told to (decision
    # 0053); None before any handover, and in snapshots taken before it was kept.
    baton_passed_from: UUID | None = None
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
    # Per participant, the notices they chose (decision 0020); absent: none.
    notifications: dict[UUID, NotificationChoices] = field(default_factory=dict)

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
        clone.notifications = dict(self.notifications)
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

    def decision(
        self,
        participant: Participant | None,
        action: Action,
        *,
        consent_valid: bool,
        section: Section | None = None,
        owner_of_age: bool | None = None,
    ) -> Decision:
        """The policy table's answer for `participant` doing `action` here (None, or
        removed: an outsider): their standing with the baton counted, their right in
        `section` (or the yes/no right the action needs; the coordinator's are full),
        and whether the plan is open, all as this state has them. Whether consent is
        valid, and whether the owner has reached the consent age (None: not known), are
        the caller's, for the instant it asks about."""
        if participant is None or not participant.active:
            standing, access = Standing.OUTSIDER, None
        else:
            standing = Standing(self.role_of(participant).value)
            access = access_for(action, self.rights_of(participant), section)
        return decide(
            action,
            standing,
            consent_valid=consent_valid,
            plan_open=self.status is PlanStatus.OPEN,
            access=access,
            owner_of_age=owner_of_age,
        )

    def reads(self, participant: Participant, section: Section, *, consent_valid: bool) -> bool:
        """Whether `participant` may read `section` (the policy table's answer, as for
        anyone reading it): who a message may be sent to, who may be responsible for an
        activity. An item addressed to someone who cannot read it would never reach them."""
        decision = self.decision(
            participant, Action.READ_SECTION, consent_valid=consent_valid, section=section
        )
        return decision.allowed


_STATE_FIELDS = tuple(f.name for f in fields(PlanState))
