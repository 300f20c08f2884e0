"""Every read of plan content, for the JSON API and the pages alike.

One place decides, records and logs a read: the policy table (through the plan
application) says whether the person may read it; the read is written to the
plan's access log before anything is answered (if that fails, nothing is:
`AccessLogUnavailableError`, a 503); and a `sensitive_read` line names the
reader, the plan and the parts. A page and an API route reading the same thing
call the same method here, so neither can forget a step.

History (the whole plan as it stood, the plan as one participant could see it then,
the timeline) is for the plan's coordinator and auditors (READ_HISTORY). An auditor
reads in that capacity, on the grounds `audit`, unless they are the plan's coordinator.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple, TypeVar
from uuid import UUID

import msgspec
import structlog

from stafett.aggregates.consent_age import given_before_of_age
from stafett.aggregates.person import Person
from stafett.aggregates.policy import Action, Standing
from stafett.aggregates.values import ArchiveRecord, ConsentStatus, local_date
from stafett.applications.access_log import (
    AUDIT_GROUNDS,
    OPERATOR_ID,
    OPERATOR_NAME,
    AccessEntry,
    AccessLog,
    AccessLogUnavailableError,
    VisitLog,
)
from stafett.applications.accounts import Principal
from stafett.applications.history import SeenAsParticipant, messages_for, messages_seen_for
from stafett.applications.permitted import PlanOut
from stafett.applications.photos import PersonPhotos, StoredPhoto
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PlanView, TimelineEntry
from stafett.applications.summaries import ERASED_PERSON
from stafett.archive.service import Archives, Release
from stafett.projections.plan_list import PlanListView

log = structlog.get_logger(__name__)
# A visit to an unchanged plan is noted again only this long after the last one noted.
VISIT_REFRESH = timedelta(minutes=1)
T = TypeVar("T")
EXPORT = "export"  # the access log's part for a download of the permitted view


@dataclass(frozen=True, slots=True)
class NamedAccessEntry:
    entry: AccessEntry
    reader_name: str


class Reader(NamedTuple):
    """Who reads, as the access log records them: their standing and the grounds."""

    standing: Standing
    grounds: str


@dataclass(frozen=True, slots=True)
class Visit:
    """A read of the permitted view, with the reader's visit before it (None: the first)
    and whether the plan changed since in what they may read (the plan list's rule)."""

    view: PlanOut
    previous: datetime | None
    at: datetime
    changed: bool = True


@dataclass(frozen=True, slots=True)
class PlanReads:
    plans: PlanApplication
    access_log: AccessLog
    visits: PlanListView | None = None  # where "changed since my last visit" is noted
    archives: Archives | None = None  # the sealed records

    def owner_of_age(self, view: PlanOut) -> bool | None:
        """Whether the plan's owner has reached the consent age today (decision 0055;
        None: their birth date is not known)."""
        return self.plans.owner_of_age(view.owner_person_id, local_date(self.plans.clock()))

    def consent_predates_of_age(self, view: PlanOut) -> date | None:
        """The day the plan's owner reached the consent age, when the consent in force
        was given before it (decision 0056: the owner now decides over it); else None."""
        if view.consent.status is not ConsentStatus.ACTIVE:
            return None
        of_age = self.plans.owner_of_age_on(view.owner_person_id)
        today = local_date(self.plans.clock())
        return of_age if given_before_of_age(view.consent.given_on, of_age, today) else None

    def plan(self, plan_id: UUID, principal: Principal) -> PlanOut:
        """The person's permitted view: only the parts their rights and the consent allow."""
        return self.plan_since_last_visit(plan_id, principal).view

    def plan_since_last_visit(self, plan_id: UUID, principal: Principal) -> Visit:
        """`plan`, with when the person last opened the plan before this read and whether
        it changed since (a plan's home page tells what is new since then).

        Whether it changed is the plan list's answer for this person (`since_last_visit`):
        a change to a part they may read now, as their list says, so neither tells them
        when something they may not read was written (decision 0050).

        The visit is noted with the read's access-log entry, in its batch; it is not
        noted again when nothing changed since a visit less than `VISIT_REFRESH` ago,
        so rereading an unchanged plan writes the entry and nothing else.
        """
        previous, changed = None, True
        if self.visits is not None:
            today = local_date(self.plans.clock())
            since = self.visits.since_last_visit(principal.person_id, plan_id, today=today)
            previous, changed = since.visited_at, since.changed
        view = self.plans.read_plan(plan_id, by=principal.person_id)
        at = self.plans.clock()
        seen = (
            previous is not None and view.modified_at <= previous and at - previous < VISIT_REFRESH
        )
        visits = None if seen else self.visits
        self._record(plan_id, principal, reader_of(view), view.parts, at=at, visit_to=visits)
        return Visit(view, previous, at, changed)

    def export(
        self, plan_id: UUID, principal: Principal, make: Callable[[PlanOut, datetime], T]
    ) -> T:
        """The person's permitted view, downloaded (EXPORT_PLAN: the `print` right, and a
        provider's valid consent): what `make` makes of the view as of now (a PDF, JSON).
        Made before it is recorded, so a download that fails leaves no entry; recorded,
        as `plan` is, with the parts the view carries and `export`, before it is answered."""
        self.plans.authorize(plan_id, by=principal.person_id, action=Action.EXPORT_PLAN)
        view = self.plans.read_plan(plan_id, by=principal.person_id)
        made = make(view, self.plans.clock())
        self._record(plan_id, principal, reader_of(view), [*view.parts, EXPORT])
        return made

    def overview(self, plan_id: UUID, principal: Principal) -> PlanOut:
        """Only the plan's heading: name, type, owner, status, consent and the reader's own
        standing and rights, for a page that shows it above something else (the history,
        the access log). Recorded as the overview and consent; the visit is not noted."""
        view = self.plans.read_plan(plan_id, by=principal.person_id)
        heading = msgspec.structs.replace(
            view,
            participants=[],
            comments=(),
            goals=msgspec.UNSET,
            activities=msgspec.UNSET,
            calendar=msgspec.UNSET,
            minutes=msgspec.UNSET,
            messages=msgspec.UNSET,
        )
        self._record(plan_id, principal, reader_of(view), ["overview", "consent"])
        return heading

    def names_in(self, view: PlanView) -> dict[UUID, str]:
        """The names of the owner and participants of a plan version read through `as_of`,
        erased people as `ERASED_PERSON`."""
        people = [view.owner_person_id, *(p.person_id for p in view.participants)]
        names = self.plans.person_names(people)
        return {pid: names.get(pid, ERASED_PERSON) for pid in people}

    def person(self, plan_id: UUID, principal: Principal, participant_id: UUID) -> Person:
        """All the directory holds of a participant: for those who may edit their details
        (EDIT_PERSON) and for the participant themself."""
        person = self.plans.participant_details(
            plan_id, by=principal.person_id, participant_id=participant_id
        )
        self._record(plan_id, principal, self._reader(plan_id, principal), ["person_details"])
        return person

    def photo(self, plan_id: UUID, principal: Principal, participant_id: UUID) -> StoredPhoto:
        """A participant's photo: for everyone who may open the plan, as their shared details
        are (`NoPhotoError`, a 404, when they have none). Recorded like `person`."""
        photo = PersonPhotos(self.plans).of_participant(
            plan_id, participant_id, by=principal.person_id
        )
        self._record(plan_id, principal, self._reader(plan_id, principal), ["photo"])
        return photo

    def as_of(
        self,
        plan_id: UUID,
        principal: Principal,
        *,
        version: int | None = None,
        at: datetime | None = None,
    ) -> PlanView:
        """The plan as it stood (READ_HISTORY: its coordinator or an auditor), with the
        messages the policy table lets this reader read in a history."""
        with self._reading(plan_id, principal, Action.READ_HISTORY, "history") as reader:
            whole = self.plans.plan_as_of(plan_id, version=version, at=at)
            view = messages_for(whole, reader.standing, principal.person_id)
        return view

    def as_participant(
        self,
        plan_id: UUID,
        principal: Principal,
        *,
        participant_id: UUID,
        at: datetime,
        version: int | None = None,
    ) -> SeenAsParticipant:
        """The plan as one participant could see it at `at`: their rights and the consent
        then, through the same permitted view as the live plan (READ_HISTORY), with the
        messages the policy table lets this reader read in a history."""
        with self._reading(plan_id, principal, Action.READ_HISTORY, "history") as reader:
            seen = self.plans.plan_as_participant(plan_id, participant_id, at=at, version=version)
            seen = messages_seen_for(seen, reader.standing, principal.person_id)
        return seen

    def timeline(
        self,
        plan_id: UUID,
        principal: Principal,
        *,
        limit: int | None = None,
        before: int | None = None,
    ) -> list[TimelineEntry]:
        """Every event of the plan, oldest first; with `limit`, a page of it, newest
        first, older than version `before` (READ_HISTORY)."""
        with self._reading(plan_id, principal, Action.READ_HISTORY, "timeline"):
            entries = self.plans.timeline(plan_id, limit=limit, before=before)
        return entries

    def access_entries(self, plan_id: UUID, principal: Principal) -> list[NamedAccessEntry]:
        """Every recorded read of the plan, newest first, this one included
        (READ_ACCESS_LOG: the owner, relatives and the coordinator)."""
        reader = self._reader(plan_id, principal, Action.READ_ACCESS_LOG)
        self._record(plan_id, principal, reader, ["access_log"])
        entries = self.access_log.entries(plan_id)
        names = self.plans.person_names(e.reader_person_id for e in entries)
        names[OPERATOR_ID] = OPERATOR_NAME
        return [
            NamedAccessEntry(e, names.get(e.reader_person_id, ERASED_PERSON))
            for e in reversed(entries)
        ]

    def archive_list(self, plan_id: UUID, principal: Principal) -> list[ArchiveRecord]:
        """The plan's sealed records (id, when, digest), for those who may open the plan:
        what its plan-list row and permitted view show already, so not recorded."""
        self.plans.authorize(plan_id, by=principal.person_id, action=Action.OPEN)
        return self._archives().records_of(plan_id)

    def archive(self, archive_id: UUID, principal: Principal) -> Release:
        """A sealed record, whole (READ_ARCHIVE: the plan's coordinator), recorded as the
        part `archive`. A record no `Archived` event names is as one that does not exist."""
        archives = self._archives()
        plan_id = archives.plan_of(archive_id)
        with self._reading(plan_id, principal, Action.READ_ARCHIVE, "archive"):
            release = archives.release(archive_id)
        return release

    def _archives(self) -> Archives:
        if self.archives is None:
            raise AccessLogUnavailableError("the archive is not configured")
        return self.archives

    @contextmanager
    def _reading(
        self, plan_id: UUID, principal: Principal, action: Action, part: str
    ) -> Iterator[Reader]:
        """A read the policy table allows for `action`, recorded as `part` once the block
        has read it (a read that fails is not recorded) and before it is answered."""
        reader = self._reader(plan_id, principal, action)
        yield reader
        self._record(plan_id, principal, reader, [part])

    def _reader(self, plan_id: UUID, principal: Principal, action: Action = Action.OPEN) -> Reader:
        """The policy table's answer for `action`; an auditor outside the plan group reads
        history (READ_HISTORY) as an auditor, on the grounds `audit`."""
        history = action is Action.READ_HISTORY
        standing, me = self.plans.authorize(
            plan_id, by=principal.person_id, action=action, auditor=history and principal.is_auditor
        )
        if me is None:
            assert history  # only an auditor reads without being a participant
            return Reader(Standing.AUDITOR, AUDIT_GROUNDS)
        return Reader(standing, f"participant:{me.participant_id}")

    def _record(
        self,
        plan_id: UUID,
        principal: Principal,
        reader: Reader,
        parts: Sequence[str],
        *,
        at: datetime | None = None,
        visit_to: VisitLog | None = None,
    ) -> None:
        """Recorded before the answer; raises (so nothing is answered) if that fails."""
        role = reader.standing.value
        self.access_log.record(
            plan_id,
            reader_person_id=principal.person_id,
            role=role,
            sections=parts,
            grounds=reader.grounds,
            at=self.plans.clock() if at is None else at,
            visit_to=visit_to,
        )
        log.info(
            "sensitive_read",
            actor=str(principal.person_id),
            plan=str(plan_id),
            as_=role,
            parts=",".join(parts),
        )


def reader_of(view: PlanOut) -> Reader:
    """Providers read under the consent in force; the family and coordinator as participants."""
    standing = view.me.standing
    if standing is Standing.PROVIDER:
        consent = view.consent
        return Reader(
            standing, f"consent:{consent.given_on.isoformat()}..{consent.expires_on.isoformat()}"
        )
    return Reader(standing, f"participant:{view.me.participant_id}")
