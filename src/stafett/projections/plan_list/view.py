"""The plan list's view: its rows and what it is asked to do, engine aside.

`PlanListProjection` (`projection.py`) tells the view what happened to a plan, one
intent-named method per kind of event (`plan_created`, `participant_added`, …); each
writes its rows and the event's tracking position in ONE transaction, or, inside
`batch()`, the rows of many events with the last one's position in one, so each event
takes effect exactly once (a position already recorded raises `IntegrityError`) and a
runner that stopped resumes from the view's own position. Every plan event advances
tracking, including those that change no column but `last_event_at`.

Tables (docs/decisions/0007-plan-list-projection.md):

- `planlist_plans`: one row per plan: type, name, owner, dates, status, consent,
  coordinator, when it was created, last changed (any event), last given content,
  last archived, when each part of it last changed, and its version.
- `planlist_members`: one row per participant of a plan: person, role, coordinator
  or not, active or removed, rights per section as given (in force, the coordinator's
  are full: derived where read), the instants of the latest message sent to them and
  of the latest they sent or received, and when their own rights or notice choices
  changed.
- `planlist_visits`: when a person last opened a plan. It is written by the plan
  view, not derived from events, so a rebuild keeps it.

Who may open a plan, manage it or read its messages, and what of a plan's changes a
member may read, is not written here: the SQL that answers it is generated from the
policy table (`access.py`); the columns are in `schema.py`.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder

from stafett.aggregates.values import (
    Consent,
    ConsentStatus,
    PlanStatus,
    PlanType,
    Rights,
    Role,
    Section,
)
from stafett.persistence import recorders
from stafett.projections.faults import Fault, FaultLog
from stafett.projections.heads import Addressed

APPLICATION_NAME = "plans"
PROJECTION_NAME = "planlist"
PLANS_TABLE = "planlist_plans"
MEMBERS_TABLE = "planlist_members"
VISITS_TABLE = "planlist_visits"


# What a view's text may not hold: NUL (PostgreSQL `text` cannot store it) and lone
# surrogates (neither psycopg nor sqlite3 can encode them as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(value: Any) -> Any:
    """A value as the view stores it: in text, each character no engine can hold
    becomes U+FFFD. Stored events are never refused, so text that reached the event
    store (older data, other writers) must still fit the view (decision 0013)."""
    if isinstance(value, str):
        if value.isascii():  # the common case, and no surrogate can be in it
            return value.replace("\x00", REPLACEMENT) if "\x00" in value else value
        return _UNSTORABLE.sub(REPLACEMENT, value)
    return value


def from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else recorders.from_micros(micros)


def changed_since(visited_at: int | None, changed_at: int | None) -> bool:
    """Whether a plan changed since the person's visit (microseconds): the one rule for
    the list and the plan's home. `changed_at` is the newest change they may read now
    (`access.newest_readable`); never visited counts as changed."""
    return visited_at is None or (changed_at is not None and changed_at > visited_at)


# ------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class Stamp:
    """Which plan an event changed, its version after it, and when (its `last_event_at`)."""

    plan_id: UUID
    version: int
    at: datetime


@dataclass(frozen=True, slots=True)
class MemberRow:
    participant_id: UUID
    person_id: UUID
    role: Role
    is_coordinator: bool
    rights: Rights  # as given; the coordinator's in force are full


@dataclass(frozen=True, slots=True)
class SinceVisit:
    """A person's last visit to a plan, and whether it changed since in what they may read."""

    visited_at: datetime | None  # None: never opened it
    changed: bool


@dataclass(frozen=True, slots=True)
class NewPlan:
    """A plan as created: its owner and its coordinator are its first members."""

    plan_type: PlanType
    short_name: str
    start_date: date
    end_date: date | None
    consent: Consent
    owner: MemberRow
    coordinator: MemberRow


@dataclass(frozen=True, slots=True)
class ListedDetails:
    """The details the list keeps that a change gave (None: kept as they were), and
    whether it gave the end date, which None clears (decision 0051)."""

    short_name: str | None
    start_date: date | None
    end_date: date | None
    ends: bool


