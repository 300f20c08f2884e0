"""Who has read what of a plan (SEC-LOG-04): record before answering, verify the chain.

Each entry is hashed over the previous entry's hash and its own canonical JSON,
so changing, removing or reordering an earlier entry breaks every later hash.
`record` raises `AccessLogUnavailableError` on any failure: a caller that is about
to answer with plan content must then answer with nothing (fail closed).

Grounds say why the reader was let in: `participant:<id>`, `consent:<from>..<to>`,
or `audit` for an auditor reading in that capacity. Every auditor's entry carries
`audit` and nothing else (`record` refuses another), so an auditor's reads can be
found, and told from a participant's, by their grounds alone.

Entries hold ids only; names are looked up when the log is shown. An operator's
read from the command line (`stafett plan history`, `archive export`, …) is an entry
too: role `operator`, the reader `OPERATOR_ID` (operators have no person in the
directory) and the grounds naming the operating-system account (`record_operator`).

A read recorded on an event loop inside `reads_on_the_loop()` (a request handled there,
decision 0035) is not committed by `record`, which would stop the loop: it waits for
`commit_reads_of_the_loop()`, which the web layer awaits before anything is answered,
and which commits it with the other requests' reads while the loop serves them.
"""

import asyncio
import getpass
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Protocol
from uuid import UUID

import structlog

from stafett.aggregates.errors import ValidationError
from stafett.persistence.access_log import AccessLogStore, AccessRow, SeqTakenError
from stafett.persistence.group_commit import MAX_BATCH, BatchFailedError, GroupCommit
from stafett.persistence.recorders import from_micros, to_micros

GENESIS_HASH = "0" * 64
MAX_ATTEMPTS = 100
AUDITOR = "auditor"
AUDIT_GROUNDS = "audit"  # the grounds of every auditor's read
ROLES = frozenset({"owner", "relative", "provider", "coordinator", "auditor", "operator"})
OPERATOR_ID = UUID(int=0)  # the reader of an operator's entry: no person of the directory
OPERATOR_NAME = "(drift)"  # how an operator's entry names its reader
SECTIONS = frozenset(
    {
        "overview",
        "consent",
        "participants",
        "person_details",  # a participant's full details (those who may edit them)
        "photo",  # a participant's photo (everyone who may open the plan)
        "goals",
        "activities",
        "minutes",
        "messages",
        "calendar",
        "comments",
        "history",
        "timeline",
        "access_log",
        "search",  # the plan was among an auditor's search results (owner, dates, status)
        "archive",  # a sealed record (the whole history and this log), downloaded or exported
        "export",  # the parts beside it, downloaded by their reader (PDF or JSON)
    }
)
log = structlog.get_logger(__name__)
_ON_THE_LOOP: ContextVar["list[tuple[AccessLog, _Read]] | None"] = ContextVar(
    "reads_on_the_loop", default=None
)


class reads_on_the_loop:  # noqa: N801 - used as a function: `with reads_on_the_loop():`
    """Within: a read recorded on the event loop waits for `commit_reads_of_the_loop`.

    A class rather than a generator-based context manager: every request enters it.
    """

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _ON_THE_LOOP.set([])

    def __exit__(self, *_exc: object) -> None:
        _ON_THE_LOOP.reset(self._token)


async def commit_reads_of_the_loop() -> None:
    """Commit the reads this request recorded on the loop (with other requests' reads);
    AccessLogUnavailableError if any could not be, and then nothing may be answered."""
    waiting = _ON_THE_LOOP.get()
    while waiting:
        access_log, read = waiting.pop(0)
        try:
            await access_log.writer.submit_async(read)
        except BatchFailedError as failed:
            raise access_log.unavailable(read, failed) from failed


def _on_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class AccessLogUnavailableError(Exception):
    """The read could not be recorded, so it must not happen."""


@dataclass(frozen=True, slots=True)
class AccessEntry(AccessRow[datetime]):
    """A row as read back: `at` is its instant."""


