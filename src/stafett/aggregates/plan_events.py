"""The Plan aggregate's events, after the creation: each one's `apply_to` only assigns state.

Each keeps the explicit topic `stafett.plan:<Name>` it is stored under, so it moves
between modules without a stored event changing; `Plan` names each one as an
attribute (`Plan.GoalSet`), and the plan's `Created` event is defined there.
Commands check every rule before they trigger one, so a stream recorded under
older rules always replays.
"""

from dataclasses import fields, replace
from datetime import date
from enum import Enum
from functools import cache
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from stafett.aggregates.plan_state import PlanState
from stafett.aggregates.values import (
    Activity,
    ActivityStatus,
    ArchiveRecord,
    CalendarEntry,
    Comment,
    Consent,
    ConsentStatus,
    Evaluation,
    Goal,
    Message,
    Minutes,
    NotificationChoices,
    Participant,
    PlanStatus,
    Rights,
    Role,
)

TOPIC_PREFIX = "stafett.plan:"


class PlanEvent(Aggregate.Event):
    """`Plan.Event`: what every plan event carries, and the state it changes."""

    TOPIC = TOPIC_PREFIX + "Event"
    actor_id: UUID
    actor_role: Role

    def apply(self, aggregate: Any) -> None:
        self.apply_to(aggregate.state)

    def apply_to(self, state: PlanState) -> None:
        raise NotImplementedError

    @property
    def changed_item(self) -> UUID | None:
        """The goal or activity whose stated fields this event sets or changes, if any."""
        return None

    def own_fields(self, *leaving_out: str) -> dict[str, Any]:
        """This event's fields beyond those every plan event has (and `leaving_out`), by name."""
        names = _own_field_names(type(self))
        return {name: getattr(self, name) for name in names if name not in leaving_out}


@cache
def _own_field_names(cls: type[PlanEvent]) -> tuple[str, ...]:
    common = {f.name for f in fields(PlanEvent)}
    return tuple(f.name for f in fields(cls) if f.name not in common)


def _revise(items: dict[UUID, Any], item_id: UUID, **changes: Any) -> None:
    """Replace the item `item_id` of `items` by a copy with `changes`."""
    items[item_id] = replace(items[item_id], **changes)


class _ParticipantRevised(PlanEvent):
    """A participant's record, changed in the fields the event carries besides the id."""

    participant_id: UUID

    def apply_to(self, state: PlanState) -> None:
        changes = self.own_fields("participant_id")
        _revise(state.participants, self.participant_id, **changes)


# ------------------------------------------------------------ the plan group


class ParticipantAdded(PlanEvent):
    TOPIC = TOPIC_PREFIX + "ParticipantAdded"
    participant_id: UUID
    person_id: UUID
    role: Role
    responsibility: str
    rights: Rights

    def apply_to(self, state: PlanState) -> None:
        state.participants[self.participant_id] = Participant(**self.own_fields())


class ParticipantChanged(_ParticipantRevised):
    TOPIC = TOPIC_PREFIX + "ParticipantChanged"
    responsibility: str


class RightsChanged(_ParticipantRevised):
    TOPIC = TOPIC_PREFIX + "RightsChanged"
    rights: Rights


class RoleChanged(_ParticipantRevised):
    """A relative who is a provider, or the other way round (decision 0054)."""

    TOPIC = TOPIC_PREFIX + "RoleChanged"
    role: Role


class ParticipantRemoved(PlanEvent):
    TOPIC = TOPIC_PREFIX + "ParticipantRemoved"
    participant_id: UUID

    def apply_to(self, state: PlanState) -> None:
        _revise(state.participants, self.participant_id, active=False)
        if state.baton_offered_to == self.participant_id:
            end_baton_offer(state)  # an offer ends with its participant (decision 0052)


class NotificationsChosen(PlanEvent):
    """The notices a participant wants, per kind of change and channel (decision 0020)."""

    TOPIC = TOPIC_PREFIX + "NotificationsChosen"
    participant_id: UUID
    choices: NotificationChoices

    def apply_to(self, state: PlanState) -> None:
        state.notifications[self.participant_id] = self.choices


class CoordinatorHandedOver(PlanEvent):
    """The baton passed: handed over directly, or accepted by the one it was offered to
    (then the actor is the new holder). Either way no offer stays pending."""

    TOPIC = TOPIC_PREFIX + "CoordinatorHandedOver"
    participant_id: UUID

    def apply_to(self, state: PlanState) -> None:
        state.baton_passed_from = state.coordinator_id
        state.coordinator_id = self.participant_id
        end_baton_offer(state)


