"""The plan application: the only use-case API for plans and the person directory.

Each command takes a plan, lets the aggregate check its rules, and saves the new
event with optimistic concurrency. Callers may pass the version they saw; a
stale one raises `VersionConflictError`. Without it, a command that lost a race
is retried on fresh state.

Loading is kept cheap for long plans (docs/decisions/0003-fast-loads.md): a command
decides on a copy of the plan in the library's aggregate cache (`Plan.__deepcopy__`:
containers copied, frozen items shared), without asking the store for newer events
first; the save's optimistic concurrency catches a copy that another process has
made stale, and the command is decided again on the plan fast-forwarded from the
store. The saved plan goes back into the cache. Reads fast-forward the cached plan
from the store, so they see every process's writes. Snapshots of the in-memory plan
are taken every `SNAPSHOT_INTERVAL` events for loads that miss the cache and for
history; comments and messages in them stay encoded until read. How events and
snapshots are recorded is `PlanRecording`'s (recording.py); the plan as of a version
or instant, whole or as one participant saw it, is `PlanHistory`'s (history.py).
"""

import copy
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from stafett.aggregates.consent_age import CONSENT_AGE_ENV, consent_age_of
from stafett.aggregates.errors import NotAParticipantError, NotPermittedError
from stafett.aggregates.person import Person, PersonDetails
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import Action, Standing, decide
from stafett.aggregates.values import Participant, PlanStatus, local_date
from stafett.applications.commands import (
    AddParticipant,
    ChangeParticipant,
    ClosePlan,
    PlanCommand,
    RemoveParticipant,
    WithdrawConsent,
)
from stafett.applications.history import PlanHistory, view_of
from stafett.applications.parts import CreatePlan, PersonIn
from stafett.applications.permitted import EncodedParts, PlanOut, permitted_view
from stafett.applications.plan_persons import PlanPersons
from stafett.applications.results import (
    CommandResult,
    KeyInUseError,
    PersonNotFoundError,
    PlanNotFoundError,
    PlanView,
    Receipt,
    TimelineEntry,
    VersionConflictError,
)
from stafett.applications.summaries import timeline_of
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.idempotency import IdempotencyKeys, SameTransaction
from stafett.persistence.recorders import TimeIndex

SNAPSHOT_INTERVAL = 100
MAX_ATTEMPTS = 10
RETRY_BACKOFF_SECONDS = 0.002
Clock = Callable[[], datetime]
# Told when someone changed a person's details: (person id, before, after, by whom).
PersonChanged = Callable[[UUID, PersonDetails, PersonDetails, UUID], None]
PersonChanging = Callable[[UUID, PersonDetails], None]
# Told when a plan was closed: (plan id, by whom); the composition root seals it.
PlanClosed = Callable[[UUID, UUID], None]
# Told when someone was taken out of a plan group: (their person id, plan id, by whom);
# the composition root ends their sessions (SEC-SES-07).
PersonRemoved = Callable[[UUID, UUID, UUID], None]


def system_clock() -> datetime:
    return datetime.now(UTC)


