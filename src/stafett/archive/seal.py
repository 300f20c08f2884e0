"""Sealing: one plan's stream, replayed into the record's signed core (docs/archive-format.md).

`build_record` is pure: it gets the plan's events and its state at the same
version, the names of the people in them, the plan's access log and the signing
key, and answers the core's zip (the events, the final state, the access log, the
manifest and its signature) and its digest; storing it and recording the `Archived`
event is `service.py`'s. The zip is the same bytes for the same input (fixed member
order, times and attributes), so its digest names its content. The record's human
rendition (`record.pdf`, and `arkivstruktur.xml`, which describes it) is made after
the seal, under a second signed manifest bound to this one (`rendition.py`,
decision 0026).
"""

import hashlib
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from stafett.aggregates.plan import Plan, PlanState
from stafett.aggregates.values import PlanStatus
from stafett.applications.access_log import AccessEntry
from stafett.applications.summaries import ERASED_PERSON
from stafett.archive.canonical import canonical
from stafett.archive.chain import access_head, access_line, chain_head
from stafett.archive.document import event_line, state_document
from stafett.archive.keys import ALGORITHM, SigningKey
from stafett.archive.renderers import FileEntry

FORMAT = "stafett.sealed-record.v2"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
EVENTS = "events.jsonl"
RECORD = "record.json"
PDF = "record.pdf"
ACCESS_LOG = "access-log.jsonl"
ARKIVSTRUKTUR = "arkivstruktur.xml"
RENDITION = "rendition.json"
RENDITION_SIGNATURE = "rendition.sig"
MIME_TYPES = {
    EVENTS: "application/x-ndjson",
    RECORD: "application/json",
    ACCESS_LOG: "application/x-ndjson",
    PDF: "application/pdf",
    ARKIVSTRUKTUR: "application/xml",
}
FILES = (EVENTS, RECORD, ACCESS_LOG)  # the files the core's manifest lists, in this order
RENDITION_FILES = (PDF, ARKIVSTRUKTUR)  # the files the rendition's manifest lists
CORE = (MANIFEST, SIGNATURE, *FILES)  # the members of the core, in this order
RENDITION_MEMBERS = (RENDITION, RENDITION_SIGNATURE, *RENDITION_FILES)
MEMBERS = (*CORE, *RENDITION_MEMBERS)  # the members of a complete record, in this order
# Records sealed before decision 0026: one manifest lists every file, the PDF among them.
FORMAT_V1 = "stafett.sealed-record.v1"
FILES_V1 = (EVENTS, RECORD, PDF, ACCESS_LOG, ARKIVSTRUKTUR)
MEMBERS_V1 = (MANIFEST, SIGNATURE, *FILES_V1)


@dataclass(frozen=True)
class SealInput:
    """One plan at one version: its events 1..version and its state after them."""

    archive_id: UUID
    plan_id: UUID
    version: int
    created_at: datetime
    modified_at: datetime
    state: PlanState
    events: Sequence[Any]  # Plan.Created, then Plan.Event instances, oldest first
    names: Mapping[UUID, str]  # the directory's names of the people named
    access: Sequence[AccessEntry]  # the plan's access log, oldest first
    sealed_at: datetime
    sealed_by: UUID


@dataclass(frozen=True)
class SealedRecord:
    archive_id: UUID
    data: bytes  # the zip of the core
    digest: str  # "sha256:<hex>" of `data`
    manifest: dict[str, Any]
    manifest_bytes: bytes  # as signed


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build_record(given: SealInput, *, key: SigningKey) -> SealedRecord:
    """The record's core: everything but the human rendition, signed."""
    if [e.originator_version for e in given.events[:1]] != [1] or (
        given.events[-1].originator_version != given.version
    ):
        raise ValueError("the events must run from version 1 to the sealed version")
    name = _namer(given.names)
    state = given.state
    lines = [event_line(event, given.names) for event in given.events]
    contents: dict[str, bytes] = {
        EVENTS: b"".join(line + b"\n" for line in lines),
        RECORD: canonical(
            state_document(given.plan_id, given.version, given.created_at, given.modified_at, state)
        ),
        ACCESS_LOG: b"".join(
            access_line(entry, name(entry.reader_person_id)) + b"\n" for entry in given.access
        ),
    }
    closed_at = _closed_at(given.events) if state.status is PlanStatus.CLOSED else None
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "archive_id": given.archive_id,
        "plan_id": given.plan_id,
        "plan_type": state.plan_type,
        "short_name": state.short_name,
        "owner": {"person_id": state.owner_person_id, "name": name(state.owner_person_id)},
        "period": {"start_date": state.start_date, "end_date": state.end_date},
        "status": state.status,
        "created_at": given.created_at,
        "closed_at": closed_at,
        "sealed_at": given.sealed_at,
        "sealed_by": {"person_id": given.sealed_by, "name": name(given.sealed_by)},
        "event_count": len(lines),
        "event_chain": {"algorithm": "sha256", "head": chain_head(given.plan_id, lines)},
        "access_log": {"entries": len(given.access), "head": access_head(given.access)},
        "files": [file_entry(n, contents[n]) for n in FILES],
        "signing_key": key_entry(key),
    }
    manifest_bytes = canonical(manifest)
    contents[MANIFEST] = manifest_bytes
    contents[SIGNATURE] = key.sign(manifest_bytes)
    data = zip_members([(n, contents[n]) for n in CORE], given.sealed_at)
    return SealedRecord(given.archive_id, data, sha256_digest(data), manifest, manifest_bytes)


def key_entry(key: SigningKey) -> dict[str, str]:
    """How a manifest names the key that signs it."""
    return {"id": key.id, "algorithm": ALGORITHM, "public_key": key.public.text}


def zip_members(members: Sequence[tuple[str, bytes]], at: datetime) -> bytes:
    """A zip of `members` in order, every member dated `at` (UTC) with fixed attributes."""
    return append_members(b"", members, at)


def append_members(
    data: bytes, members: Sequence[tuple[str, bytes]], at: datetime | None = None
) -> bytes:
    """The zip `data` (b"" for none) with `members` added after its own, which are kept
    as they are (not compressed again), each new one dated `at` (by default as the zip's
    first member) with fixed attributes."""
    if at is None:
        with zipfile.ZipFile(io.BytesIO(data)) as existing:
            stamp = existing.infolist()[0].date_time
    else:
        stamp = at.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO(data)
    # Level 1: a long plan's JSON still shrinks to a sixth, in half the time of the default.
    with zipfile.ZipFile(buffer, "a" if data else "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members:
            info = zipfile.ZipInfo(member, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content, compresslevel=1)
    return buffer.getvalue()


def unzipped(data: bytes, names: Sequence[str] | None = None) -> dict[str, bytes]:
    """The members of a zip we wrote ourselves (all, or those of `names` it holds)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        held = archive.namelist()
        return {n: archive.read(n) for n in held if names is None or n in names}


def file_entry(name: str, content: bytes) -> FileEntry:
    return FileEntry(
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        mime_type=MIME_TYPES[name],
    )


def _namer(names: Mapping[UUID, str]) -> Any:
    def name(person_id: UUID) -> str:
        return names.get(person_id, ERASED_PERSON)

    return name


def _closed_at(events: Sequence[Any]) -> datetime | None:
    for event in reversed(events):
        if isinstance(event, Plan.Closed):
            closed: datetime = event.timestamp
            return closed
    return None