class BatonOffered(PlanEvent):
    """The coordinator offers the baton; they keep it until it is accepted (decision 0052)."""

    TOPIC = TOPIC_PREFIX + "BatonOffered"
    participant_id: UUID

    def apply_to(self, state: PlanState) -> None:
        state.baton_offered_to = self.participant_id
        state.baton_offered_at = self.timestamp


class BatonOfferEnded(PlanEvent):
    """The offer is over without the baton passing: withdrawn by the coordinator, or
    declined (`declined`) by the participant it was offered to."""

    TOPIC = TOPIC_PREFIX + "BatonOfferEnded"
    participant_id: UUID
    declined: bool

    def apply_to(self, state: PlanState) -> None:
        end_baton_offer(state)


def end_baton_offer(state: PlanState) -> None:
    """No offer of the baton pending any more."""
    state.baton_offered_to = state.baton_offered_at = None


# ------------------------------------------------------------------- consent


class ConsentRenewed(PlanEvent):
    TOPIC = TOPIC_PREFIX + "ConsentRenewed"
    consent: Consent

    def apply_to(self, state: PlanState) -> None:
        state.consent = self.consent


class ConsentChanged(PlanEvent):
    TOPIC = TOPIC_PREFIX + "ConsentChanged"
    scope: str

    def apply_to(self, state: PlanState) -> None:
        state.consent = replace(state.consent, scope=self.scope)


class _ConsentEnded(PlanEvent):
    """The consent is no longer in force, for the reason its `status` names."""

    status: ClassVar[ConsentStatus]

    def apply_to(self, state: PlanState) -> None:
        state.consent = replace(state.consent, status=self.status)


class ConsentReset(_ConsentEnded):
    TOPIC = TOPIC_PREFIX + "ConsentReset"
    status = ConsentStatus.RESET


class ConsentWithdrawn(_ConsentEnded):
    TOPIC = TOPIC_PREFIX + "ConsentWithdrawn"
    status = ConsentStatus.WITHDRAWN


# ------------------------------------------------------------------- content


class _GoalEvent(PlanEvent):
    """An event about one goal: the goal it names is the item it changes."""

    goal_id: UUID

    @property
    def changed_item(self) -> UUID:
        return self.goal_id


class _GoalStated(_GoalEvent):
    """A goal's title, description and due date as they now stand (set or revised)."""

    title: str
    description: str
    due_on: date | None


class GoalSet(_GoalStated):
    TOPIC = TOPIC_PREFIX + "GoalSet"

    def apply_to(self, state: PlanState) -> None:
        state.goals[self.goal_id] = Goal(**self.own_fields())


class GoalRevised(_GoalStated):
    TOPIC = TOPIC_PREFIX + "GoalRevised"

    def apply_to(self, state: PlanState) -> None:
        _revise(state.goals, self.goal_id, **self.own_fields("goal_id"))


class GoalEvaluated(_GoalEvent):
    TOPIC = TOPIC_PREFIX + "GoalEvaluated"
    evaluation: Evaluation

    def apply_to(self, state: PlanState) -> None:
        evaluations = (*state.goals[self.goal_id].evaluations, self.evaluation)
        _revise(state.goals, self.goal_id, status=self.evaluation.status, evaluations=evaluations)


class _ActivityStated(PlanEvent):
    """The activity as it now stands, whole (added or changed)."""

    activity: Activity

    @property
    def changed_item(self) -> UUID:
        return self.activity.activity_id

    def apply_to(self, state: PlanState) -> None:
        state.activities[self.activity.activity_id] = self.activity


class ActivityAdded(_ActivityStated):
    TOPIC = TOPIC_PREFIX + "ActivityAdded"


class ActivityChanged(_ActivityStated):
    TOPIC = TOPIC_PREFIX + "ActivityChanged"


class ActivityCompleted(PlanEvent):
    TOPIC = TOPIC_PREFIX + "ActivityCompleted"
    activity_id: UUID
    completed_on: date

    @property
    def changed_item(self) -> UUID:
        return self.activity_id

    def apply_to(self, state: PlanState) -> None:
        _revise(
            state.activities,
            self.activity_id,
            status=ActivityStatus.COMPLETED,
            completed_on=self.completed_on,
        )


class MinutesRecorded(PlanEvent):
    TOPIC = TOPIC_PREFIX + "MinutesRecorded"
    minutes: Minutes

    def apply_to(self, state: PlanState) -> None:
        state.minutes[self.minutes.minutes_id] = self.minutes