def canonical(
    *,
    plan_id: UUID,
    seq: int,
    at: int,
    reader_person_id: UUID,
    role: str,
    sections: Sequence[str],
    grounds: str,
) -> bytes:
    """The entry as sorted, compact JSON: the bytes its hash covers."""
    return json.dumps(
        {
            "at": at,
            "grounds": grounds,
            "plan_id": str(plan_id),
            "reader_person_id": str(reader_person_id),
            "role": role,
            "sections": list(sections),
            "seq": seq,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def canonical_of(row: AccessRow[int]) -> bytes:
    """The bytes a row's hash covers: every field but the hashes."""
    fields = asdict(row)
    del fields["prev_hash"], fields["hash"]
    return canonical(**fields)


def chain_hash(prev_hash: str, entry: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + entry).hexdigest()


class VisitLog(Protocol):
    """Where a reader's visit to a plan is noted (the plan list's `note_visits`)."""

    def note_visits(self, visits: Sequence[tuple[UUID, UUID, datetime]]) -> None:
        """Note each (person, plan, instant) in one transaction; the latest visit wins."""


@dataclass(frozen=True, slots=True)
class _Read:
    """An entry waiting for its batch: everything but its place in the chain."""

    plan_id: UUID
    reader_person_id: UUID
    role: str
    sections: tuple[str, ...]
    grounds: str
    at: datetime
    visits: VisitLog | None


class AccessLog:
    """Appends entries through one group commit (decision 0021): the reads of many
    requests at once are written in one transaction, each request waiting for its own."""

    def __init__(
        self,
        store: AccessLogStore,
        *,
        clock: Callable[[], datetime],
        max_batch: int = MAX_BATCH,  # 1: every read its own transaction (a baseline)
    ) -> None:
        self.store = store
        self.clock = clock
        self.writer = GroupCommit(self._commit, max_batch=max_batch)

    def record(
        self,
        plan_id: UUID,
        *,
        reader_person_id: UUID,
        role: str,
        sections: Sequence[str],
        grounds: str,
        at: datetime | None = None,
        visit_to: VisitLog | None = None,
    ) -> None:
        """Append one entry to the plan's chain; AccessLogUnavailableError if that fails.

        With `visit_to`, the reader's visit is noted there in the same batch, after the
        entries (a read that cannot be noted fails as one that cannot be recorded).
        """
        if role not in ROLES:
            raise ValidationError("role", f"unknown role {role!r}")
        unknown = [s for s in sections if s not in SECTIONS]
        if not sections or unknown:
            raise ValidationError("sections", f"unknown or no sections: {unknown}")
        if not grounds:
            raise ValidationError("grounds", "must be given")
        if (role == AUDITOR) != (grounds == AUDIT_GROUNDS):
            raise ValidationError("grounds", f"an auditor reads on the grounds {AUDIT_GROUNDS!r}")
        read = _Read(
            plan_id,
            reader_person_id,
            role,
            tuple(sections),
            grounds,
            self.clock() if at is None else at,
            visit_to,
        )
        waiting = _ON_THE_LOOP.get()
        if waiting is not None and _on_an_event_loop():
            waiting.append((self, read))  # committed by commit_reads_of_the_loop
            return
        try:
            self.writer.submit(read)
        except BatchFailedError as failed:
            raise self.unavailable(read, failed) from failed

    @staticmethod
    def unavailable(read: _Read, failed: BatchFailedError) -> AccessLogUnavailableError:
        """Logged: the read could not be recorded (and so must not be answered)."""
        log.error(  # ids and the error class only: the message may carry values
            "access_log_failed", plan=str(read.plan_id), error=type(failed.__cause__).__name__
        )
        return AccessLogUnavailableError("the read could not be recorded")

    def _commit(self, reads: Sequence[_Read]) -> None:
        """One batch: its entries chained onto each plan's head and inserted in one
        transaction (again on fresh heads if another writer took a seq first), then the
        visits it notes, one transaction per place they are noted."""
        for _ in range(MAX_ATTEMPTS):
            heads = self.store.heads({r.plan_id for r in reads})
            rows = []
            for read in reads:
                seq, prev_hash = heads.get(read.plan_id, (0, GENESIS_HASH))
                unsealed = AccessRow(
                    plan_id=read.plan_id,
                    seq=seq + 1,
                    at=to_micros(read.at),
                    reader_person_id=read.reader_person_id,
                    role=read.role,
                    sections=read.sections,
                    grounds=read.grounds,
                    prev_hash=prev_hash,
                    hash="",
                )
                row = replace(unsealed, hash=chain_hash(prev_hash, canonical_of(unsealed)))
                heads[read.plan_id] = (row.seq, row.hash)
                rows.append(row)
            try:
                self.store.append(*rows)
            except SeqTakenError:
                continue
            break
        else:
            msg = f"gave up after {MAX_ATTEMPTS} conflicting appends"
            raise RuntimeError(msg)
        for plan_id in dict.fromkeys(r.plan_id for r in reads):
            # Each plan's new head leaves the database with the chained log lines, so a
            # table rewritten consistently afterwards no longer matches (decision 0047).
            seq, head = heads[plan_id]
            log.info("access_log_head", plan=str(plan_id), seq=seq, head=head)
        noted: dict[int, tuple[VisitLog, list[tuple[UUID, UUID, datetime]]]] = {}
        for read in reads:
            if read.visits is not None:
                place = noted.setdefault(id(read.visits), (read.visits, []))
                place[1].append((read.reader_person_id, read.plan_id, read.at))
        for visits, notes in noted.values():
            visits.note_visits(notes)

    def record_operator(self, plan_id: UUID, sections: Sequence[str]) -> None:
        """An operator's read from the command line, as the account running it."""
        try:
            account = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a bare container)
            account = "unknown"
        self.record(
            plan_id,
            reader_person_id=OPERATOR_ID,
            role="operator",
            sections=sections,
            grounds=f"operator:{account}",
        )

    def entries(self, plan_id: UUID) -> list[AccessEntry]:
        """The plan's entries, oldest first."""
        return [
            AccessEntry(**(asdict(r) | {"at": from_micros(r.at)}))
            for r in self.store.rows_of(plan_id)
        ]

    def entries_between(self, start: datetime, end: datetime) -> list[AccessEntry]:
        """Every plan's entries written from `start` until `end`, by time (the log
        control's period, decision 0058)."""
        return [
            AccessEntry(**(asdict(r) | {"at": from_micros(r.at)}))
            for r in self.store.rows_between(to_micros(start), to_micros(end))
        ]

    def anchored(self, plan_id: UUID, logged: Iterable[tuple[int, str]]) -> list[str]:
        """The problems of the plan's chain against its heads as logged (seq, head):
        each must be the hash of the entry with that seq."""
        hashes = {row.seq: row.hash for row in self.store.rows_of(plan_id)}
        return [
            f"seq {seq}: the log has head {head[:16]}…, the table "
            + (f"has {hashes[seq][:16]}…" if seq in hashes else "has no such entry")
            for seq, head in logged
            if hashes.get(seq) != head
        ]

    def verify(self, plan_id: UUID) -> list[str]:
        """Recompute the chain; the problems found, or an empty list when it is intact."""
        problems: list[str] = []
        prev_hash = GENESIS_HASH
        for expected_seq, row in enumerate(self.store.rows_of(plan_id), start=1):
            if row.seq != expected_seq:
                problems.append(f"seq {row.seq}: expected seq {expected_seq}")
            if row.prev_hash != prev_hash:
                problems.append(f"seq {row.seq}: prev_hash does not match the entry before")
            if chain_hash(row.prev_hash, canonical_of(row)) != row.hash:
                problems.append(f"seq {row.seq}: hash does not match the entry")
            prev_hash = row.hash
        return problems
