"""Plain values the applications hand out; aggregates never leave them."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from stafett.aggregates.errors import ConflictingValueError, DomainError, NotFoundError
from stafett.aggregates.plan import PlanState
from stafett.aggregates.values import (
    Activity,
    ArchiveRecord,
    CalendarEntry,
    Comment,
    Consent,
    Goal,
    Message,
    Minutes,
    Participant,
    PlanStatus,
    PlanType,
    Role,
)
from stafett.persistence.idempotency import SameTransaction


class PlanNotFoundError(NotFoundError):
    """No plan with this id (or, at a version or instant, not yet)."""


class PersonNotFoundError(NotFoundError):
    """No person with this id in the directory."""


class VersionConflictError(DomainError):
    """The plan has moved on since the version the caller expected."""

    def __init__(self, expected: int | None, actual: int) -> None:
        if expected is None:
            message = f"the plan kept changing (now at version {actual}); try again"
        else:
            message = f"expected version {expected}, the plan is at version {actual}"
        super().__init__(message)
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True, slots=True)
class CommandResult:
    plan_id: UUID
    version: int
    notification_id: int | None
    created_id: UUID | None = None


class Receipt(Protocol):
    """The caller's answer kept with a command's events (an idempotency key's,
    persistence/idempotency.py, decision 0028)."""

    def writer(self, result: CommandResult) -> SameTransaction:
        """The write, on the events' cursor, for what the command is about to save
        (its notification id not yet known)."""

    def taken(self) -> bool:
        """Whether another request kept its answer under the same key meanwhile."""


class KeyInUseError(ConflictingValueError):
    """Another request with the same idempotency key was saved first (409); a retry
    gets its answer, or 409 again if it was another request."""

    def __init__(self) -> None:
        super().__init__("Idempotency-Key", "already used by another request; try again")


@dataclass(frozen=True, slots=True)
class PersonRegistered:
    person_id: UUID
    likely_duplicates: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class PlanView:
    """A plan's full state at one version (callers filter it by the viewer's rights)."""

    plan_id: UUID
    version: int
    created_at: datetime
    modified_at: datetime
    plan_type: PlanType
    short_name: str
    owner_person_id: UUID
    start_date: date
    end_date: date | None
    level: int | None
    review_on: date | None
    baton_offered_to: UUID | None  # decision 0052
    status: PlanStatus
    closed_reason: str
    consent: Consent
    coordinator_participant_id: UUID
    participants: tuple[Participant, ...]
    goals: tuple[Goal, ...]
    activities: tuple[Activity, ...]
    minutes: tuple[Minutes, ...]
    comments: tuple[Comment, ...]
    messages: tuple[Message, ...]
    calendar: tuple[CalendarEntry, ...]
    archives: tuple[ArchiveRecord, ...]

    @classmethod
    def of(
        cls, plan_id: UUID, version: int, created: datetime, modified: datetime, s: PlanState
    ) -> "PlanView":
        return cls(
            plan_id=plan_id,
            version=version,
            created_at=created,
            modified_at=modified,
            plan_type=s.plan_type,
            short_name=s.short_name,
            owner_person_id=s.owner_person_id,
            start_date=s.start_date,
            end_date=s.end_date,
            level=s.level,
            review_on=s.review_on,
            baton_offered_to=s.baton_offered_to,
            status=s.status,
            closed_reason=s.closed_reason,
            consent=s.consent,
            coordinator_participant_id=s.coordinator_id,
            participants=tuple(s.participants.values()),
            goals=tuple(s.goals.values()),
            activities=tuple(s.activities.values()),
            minutes=tuple(s.minutes.values()),
            comments=tuple(s.comments),
            messages=tuple(s.messages),
            calendar=tuple(s.calendar.values()),
            archives=tuple(s.archives),
        )


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    version: int
    at: datetime
    actor_id: UUID
    actor_name: str
    actor_role: Role
    type: str
    summary: str
    # Why the plan was closed or opened again, as the coordinator wrote it (a `Closed` or
    # `Reopened` event's reason), for pages that tell the event in their own words; ""
    # for other events.
    reason: str = ""
    # The participant the event is about (added, changed, removed, their rights or
    # notices, the baton offered or handed to them): their person id and name; None and ""
    # for other events, and where the timeline was made without the plan group (a sealed
    # record's).
    subject_id: UUID | None = None
    subject_name: str = ""
    # The details a `PlanDetailsChanged` corrected, by field name, in the plan's order.
    details: tuple[str, ...] = ()
    # The role a `RoleChanged` gave its participant (decision 0054); None for other events.
    role: Role | None = None