class CommentPosted(PlanEvent):
    TOPIC = TOPIC_PREFIX + "CommentPosted"
    comment: Comment

    def apply_to(self, state: PlanState) -> None:
        state.comments.append(self.comment)


class MessageSent(PlanEvent):
    TOPIC = TOPIC_PREFIX + "MessageSent"
    message: Message

    def apply_to(self, state: PlanState) -> None:
        state.messages.append(self.message)


class CalendarEntryAdded(PlanEvent):
    TOPIC = TOPIC_PREFIX + "CalendarEntryAdded"
    entry: CalendarEntry

    def apply_to(self, state: PlanState) -> None:
        state.calendar[self.entry.entry_id] = self.entry


# ----------------------------------------------------------------- lifecycle


class Closed(PlanEvent):
    TOPIC = TOPIC_PREFIX + "PlanClosed"
    ended_on: date
    reason: str

    def apply_to(self, state: PlanState) -> None:
        state.status = PlanStatus.CLOSED
        state.planned_end_date = state.end_date
        state.end_date = self.ended_on
        state.closed_reason = self.reason
        end_baton_offer(state)  # a closed plan has no coordinator's work to take on


class Reopened(PlanEvent):
    TOPIC = TOPIC_PREFIX + "PlanReopened"
    # The planned end date the plan gets back; events stored before it was carried
    # read None here, as the plan then had it.
    end_date: date | None = None
    # Why it was opened again, as the coordinator wrote it (shown in the timeline, not
    # kept in the state); events stored before reopening took a reason read "".
    reason: str = ""

    def apply_to(self, state: PlanState) -> None:
        state.status = PlanStatus.OPEN
        state.end_date = self.end_date
        state.planned_end_date = None
        state.closed_reason = ""


class Keep(Enum):
    """The value of a plan detail that a change leaves as it was (`KEEP`), told apart
    from None, which clears the end date, the level or the review date."""

    KEEP = "keep"


KEEP = Keep.KEEP
DETAIL_FIELDS = ("short_name", "start_date", "end_date", "level", "review_on")
"""The plan's details: set at creation, corrected by `PlanDetailsChanged` (decision 0051)."""


class PlanDetailsChanged(PlanEvent):
    """Some of the plan's details corrected; only the fields it names changed.

    A detail the change leaves as it was is not stored at all (`__post_init__` drops
    it), so it reads `KEEP`, its class default; None stored clears the end date, the
    level or the review date. Only an open plan's details change, so `end_date` is its
    planned end.
    """

    TOPIC = TOPIC_PREFIX + "PlanDetailsChanged"
    short_name: str | Keep = KEEP
    start_date: date | Keep = KEEP
    end_date: date | Keep | None = KEEP
    level: int | Keep | None = KEEP
    review_on: date | Keep | None = KEEP

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in DETAIL_FIELDS:
            if vars(self).get(name) is KEEP:
                object.__delattr__(self, name)  # not stored: the class default reads KEEP

    def changes(self) -> dict[str, Any]:
        """The details it changes, by name, with their new values."""
        return {name: vars(self)[name] for name in DETAIL_FIELDS if name in vars(self)}

    def own_fields(self, *leaving_out: str) -> dict[str, Any]:
        return {k: v for k, v in self.changes().items() if k not in leaving_out}

    def apply_to(self, state: PlanState) -> None:
        for name, value in self.changes().items():
            setattr(state, name, value)


class Archived(PlanEvent):
    TOPIC = TOPIC_PREFIX + "PlanArchived"
    archive: ArchiveRecord

    def apply_to(self, state: PlanState) -> None:
        state.archives.append(self.archive)


CONTENT_EVENT_TYPES: tuple[type[PlanEvent], ...] = (
    GoalSet,
    GoalRevised,
    GoalEvaluated,
    ActivityAdded,
    ActivityChanged,
    ActivityCompleted,
    MinutesRecorded,
    CommentPosted,
    MessageSent,
    CalendarEntryAdded,
)

PLAN_EVENTS: tuple[type[PlanEvent], ...] = (
    ParticipantAdded,
    ParticipantChanged,
    RightsChanged,
    RoleChanged,
    ParticipantRemoved,
    ConsentRenewed,
    ConsentChanged,
    ConsentReset,
    ConsentWithdrawn,
    CoordinatorHandedOver,
    BatonOffered,
    BatonOfferEnded,
    *CONTENT_EVENT_TYPES,
    Closed,
    Reopened,
    Archived,
    NotificationsChosen,
    PlanDetailsChanged,
)
"""Every event of a plan after its creation, each an attribute of `Plan` by its name."""