@dataclass(frozen=True, slots=True)
class PlanListRow:
    """One plan in a person's list (api.md: GET /api/v1/plans), plus its owner's id and
    names apart (the list page writes "last, first", as the guide does)."""

    id: UUID
    owner_person_id: UUID
    owner_name: str | None
    owner_birth_date: date | None
    short_name: str
    type: str
    status: PlanStatus  # closed ones are listed too when asked for
    changed_since_last_visit: bool
    new_message: bool
    consent_expires_on: date
    consent_expires_in_days: int
    consent_status: ConsentStatus  # the page says withdrawn or reset by it
    consent_given_on: date  # and "in force from" a day still to come
    start_date: date
    end_date: date | None
    last_archived_at: datetime | None
    can_manage: bool
    can_reopen: bool  # a closed plan: its manage page opens it again
    owner_first_name: str | None = None
    owner_last_name: str | None = None
    # Whole days since the plan last changed in what the reader may read (the change
    # `changed_since_last_visit` weighs), so a quiet plan shows (product.md: "many plans
    # go inactive with nobody noticing"); None when nothing is dated.
    quiet_days: int | None = None


@dataclass(frozen=True, slots=True)
class PlanSearch:
    """An auditor's search over every plan: each term given narrows it (all must match).

    `first_name` is a prefix of the owner's first name, `last_name` a prefix of a later
    word of their full name (both case-insensitive); a plan is active within the period
    from its start date until it closed (an open plan is still active).
    """

    first_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    status: PlanStatus | None = None
    active_from: date | None = None
    active_to: date | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """Which terms are given (their names, never their values: for logs)."""
        return tuple(name for name in SEARCH_TERMS if getattr(self, name) not in (None, ""))


SEARCH_TERMS = ("first_name", "last_name", "birth_date", "status", "active_from", "active_to")


@dataclass(frozen=True, slots=True)
class FoundPlan:
    """One plan an auditor's search found: who it is about, its dates and state."""

    id: UUID
    owner_person_id: UUID
    owner_first_name: str | None  # None: the owner was erased from the directory
    owner_last_name: str | None
    owner_birth_date: date | None
    short_name: str
    type: str
    status: str
    start_date: date
    end_date: date | None
    last_archived_at: datetime | None


@dataclass(frozen=True, slots=True)
class PlanCount:
    type: str
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class ReportItem:
    """A plan in an organisation report: no personal data, one relevant date."""

    plan_id: UUID
    short_name: str
    type: str
    status: str
    on: date | None


# -------------------------------------------------------------------- view


