"""The archive: seal a plan into a stored record, list a plan's records, hand one out.

Sealing (docs/decisions/0016-sealed-record.md) reads the plan at its current
version n, builds the record (`seal.py`), stores it under a new archive id, and then
records the plan's `Archived` event at version n + 1 with the record's digest. The
record becomes visible only through that event: a record whose event was not saved
is never listed or served. If the plan moved on meanwhile, the seal starts again.

Who may do what is the policy table's: sealing is `record_archive`, taking a
record out `read_archive`; the callers (web reads, the command line) record each
record taken out in the plan's access log.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import structlog

from stafett.aggregates.errors import NotFoundError
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import Action
from stafett.aggregates.values import ArchiveRecord
from stafett.applications.access_log import OPERATOR_ID, OPERATOR_NAME, AccessLog
from stafett.applications.commands import RecordArchive
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PlanNotFoundError, VersionConflictError
from stafett.applications.transcodings import without_gc
from stafett.archive.keys import PublicKey, SigningKey
from stafett.archive.renderers import Renderers
from stafett.archive.seal import SealInput, build_record, sha256_digest
from stafett.persistence.archives import ArchiveStore, StoredRecord
from stafett.persistence.recorders import to_micros

MAX_ATTEMPTS = 5
log = structlog.get_logger(__name__)


class ArchiveNotFoundError(NotFoundError):
    """No sealed record with this id (or one no `Archived` event names)."""


class ArchiveDamagedError(Exception):
    """A stored record's bytes no longer have the digest its `Archived` event names."""


@dataclass(frozen=True, slots=True)
class Sealed:
    archive_id: UUID
    sealed_at: datetime
    digest: str
    version: int  # the plan's version with the Archived event
    notification_id: int | None  # the Archived event's (the plan list waits for it)


@dataclass(frozen=True, slots=True)
class Release:
    """A stored record taken out: the plan it is of, its id and its zip."""

    plan_id: UUID
    archive: ArchiveRecord
    data: bytes


class Archives:
    def __init__(
        self,
        plans: PlanApplication,
        access_log: AccessLog,
        store: ArchiveStore,
        *,
        key: SigningKey,
        renderers: Callable[[], Renderers],
        retired_keys: tuple[PublicKey, ...] = (),
    ) -> None:
        """`renderers` is asked for the PDF and XML writers when a plan is first sealed."""
        self.plans = plans
        self.access_log = access_log
        self.store = store
        self.key = key
        self._renderers = renderers
        self.retired_keys = retired_keys

    def public_keys(self) -> list[tuple[PublicKey, bool]]:
        """Every key a record of this deployment may be signed with, and whether it is current."""
        return [(self.key.public, True), *((k, False) for k in self.retired_keys)]

    # ---------------------------------------------------------------- sealing

    def seal(self, plan_id: UUID, *, by: UUID) -> Sealed:
        """Seal the plan as it stands now, as `by` (its coordinator)."""
        self.plans.authorize(plan_id, by=by, action=Action.RECORD_ARCHIVE)
        renderers = self._renderers()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            # Reading and writing a long plan makes many small objects: the garbage
            # collector would sweep the whole heap again and again meanwhile (it took
            # more than half the time of a seal in a server's heap).
            given = without_gc(self._input, (plan_id, by))
            record = without_gc(lambda g: build_record(g, key=self.key, renderers=renderers), given)
            self.store.put(
                StoredRecord(
                    record.archive_id,
                    plan_id,
                    to_micros(given.sealed_at),
                    record.digest,
                    record.data,
                )
            )
            try:
                result = self.plans.handle(
                    plan_id,
                    RecordArchive(digest=record.digest, archive_id=record.archive_id),
                    by=by,
                    expected_version=given.version,
                )
            except BaseException as error:
                self._discard(record.archive_id)
                if isinstance(error, VersionConflictError) and attempt < MAX_ATTEMPTS:
                    continue  # the plan moved on while it was sealed: seal it again
                raise
            archived = self._listed(plan_id, record.archive_id)
            log.info(
                "plan_sealed",
                plan=str(plan_id),
                archive=str(record.archive_id),
                events=given.version,
                bytes=len(record.data),
            )
            return Sealed(
                record.archive_id,
                archived.archived_at,
                record.digest,
                result.version,
                result.notification_id,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def seal_closed(self, plan_id: UUID, by: UUID) -> None:
        """Seal a plan just closed; a failure is logged, not raised (the plan is closed,
        and its coordinator can seal it again)."""
        try:
            self.seal(plan_id, by=by)
        except Exception as error:
            log.error("plan_seal_failed", plan=str(plan_id), error=type(error).__name__)

    def _input(self, ids: tuple[UUID, UUID]) -> SealInput:
        plan_id, by = ids
        cached: Any = self.plans.repository.get(plan_id)
        if not isinstance(cached, Plan):
            raise PlanNotFoundError("no such plan")
        plan = copy.deepcopy(cached)  # the cached plan moves on with other writes
        version = plan.version
        events: list[Any] = list(self.plans.events.get(plan_id, lte=version))
        access = self.access_log.entries(plan_id)
        state = plan.state
        people = {e.actor_id for e in events} | {e.reader_person_id for e in access}
        people |= {p.person_id for p in state.participants.values()} | {by}
        names = self.plans.person_names(people)
        names[OPERATOR_ID] = OPERATOR_NAME
        return SealInput(
            archive_id=uuid4(),
            plan_id=plan_id,
            version=version,
            created_at=plan.created_on,
            modified_at=plan.modified_on,
            state=state,
            events=events,
            names=names,
            access=access,
            sealed_at=self.plans.clock(),
            sealed_by=by,
        )

    def _discard(self, archive_id: UUID) -> None:
        try:
            self.store.discard(archive_id)
        except Exception as error:  # an orphan is never served; it only takes space
            log.warning("orphan_record_kept", archive=str(archive_id), error=type(error).__name__)

    # ---------------------------------------------------------------- reading

    def records_of(self, plan_id: UUID) -> list[ArchiveRecord]:
        """The plan's sealed records, oldest first (callers authorize)."""
        return list(self.plans.get_plan(plan_id).archives)

    def _listed(self, plan_id: UUID, archive_id: UUID) -> ArchiveRecord:
        for archive in self.records_of(plan_id):
            if archive.archive_id == archive_id:
                return archive
        raise ArchiveNotFoundError("no such sealed record")

    def plan_of(self, archive_id: UUID) -> UUID:
        """The plan a stored record is of (ArchiveNotFoundError if none), unchecked."""
        plan_id = self.store.plan_of(archive_id)
        if plan_id is None:
            raise ArchiveNotFoundError("no such sealed record")
        return plan_id

    def release(self, archive_id: UUID) -> Release:
        """A sealed record whose `Archived` event names it, its digest checked (callers
        authorize and record the read first)."""
        stored = self.store.get(archive_id)
        if stored is None:
            raise ArchiveNotFoundError("no such sealed record")
        archive = self._listed(stored.plan_id, archive_id)
        if sha256_digest(stored.data) != archive.digest:
            log.error("sealed_record_damaged", archive=str(archive_id))
            raise ArchiveDamagedError("the stored record does not match its digest")
        return Release(stored.plan_id, archive, stored.data)
