"""The archive: seal a plan into a stored record, list a plan's records, hand one out.

Sealing (docs/decisions/0016-sealed-record.md) reads the plan at its current
version n, builds the record's signed core (`seal.py`), stores it under a new archive
id, and then records the plan's `Archived` event at version n + 1 with the core's
digest. The record becomes visible only through that event: a record whose event was
not saved is never listed or served. If the plan moved on meanwhile, the seal starts
again.

The record's rendition (`record.pdf`, `arkivstruktur.xml`; decision 0026) is made
after the seal has answered, on a thread of the `renditions` executor, from what the
seal read. A record is only ever handed out complete: if its rendition is not stored
yet, `release` waits for the one under way in this process, or makes it itself (after
a restart, or in another process), from the plan at the sealed version.

Who may do what is the policy table's: sealing is `record_archive`, taking a
record out `read_archive`; the callers (web reads, the command line) record each
record taken out in the plan's access log.
"""

import copy
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any, TypeVar
from uuid import UUID, uuid4

import structlog

from stafett.aggregates.errors import NotFoundError
from stafett.aggregates.plan import Plan
from stafett.aggregates.policy import Action
from stafett.aggregates.values import ArchiveRecord
from stafett.applications.access_log import OPERATOR_ID, OPERATOR_NAME, AccessEntry, AccessLog
from stafett.applications.commands import RecordArchive
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PlanNotFoundError, VersionConflictError
from stafett.applications.summaries import timeline_of
from stafett.applications.transcodings import without_gc
from stafett.archive.canonical import parse
from stafett.archive.keys import PublicKey, SigningKey
from stafett.archive.renderers import Renderers
from stafett.archive.rendition import (
    RenditionInput,
    build_rendition,
    complete_record,
    core_manifest,
    rendition_problems,
    sealed_at,
)
from stafett.archive.seal import EVENTS, PDF, SealInput, build_record, sha256_digest, unzipped
from stafett.persistence.archives import ArchiveStore, StoredRecord
from stafett.persistence.recorders import to_micros

MAX_ATTEMPTS = 5
log = structlog.get_logger(__name__)
T = TypeVar("T")


class ArchiveNotFoundError(NotFoundError):
    """No sealed record with this id (or one no `Archived` event names)."""