class PlanListView(TrackingRecorder, FaultLog, ABC):
    """The plan-list tables and their queries.

    Each method under "what happened" writes what one plan event changes together
    with `tracking`, in one transaction. It also keeps the runner's fault record
    (`projections/faults.py`).
    """

    # ---------------------------------------------------- what happened

    @abstractmethod
    def batch(self) -> AbstractContextManager[None]:
        """Within it (in this thread), what the events told change is kept, and written
        with the LAST event's tracking position in ONE transaction when it ends; if it
        raises, nothing is written. A position not after the view's own is refused
        (`IntegrityError`) and the whole batch with it, so each event still takes
        effect once (decision 0027)."""

    @abstractmethod
    def plan_created(self, stamp: Stamp, plan: NewPlan, *, tracking: Tracking) -> None:
        """A new plan, with its first members."""

    @abstractmethod
    def plan_touched(self, stamp: Stamp, *, tracking: Tracking) -> None:
        """An event that changes nothing the list shows, nor anything a member is told
        changed, but when the plan last changed."""

    @abstractmethod
    def shared_changed(self, stamp: Stamp, *, tracking: Tracking) -> None:
        """A change to what everyone who may open the plan reads, and nothing else the
        list keeps (a participant's responsibility, the consent's scope)."""

    @abstractmethod
    def content_changed(self, stamp: Stamp, section: Section, *, tracking: Tracking) -> None:
        """Content was given in `section`: an item, or a comment on one of its items."""

    @abstractmethod
    def participant_added(self, stamp: Stamp, member: MemberRow, *, tracking: Tracking) -> None:
        """Someone joined the plan group."""

    @abstractmethod
    def participant_removed(
        self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking
    ) -> None:
        """Someone left the plan group; their row stays, inactive."""

    @abstractmethod
    def role_changed(
        self, stamp: Stamp, participant_id: UUID, role: Role, *, tracking: Tracking
    ) -> None:
        """A participant is now a relative, or a provider (`role`)."""

    @abstractmethod
    def rights_changed(
        self, stamp: Stamp, participant_id: UUID, rights: Rights, *, tracking: Tracking
    ) -> None:
        """A participant's rights are now `rights`."""

    @abstractmethod
    def notices_chosen(self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking) -> None:
        """The notices a participant gets were chosen anew."""

    @abstractmethod
    def coordinator_handed_over(
        self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking
    ) -> None:
        """The baton passed to `participant_id`."""

    @abstractmethod
    def consent_renewed(self, stamp: Stamp, consent: Consent, *, tracking: Tracking) -> None:
        """The plan rests on `consent` from now on."""

    @abstractmethod
    def consent_ended(self, stamp: Stamp, status: ConsentStatus, *, tracking: Tracking) -> None:
        """Consent was reset or withdrawn (`status`)."""

    @abstractmethod
    def message_sent(self, stamp: Stamp, addressed: Addressed, *, tracking: Tracking) -> None:
        """A message (content) went from its sender to its recipients."""

    @abstractmethod
    def plan_closed(self, stamp: Stamp, ended_on: date, *, tracking: Tracking) -> None: ...

    @abstractmethod
    def plan_reopened(self, stamp: Stamp, end_date: date | None, *, tracking: Tracking) -> None:
        """Open again, with its planned end date back."""

    @abstractmethod
    def details_changed(self, stamp: Stamp, details: ListedDetails, *, tracking: Tracking) -> None:
        """The plan's details corrected: what everyone who may open it reads. Only an open
        plan's, so a given end date is its planned end."""

    @abstractmethod
    def archive_recorded(self, stamp: Stamp, archived_at: datetime, *, tracking: Tracking) -> None:
        """A sealed archive of the plan was made at `archived_at`."""

    # ------------------------------------------------------------ reading

    @abstractmethod
    def plans_for(
        self,
        person_id: UUID,
        *,
        today: date,
        first_name: str | None = None,
        last_name: str | None = None,
        include_closed: bool = False,
    ) -> list[PlanListRow]:
        """The plans this person is an active member of and may open today."""

    @abstractmethod
    def plans_matching(self, search: PlanSearch, *, limit: int) -> list[FoundPlan]:
        """Every plan of the deployment that matches the search (for auditors), at most
        `limit`, by the owner's last and first name (erased owners last), then the newest
        start first."""

    @abstractmethod
    def fault(self, application_name: str = APPLICATION_NAME) -> Fault | None:
        """The fault on an event of the plan application's the view has not processed."""

    @abstractmethod
    def plans_owned_by(self, person_ids: Collection[UUID]) -> list[UUID]:
        """Every plan (open or closed) whose owner is one of these persons."""

    def note_visit(self, person_id: UUID, plan_id: UUID, at: datetime) -> None:
        """Remember that the person opened the plan (the latest visit wins)."""
        self.note_visits([(person_id, plan_id, at)])

    @abstractmethod
    def note_visits(self, visits: Sequence[tuple[UUID, UUID, datetime]]) -> None:
        """`note_visit` for each (person, plan, instant), in one transaction."""

    @abstractmethod
    def last_visit(self, person_id: UUID, plan_id: UUID) -> datetime | None:
        """When the person last opened the plan (None: never)."""

    @abstractmethod
    def since_last_visit(self, person_id: UUID, plan_id: UUID, *, today: date) -> SinceVisit:
        """When the person last opened the plan, and whether it changed since in a part
        they may read `today`: the rule of `plans_for`'s `changed_since_last_visit`, for
        the plan's home. A membership the list does not have yet tells nothing: changed
        only if never opened."""

    @abstractmethod
    def report_counts(self) -> list[PlanCount]: ...

    @abstractmethod
    def consents_expiring(self, today: date, within_days: int = 30) -> list[ReportItem]: ...

    @abstractmethod
    def inactive_plans(self, now: datetime, days: int = 90) -> list[ReportItem]: ...

    @abstractmethod
    def never_archived(self) -> list[ReportItem]: ...

    @abstractmethod
    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table a rebuild makes, ordered (for checks and operators)."""

    @abstractmethod
    def reset(self, application_name: str = APPLICATION_NAME) -> None:
        """Drop the projected tables, the tracking position and any fault; make them anew."""

    @abstractmethod
    def upgrade(self, application_name: str = APPLICATION_NAME) -> int | None:
        """`reset` in one transaction when the tables were made by another schema version
        (`schema.py`; unrecorded is version 1), so that the runner replays every event
        into tables of this one; the version they had, when they held events, else None.
        Call it only while holding the one-runner lock, before the runner starts."""
