"""Value types held in plan state and carried by plan events.

All are frozen: a plan replaces an item instead of changing it in place, which
lets a copy of a plan share its items with the original (see `Plan.__deepcopy__`).
Enums are plain `Enum` subclasses (not `str` mixins) so that the event
transcoder sees them and stores their value.
"""

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from uuid import UUID
from zoneinfo import ZoneInfo

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.text import clean_free, clean_line

MUNICIPAL_TIMEZONE = ZoneInfo("Europe/Oslo")
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 10_000
# Dates outside these are typing errors (or probes of the calendar's ends).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class PlanType(Enum):
    RELAY_LOG = "SL"
    INDIVIDUAL_PLAN = "IP"


class PlanStatus(Enum):
    OPEN = "open"
    CLOSED = "closed"


class Role(Enum):
    """A participant's role in one plan; `COORDINATOR` only ever names an actor."""

    OWNER = "owner"
    RELATIVE = "relative"
    PROVIDER = "provider"
    COORDINATOR = "coordinator"


class Access(Enum):
    NONE = "none"
    READ = "read"
    WRITE = "write"

    def allows_reading(self) -> bool:
        return self is not Access.NONE


class Section(Enum):
    GOALS = "goals"
    ACTIVITIES = "activities"
    MINUTES = "minutes"
    MESSAGES = "messages"


class NoticeKind(Enum):
    """The kinds of change a participant may be told about (the participant form's list)."""

    NEW_MESSAGE = "new_message"  # a message to me
    NEW_GOAL_OR_ACTIVITY = "new_goal_or_activity"
    NEW_COMMENT = "new_comment"
    NEW_CALENDAR_ENTRY = "new_calendar_entry"
    NEW_PARTICIPANT = "new_participant"


class DutyKind(Enum):
    """What a participant is told because it asks something of them (decision 0053): no
    participant chooses these kinds; each goes by every channel its recipient chose for
    some kind of change, or by e-mail when they chose none, as the consent's reminder."""

    BATON_OFFERED = "baton_offered"  # to the provider offered the baton
    BATON_OFFER_WITHDRAWN = "baton_offer_withdrawn"  # to that provider, when withdrawn
    BATON_OFFER_DECLINED = "baton_offer_declined"  # to the coordinator who offered it
    BATON_HANDED_OVER = "baton_handed_over"  # to the new holder of a direct handover
    BATON_ACCEPTED = "baton_accepted"  # to the coordinator whose offer was accepted


class NoticeChannel(Enum):
    SMS = "sms"
    EMAIL = "email"


class ReminderKind(Enum):
    """What the clock reminds of (decision 0022): no participant chooses these kinds."""

    CONSENT_EXPIRES_30 = "consent_expires_30"  # to the coordinator, within 30 days
    CONSENT_EXPIRES_7 = "consent_expires_7"  # to the coordinator, within 7 days
    ACTIVITY_OVERDUE = "activity_overdue"  # to the responsible participant
    REVIEW_DUE = "review_due"  # to the coordinator, within 7 days of the review date
    # to the provider offered the baton, when the offer has waited a week (decision 0053)
    BATON_OFFER_WAITING = "baton_offer_waiting"
    # to the coordinator, when the owner reaches the consent age after it was given (0056)
    OWNER_CAME_OF_AGE = "owner_came_of_age"


@dataclass(frozen=True, slots=True)
class NotificationChoices:
    """Per kind of change, the channels a participant wants a notice by (none by default)."""

    new_message: tuple[NoticeChannel, ...] = ()
    new_goal_or_activity: tuple[NoticeChannel, ...] = ()
    new_comment: tuple[NoticeChannel, ...] = ()
    new_calendar_entry: tuple[NoticeChannel, ...] = ()
    new_participant: tuple[NoticeChannel, ...] = ()
    # At most one e-mail an hour per plan, listing what happened (decision 0022);
    # choices stored before it existed read False.
    email_digest: bool = False

    def channels(self, kind: NoticeKind) -> tuple[NoticeChannel, ...]:
        channels: tuple[NoticeChannel, ...] = getattr(self, kind.value)
        return channels

    def any_channels(self) -> tuple[NoticeChannel, ...]:
        """Every channel chosen for some kind of change, SMS before e-mail."""
        chosen = {channel for kind in NoticeKind for channel in self.channels(kind)}
        return tuple(channel for channel in NoticeChannel if channel in chosen)

    def unchosen_channels(self) -> tuple[NoticeChannel, ...]:
        """The channels of a notice no participant chooses but which asks something of them
        (the consent's reminder, the baton's notices): every channel chosen for some kind,
        or e-mail when none was chosen."""
        return self.any_channels() or (NoticeChannel.EMAIL,)