class PlanApplication(PlanPersons, PlanHistory):
    name = "plans"
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "1000",
        "IS_SNAPSHOTTING_ENABLED": "y",
    }
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Plan: SNAPSHOT_INTERVAL}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock = system_clock,
        directory: PersonDirectory | None = None,
    ):
        """The store comes from `env` (the library's settings); the person directory is
        given by the composition root, or made on the event store's own database.

        `person_changed` (set by the composition root) hears of every change a
        participant's details get through a plan (the accounts tell the person), and
        `person_changing` may refuse one before anything is saved (the accounts: codes
        must still reach the person);
        `plan_closed` of every plan closed (the archive seals it), `person_removed` of
        everyone taken out of a plan group (the accounts end their sessions).
        """
        super().__init__(env)
        self.clock = clock
        self.consent_age = consent_age_of(self.env.get(CONSENT_AGE_ENV))
        self.person_changed: PersonChanged | None = None
        self.person_changing: PersonChanging | None = None
        self.plan_closed: PlanClosed | None = None
        self.person_removed: PersonRemoved | None = None
        self._cache_lock = threading.Lock()
        self.encoded_parts = EncodedParts()
        recorder = self.recorder
        if not isinstance(recorder, TimeIndex):
            msg = "PlanApplication needs a time-indexed recorder (APPLICATION_RECORDER_TOPIC)"
            raise TypeError(msg)
        self.time_index = recorder
        if directory is None:
            datastore = getattr(recorder, "datastore", None)
            if not isinstance(datastore, SQLiteDatastore | PostgresDatastore):
                raise TypeError("this store has no database for the directory: give one")
            directory = PersonDirectory.ready(datastore)
        self.directory = directory
        self.idempotency = IdempotencyKeys.on(getattr(recorder, "datastore", None))

    # --------------------------------------------------------------- loading

    def _load(self, plan_id: UUID) -> Plan:
        try:
            plan: object = self.repository.get(plan_id)
        except AggregateNotFoundError:
            raise PlanNotFoundError("no such plan") from None
        if not isinstance(plan, Plan):
            raise PlanNotFoundError("no such plan")
        return plan

    def _cached_copy(self, plan_id: UUID) -> Plan | None:
        """A copy of the cached plan, as it is (not fast-forwarded); None if not cached."""
        cache = self.repository.cache
        if cache is None:
            return None
        try:
            cached = cache.get(plan_id)
        except KeyError:
            return None
        return copy.deepcopy(cached) if isinstance(cached, Plan) else None

    def _remember(self, plan: Plan) -> None:
        """Cache a plan just saved (the library does not while it fast-forwards).

        Only over an older version: a thread that saved later may have put its plan
        there first.
        """
        cache = self.repository.cache
        if cache is None:
            return
        with self._cache_lock:
            try:
                cached: object = cache.get(plan.id)
            except KeyError:
                cached = None
            if not isinstance(cached, Plan) or cached.version < plan.version:
                cache.put(plan.id, plan)

    def _command(
        self,
        plan_id: UUID,
        by: UUID,
        expected_version: int | None,
        decide: Callable[[Plan, datetime], None],
        created_id: UUID | None = None,
        *,
        receipt: Receipt | None = None,
        also: Sequence[SameTransaction] = (),
    ) -> CommandResult:
        """Decide on a copy of the cached plan, save with optimistic concurrency, cache it.

        The copy comes straight from the cache, without asking the store for newer
        events: if another process wrote since, the save conflicts (its version is
        taken) and the command is decided again on the plan fast-forwarded by `_load`.
        Only a successful save proves the copy was current; so a command that, on a
        copy, is refused, changes nothing or sees another version than the caller
        expected is decided again on fresh state before it answers so. The cache entry
        is never dropped: dropping it made every racing command reload the whole plan
        and race again (retry storms); `_load` fast-forwards it in place instead.
        A `receipt`, and `also`, are saved with the events, in their transaction."""
        plan = self._cached_copy(plan_id)
        fresh = plan is None
        if plan is None:
            plan = self._load(plan_id)
        conflicts = 0
        while True:
            if plan.state.participant_of(by) is None:
                # Outside the plan group nothing is revealed, not even a version.
                if not fresh:
                    plan, fresh = self._load(plan_id), True
                    continue
                raise NotAParticipantError("the person is not in this plan group")
            if expected_version is not None and plan.version != expected_version:
                if not fresh:
                    plan, fresh = self._load(plan_id), True
                    continue
                raise VersionConflictError(expected_version, plan.version)
            try:
                decide(plan, self.clock())
            except Exception:
                if fresh:
                    raise
                plan, fresh = self._load(plan_id), True
                continue
            if not plan.pending_events:
                if fresh:
                    return CommandResult(plan.id, plan.version, None, created_id)
                plan, fresh = self._load(plan_id), True
                continue
            try:
                recordings = self._save_with(plan, receipt, created_id, also)
            except IntegrityError as conflict:
                if receipt is not None and receipt.taken():
                    raise KeyInUseError from conflict
                if expected_version is not None:
                    actual = self._load(plan_id).version
                    raise VersionConflictError(expected_version, actual) from conflict
                conflicts += 1
                if conflicts >= MAX_ATTEMPTS:
                    raise VersionConflictError(None, self._load(plan_id).version) from conflict
                if fresh:  # lost a race: let the winner's burst pass
                    time.sleep(random.uniform(0, RETRY_BACKOFF_SECONDS * conflicts))
                plan, fresh = self._load(plan_id), True
                continue
            self._remember(plan)
            return CommandResult(plan.id, plan.version, recordings[-1].notification.id, created_id)

    # ----------------------------------------------------------------- plans

    def handle(
        self,
        plan_id: UUID,
        command: PlanCommand,
        *,
        by: UUID,
        expected_version: int | None = None,
        receipt: Receipt | None = None,
    ) -> CommandResult:
        """Give `command` to the plan as `by`: load, decide, save, retry a lost race.

        `expected_version` (else the command's own) is the version the caller saw; an
        added item's id is `created_id`; a `receipt` is saved in the events' transaction.
        """
        command.check()
        if expected_version is None:
            expected_version = command.expected_version
        new_id = command.chosen_id() or uuid4()
        if isinstance(command, AddParticipant):
            return self._add_participant(
                plan_id, command, by, expected_version, new_id, receipt=receipt
            )
        if isinstance(command, ChangeParticipant) and command.person_changes():
            return self._change_participant(plan_id, command, by, expected_version, receipt)

        def decide(plan: Plan, at: datetime) -> None:
            if isinstance(command, WithdrawConsent):  # who may depends on the owner's age
                owner_of_age = self.owner_of_age(plan.state.owner_person_id, local_date(at))
                plan.withdraw_consent(by=by, at=at, owner_of_age=owner_of_age)
            else:
                command.run(plan, by, at, new_id)

        result = self._command(
            plan_id,
            by,
            expected_version,
            decide,
            new_id if command.creates else None,
            receipt=receipt,
        )
        if result.notification_id is not None:
            self._tell(plan_id, command, by)
        return result

    def _tell(self, plan_id: UUID, command: PlanCommand, by: UUID) -> None:
        """Tell the composition root's listeners of a command saved (they never raise)."""
        if isinstance(command, ClosePlan) and self.plan_closed:
            self.plan_closed(plan_id, by)  # the archive seals it
        if isinstance(command, RemoveParticipant) and self.person_removed:
            removed = self._load(plan_id).state.participants[command.participant_id]
            self.person_removed(removed.person_id, plan_id, by)

    def _add_participant(
        self,
        plan_id: UUID,
        command: AddParticipant,
        by: UUID,
        expected_version: int | None,
        participant_id: UUID,
        *,
        receipt: Receipt | None,
    ) -> CommandResult:
        """The person is resolved to an id first, registered if new (and erased again
        if the command then fails)."""
        # Membership first: nobody learns whether a person id exists, and nothing is
        # registered in the directory, unless they may manage this plan's group.
        self.authorize(plan_id, by=by, action=Action.MANAGE)

        def add(person_id: UUID) -> CommandResult:
            resolved = msgspec.structs.replace(command, person=PersonIn(person_id=person_id))
            return self._command(
                plan_id,
                by,
                expected_version,
                lambda plan, at: resolved.run(plan, by, at, participant_id),
                participant_id,
                receipt=receipt,
            )

        return self._with_new_person(command.person.ref(), by, "person", add)

    def _change_participant(
        self,
        plan_id: UUID,
        command: ChangeParticipant,
        by: UUID,
        expected_version: int | None,
        receipt: Receipt | None,
    ) -> CommandResult:
        """The person details go to the directory once the plan has taken its part.

        The policy is asked first (EDIT_PERSON, as the plan's own check will), so
        nobody learns anything of a person they may not edit; the details are checked
        before anything is saved, so a refused value changes nothing.
        """
        self.authorize(plan_id, by=by, action=Action.EDIT_PERSON)
        person_id = self.member_person(plan_id, command.participant_id)
        before = self.get_person(person_id).details
        after = replace(before, **command.person_changes()).validated(today=self.today())
        if after != before and self.person_changing is not None:
            self.person_changing(person_id, after)

        def person(cursor: Any | None = None) -> None:  # in the events' transaction, if any
            try:
                self.directory.update(person_id, before, after, by, self.clock(), on=cursor)
            except KeyError:
                raise PersonNotFoundError("no such person") from None  # erased meanwhile

        run = lambda plan, _at: command.run(plan, by, _at, uuid4())  # noqa: E731
        also = [person] if after != before else []
        result = self._command(plan_id, by, expected_version, run, receipt=receipt, also=also)
        if also and result.notification_id is None:  # the plan took no part: the person alone
            person()
        if after != before and self.person_changed is not None:
            self.person_changed(person_id, before, after, by)
        return result

    def create_plan(
        self, command: CreatePlan, *, by: UUID, receipt: Receipt | None = None
    ) -> CommandResult:
        """A new plan, `by` its coordinator (the owner may be registered first); `receipt`."""
        self.get_person(by)

        def create(owner_id: UUID) -> CommandResult:
            plan = Plan.create(
                plan_id=uuid4(),
                at=self.clock(),
                creator_person_id=by,
                creator_participant_id=uuid4(),
                plan_type=command.type,
                short_name=command.short_name,
                owner_person_id=owner_id,
                owner_participant_id=uuid4(),
                start_date=command.start_date,
                end_date=command.end_date,
                consent=command.consent.value(),
                level=command.level,
                review_on=command.review_on,
            )
            try:
                recordings = self._save_with(plan, receipt)
            except IntegrityError as conflict:  # a new plan's id is never taken: the key was
                if receipt is None:
                    raise
                raise KeyInUseError from conflict
            self._remember(plan)
            return CommandResult(plan.id, plan.version, recordings[-1].notification.id)

        return self._with_new_person(command.owner.ref(), by, "owner", create)

    # ------------------------------------------------------------------ reads

    def get_plan(self, plan_id: UUID) -> PlanView:
        """The full plan; callers that show it to a person filter it (`read_plan`)."""
        return view_of(self._load(plan_id))

    def read_plan(self, plan_id: UUID, *, by: UUID) -> PlanOut:
        """What `by` may see of the plan now, by the policy table (`permitted.py`)."""
        plan = self._load(plan_id)
        return permitted_view(
            plan.id,
            plan.version,
            plan.modified_on,
            plan.state,
            by,
            now=self.clock(),
            people=self.directory.get_many,
            encoded=self.encoded_parts,
        )

    def authorize(
        self, plan_id: UUID, *, by: UUID, action: Action, auditor: bool = False
    ) -> tuple[Standing, Participant | None]:
        """The policy table's answer for `by` now, refused as a command would be.

        For reads that are not the permitted view (history, timeline, access log):
        the plan is loaded, not turned into a full view. An auditor account outside
        the plan group (`auditor=True`) stands as `Standing.AUDITOR`.
        """
        plan = self._load(plan_id)
        try:
            participant = plan.permitted(by, action, at=self.clock())
        except (NotAParticipantError, NotPermittedError):
            as_auditor = decide(
                action,
                Standing.AUDITOR,
                consent_valid=plan.state.consent.is_valid_on(self.today()),
                plan_open=plan.state.status is PlanStatus.OPEN,
            )
            if auditor and as_auditor.allowed:
                return Standing.AUDITOR, None
            raise
        standing, _ = plan.state.standing_of(by)
        return standing, participant

    def participant_details(self, plan_id: UUID, *, by: UUID, participant_id: UUID) -> Person:
        """All the directory holds of a participant: for those who may edit it
        (EDIT_PERSON), and for the participant themself."""
        plan = self._load(plan_id)
        target = self._visible_member(plan, by, participant_id)
        if target.person_id != by:
            self.authorize(plan_id, by=by, action=Action.EDIT_PERSON)
        return self.get_person(target.person_id)

    def member_person(self, plan_id: UUID, participant_id: UUID) -> UUID:
        """The person an active participant of the plan is (NotFoundError if none)."""
        return self._load(plan_id).member(participant_id).person_id

    def _visible_member(self, plan: Plan, by: UUID, participant_id: UUID) -> Participant:
        """A participant of a plan `by` may open (else as for a plan that does not exist)."""
        plan.permitted(by, Action.OPEN, at=self.clock())
        return plan.member(participant_id)

    def today(self) -> date:
        """The municipal calendar date now (consent dates are such dates)."""
        return local_date(self.clock())

    def person_names(self, person_ids: Iterable[UUID]) -> dict[UUID, str]:
        """Full names from the directory; an erased person is missing from the answer."""
        return {
            pid: person.full_name for pid, person in self.directory.get_many(person_ids).items()
        }

    def timeline(
        self, plan_id: UUID, *, limit: int | None = None, before: int | None = None
    ) -> list[TimelineEntry]:
        """Every event of the plan, oldest first, with its actor's name and a summary;
        with `limit`, a page instead: at most `limit` events older than version `before`
        (or the newest), newest first, read from the store as a page (only those decoded)."""
        if limit is None:
            found = self.events.get(plan_id)
        else:
            older = None if before is None else before - 1
            found = self.events.get(plan_id, lte=older, desc=True, limit=limit)
        events = [cast(Plan.Event, e) for e in found]
        if not events and before is None:  # a plan has at least its first event
            raise PlanNotFoundError("no such plan")
        members: dict[UUID, UUID] = {}
        if any(hasattr(e, "participant_id") for e in events):  # whom they are about
            participants = self._load(plan_id).state.participants.values()
            members = {p.participant_id: p.person_id for p in participants}
        names = self.person_names({*(e.actor_id for e in events), *members.values()})
        return timeline_of(events, names, members)