class ArchiveDamagedError(Exception):
    """A stored record's bytes no longer have the digest its `Archived` event names, or
    its stored rendition is not one of ours for that record."""


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
        renditions: Executor | None = None,
    ) -> None:
        """`renderers` is asked for the PDF and XML writers when a rendition is first made;
        `renditions` runs the renditions of new seals (by default one thread of its own)."""
        self.plans = plans
        self.access_log = access_log
        self.store = store
        self.key = key
        self._renderers = renderers
        self.retired_keys = retired_keys
        self._executor = renditions or ThreadPoolExecutor(1, thread_name_prefix="rendition")
        self._under_way: dict[UUID, Future[None]] = {}
        self._lock = Lock()

    def close(self) -> None:
        """Before the stores close: wait for the rendition being made, drop those not
        started (a download makes them); no rendition writes to a closed store."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def public_keys(self) -> list[tuple[PublicKey, bool]]:
        """Every key a record of this deployment may be signed with, and whether it is current."""
        return [(self.key.public, True), *((k, False) for k in self.retired_keys)]

    # ---------------------------------------------------------------- sealing

    def seal(self, plan_id: UUID, *, by: UUID) -> Sealed:
        """Seal the plan as it stands now, as `by` (its coordinator)."""
        self.plans.authorize(plan_id, by=by, action=Action.RECORD_ARCHIVE)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            # Reading and writing a long plan makes many small objects: the garbage
            # collector would sweep the whole heap again and again meanwhile (it took
            # more than half the time of a seal in a server's heap).
            given = without_gc(self._input, (plan_id, by))
            record = without_gc(lambda g: build_record(g, key=self.key), given)
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
            self._render_later(record.archive_id, given, record.manifest_bytes)
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
        events, access, names = self._read_with_names(plan, extra={by})
        return SealInput(
            archive_id=uuid4(),
            plan_id=plan_id,
            version=plan.version,
            created_at=plan.created_on,
            modified_at=plan.modified_on,
            state=plan.state,
            events=events,
            names=names,
            access=access,
            sealed_at=self.plans.clock(),
            sealed_by=by,
        )

    def _read_with_names(
        self, plan: Plan, extra: set[UUID]
    ) -> tuple[list[Any], list[AccessEntry], dict[UUID, str]]:
        """The plan's events up to its version, its access log, and the directory's names
        of everyone in them, of its participants and of `extra`."""
        events: list[Any] = list(self.plans.events.get(plan.id, lte=plan.version))
        access = self.access_log.entries(plan.id)
        people = {e.actor_id for e in events} | {e.reader_person_id for e in access} | extra
        people |= {p.person_id for p in plan.state.participants.values()}
        names = self.plans.person_names(people)
        names[OPERATOR_ID] = OPERATOR_NAME
        return events, access, names

    def _discard(self, archive_id: UUID) -> None:
        try:
            self.store.discard(archive_id)
        except Exception as error:  # an orphan is never served; it only takes space
            log.warning("orphan_record_kept", archive=str(archive_id), error=type(error).__name__)

    # ---------------------------------------------------------------- renditions

    def _render_later(self, archive_id: UUID, given: SealInput, manifest: bytes) -> None:
        """Make the new record's rendition from what its seal read, after the seal."""

        def job() -> None:
            try:
                timeline = timeline_of(given.events, given.names)
                made = RenditionInput(manifest, given.state, given.names, timeline, given.sealed_at)
                self._store_rendition(archive_id, made)
            except Exception as error:  # the download makes it again
                log.error("rendition_failed", archive=str(archive_id), error=type(error).__name__)

        def forget(_: Future[None]) -> None:  # done or cancelled
            with self._lock:
                self._under_way.pop(archive_id, None)

        future = self._executor.submit(job)
        with self._lock:
            self._under_way[archive_id] = future
        future.add_done_callback(forget)

    def _store_rendition(self, archive_id: UUID, given: RenditionInput) -> None:
        renderers = self._renderers()
        rendered_at = self.plans.clock()
        data = without_gc(
            lambda g: build_rendition(
                g, key=self.key, renderers=renderers, rendered_at=rendered_at
            ),
            given,
        )
        self.store.put_rendition(archive_id, to_micros(rendered_at), data)
        log.info("record_rendered", archive=str(archive_id), bytes=len(data))

    def _rendition(self, stored: StoredRecord) -> bytes:
        """The stored record's rendition: the stored one, the one under way in this
        process when it is done, or one made now from the plan at the sealed version (a
        job of this process that has not started yet is cancelled for it)."""
        with self._lock:
            under_way = self._under_way.get(stored.archive_id)
        if under_way is not None and not under_way.cancel():  # started: wait for it
            under_way.result()
        rendition = self.store.rendition(stored.archive_id)
        if rendition is None:
            self._store_rendition(stored.archive_id, self._input_again(stored))
            rendition = self.store.rendition(stored.archive_id)
        if rendition is None:  # pragma: no cover - stored a moment ago
            raise ArchiveNotFoundError("the record's rendition could not be stored")
        return rendition

    def _input_again(self, stored: StoredRecord) -> RenditionInput:
        """What a rendition is made of, read again for a sealed record: the plan at the
        sealed version; names as the record holds them (its events' actors, the owner,
        the sealer), the directory's now for anyone else."""
        manifest_bytes = core_manifest(stored.data)
        manifest = parse(manifest_bytes)
        plan: Any = self.plans.repository.get(stored.plan_id, version=manifest["event_count"])
        events, _, names = self._read_with_names(plan, extra=set())
        for line in unzipped(stored.data, (EVENTS,))[EVENTS].split(b"\n")[:-1]:
            actor = parse(line)["actor"]
            names[UUID(actor["id"])] = actor["name"]
        for person in (manifest["owner"], manifest["sealed_by"]):
            names[UUID(person["person_id"])] = person["name"]
        return RenditionInput(
            manifest_bytes, plan.state, names, timeline_of(events, names), sealed_at(manifest)
        )

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
        return _stored(self.store.plan_of(archive_id))

    def release(self, archive_id: UUID) -> Release:
        """A sealed record whose `Archived` event names it, its digest checked (callers
        authorize and record the read first)."""
        stored = _stored(self.store.get(archive_id))
        archive = self._listed(stored.plan_id, archive_id)
        if sha256_digest(stored.data) != archive.digest:
            log.error("sealed_record_damaged", archive=str(archive_id), part="core")
            raise ArchiveDamagedError("the stored record does not match its digest")
        if PDF in unzipped(stored.data, (PDF,)):  # format v1, sealed whole before 0026
            return Release(stored.plan_id, archive, stored.data)
        rendition = self._rendition(stored)
        keys = [key for key, _ in self.public_keys()]
        if rendition_problems(core_manifest(stored.data), unzipped(rendition), keys):
            log.error("sealed_record_damaged", archive=str(archive_id), part="rendition")
            raise ArchiveDamagedError("the stored rendition is not the record's")
        data = complete_record(stored.data, rendition)
        return Release(stored.plan_id, archive, data)


def _stored(found: T | None) -> T:
    """What the store holds of a sealed record; ArchiveNotFoundError when it holds none."""
    if found is None:
        raise ArchiveNotFoundError("no such sealed record")
    return found