NO_NOTIFICATIONS = NotificationChoices()


class ConsentStatus(Enum):
    ACTIVE = "active"
    RESET = "reset"
    WITHDRAWN = "withdrawn"


class GoalStatus(Enum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    PARTLY_ACHIEVED = "partly_achieved"
    NOT_ACHIEVED = "not_achieved"
    DISCONTINUED = "discontinued"


class ActivityStatus(Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CommentTarget(Enum):
    GOAL = "goal"
    ACTIVITY = "activity"
    MINUTES = "minutes"


@dataclass(frozen=True, slots=True)
class Rights:
    """What one participant may do per section; by default all see the same."""

    goals: Access = Access.WRITE
    activities: Access = Access.WRITE
    minutes: Access = Access.WRITE
    messages: Access = Access.WRITE
    print: bool = True
    edit_person: bool = False

    def level(self, section: Section) -> Access:
        level: Access = getattr(self, section.value)
        return level


FULL_RIGHTS = Rights(edit_person=True)


# The source guide's starting point: "I utgangspunktet får alle plandeltakerne
# tilgang til samme informasjon".
DEFAULT_CONSENT_SCOPE = "Alle i plangruppen får tilgang til den samme informasjonen"


@dataclass(frozen=True, slots=True)
class Consent:
    """The consent the collaboration rests on; `given_by` is personal data."""

    given_by: str
    given_on: date
    expires_on: date
    scope: str
    status: ConsentStatus = ConsentStatus.ACTIVE

    def is_valid_on(self, day: date) -> bool:
        return self.status is ConsentStatus.ACTIVE and self.given_on <= day <= self.expires_on


@dataclass(frozen=True, slots=True)
class Participant:
    participant_id: UUID
    person_id: UUID
    role: Role
    responsibility: str
    rights: Rights
    active: bool = True


@dataclass(frozen=True, slots=True)
class Evaluation:
    evaluated_on: date
    status: GoalStatus
    text: str
    by_participant_id: UUID


@dataclass(frozen=True, slots=True)
class Goal:
    goal_id: UUID
    title: str
    description: str
    due_on: date | None
    status: GoalStatus = GoalStatus.ACTIVE
    evaluations: tuple[Evaluation, ...] = ()


@dataclass(frozen=True, slots=True)
class Activity:
    activity_id: UUID
    title: str
    description: str
    responsible_participant_id: UUID
    due_on: date | None
    goal_id: UUID | None
    status: ActivityStatus = ActivityStatus.PLANNED
    completed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Minutes:
    minutes_id: UUID
    met_on: date
    attendee_ids: tuple[UUID, ...]
    notes: str
    decisions: str


@dataclass(frozen=True, slots=True)
class Comment:
    comment_id: UUID
    on_kind: CommentTarget
    on_id: UUID
    text: str
    author_participant_id: UUID
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class Message:
    message_id: UUID
    sender_participant_id: UUID
    recipient_ids: tuple[UUID, ...]
    subject: str
    body: str
    sent_at: datetime

    def concerns(self, participant_ids: AbstractSet[UUID]) -> bool:
        """Sent or received by one of these participants: a message is for its sender and
        its recipients, whoever else reads the plan."""
        return self.sender_participant_id in participant_ids or not participant_ids.isdisjoint(
            self.recipient_ids
        )


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    entry_id: UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    archive_id: UUID
    archived_at: datetime
    digest: str


def local_date(instant: datetime) -> date:
    """The municipal calendar date of an instant (consent dates are local dates)."""
    return instant.astimezone(MUNICIPAL_TIMEZONE).date()


def require_aware(field: str, instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValidationError(field, "must include a time zone offset")


def plausible_date(field: str, day: date) -> date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(field, f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return day


def clean_name(field: str, value: str) -> str:
    """A required one-line text under the one text rule (`aggregates.text`)."""
    return clean_line(field, value, required=True, max_length=MAX_NAME_LENGTH)


def clean_text(field: str, value: str, *, required: bool = False) -> str:
    """A free text under the one text rule (`aggregates.text`)."""
    return clean_free(field, value, required=required, max_length=MAX_TEXT_LENGTH)
