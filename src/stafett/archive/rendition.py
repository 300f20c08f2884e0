"""The record's human rendition: `record.pdf` and `arkivstruktur.xml`, made after the seal
(decision 0026, docs/archive-format.md).

Laying out a long plan as PDF/A takes seconds (decision 0017), so the seal does not wait
for it: the seal stores the record's signed core, and the rendition follows under a
manifest of its own, `rendition.json`, signed as `rendition.sig`, which names the core by
the SHA-256 of its `manifest.json` and lists the SHA-256 of `record.pdf` and of
`arkivstruktur.xml`. `arkivstruktur.xml` belongs to the rendition because it describes
every file of the record with its checksum, the PDF (its main document) among them; all
else it says comes from the core's manifest. A complete record is the core's zip with
the rendition's four members added (`complete_record`).

`rendition_problems` is the one check of a rendition against its core, for the offline
verifier and for the server before it hands a record out.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from stafett.aggregates.plan_state import PlanState
from stafett.applications.results import TimelineEntry
from stafett.archive.canonical import canonical, parse
from stafett.archive.keys import PublicKey, SigningKey
from stafett.archive.renderers import FileEntry, Renderers
from stafett.archive.seal import (
    ARKIVSTRUKTUR,
    MANIFEST,
    PDF,
    RENDITION,
    RENDITION_FILES,
    RENDITION_MEMBERS,
    RENDITION_SIGNATURE,
    append_members,
    file_entry,
    key_entry,
    unzipped,
    zip_members,
)

RENDITION_FORMAT = "stafett.sealed-record.v2.rendition"
NOT_YET = (
    "record.pdf and arkivstruktur.xml are not in this record yet (the sealed core only): "
    "download the record again for the complete one"
)


@dataclass(frozen=True)
class RenditionInput:
    """What the rendition of one sealed record is made of: the core's signed manifest,
    and the plan's state, names and timeline at the sealed version."""

    manifest: bytes  # the core's manifest.json, exactly as signed
    state: PlanState
    names: Mapping[UUID, str]
    timeline: Sequence[TimelineEntry]
    sealed_at: datetime


def build_rendition(
    given: RenditionInput, *, key: SigningKey, renderers: Renderers, rendered_at: datetime
) -> bytes:
    """The rendition's four members, as a zip (stored beside the core, `complete_record`)."""
    manifest = parse(given.manifest)
    pdf = renderers.pdf(
        given.state, names=given.names, timeline=given.timeline, sealed_at=given.sealed_at
    )
    core = {f["name"]: FileEntry(**f) for f in manifest["files"]}
    described = [*core.values()]
    described.insert(2, file_entry(PDF, pdf))  # as the record lists them: the PDF third
    xml = renderers.arkivstruktur(
        plan_id=UUID(manifest["plan_id"]),
        title=manifest["short_name"],
        owner_name=manifest["owner"]["name"],
        plan_type=manifest["plan_type"],
        created_at=_instant(manifest["created_at"]),
        closed_at=_instant(manifest["closed_at"]) if manifest["closed_at"] else None,
        sealed_at=sealed_at(manifest),
        sealed_by=manifest["sealed_by"]["name"],
        archive_id=UUID(manifest["archive_id"]),
        files=described,
    )
    contents = {PDF: pdf, ARKIVSTRUKTUR: xml}
    rendition = canonical(
        {
            "format": RENDITION_FORMAT,
            "archive_id": manifest["archive_id"],
            "plan_id": manifest["plan_id"],
            "manifest_sha256": hashlib.sha256(given.manifest).hexdigest(),
            "rendered_at": rendered_at,
            "files": [file_entry(n, contents[n]) for n in RENDITION_FILES],
            "signing_key": key_entry(key),
        }
    )
    members = {RENDITION: rendition, RENDITION_SIGNATURE: key.sign(rendition), **contents}
    return zip_members([(n, members[n]) for n in RENDITION_MEMBERS], given.sealed_at)


def complete_record(core: bytes, rendition: bytes) -> bytes:
    """The core's zip with the rendition's members after its own (the core's bytes kept)."""
    members = unzipped(rendition, RENDITION_MEMBERS)
    return append_members(core, [(n, members[n]) for n in RENDITION_MEMBERS])


def rendition_problems(
    manifest_bytes: bytes, members: Mapping[str, bytes], keys: Sequence[PublicKey]
) -> list[str]:
    """What is wrong with the rendition in `members` as the rendition of the core whose
    manifest is `manifest_bytes`, signed with one of `keys` (empty: nothing)."""
    held = [n for n in RENDITION_MEMBERS if n in members]
    if not held:
        return [NOT_YET]
    if len(held) < len(RENDITION_MEMBERS):
        return ["missing: " + ", ".join(n for n in RENDITION_MEMBERS if n not in members)]
    manifest = parse(manifest_bytes)
    rendition = parse(members[RENDITION])
    if not isinstance(rendition, dict):
        return ["rendition.json is not a JSON object"]
    problems = []
    if members[RENDITION] != canonical(rendition):
        problems.append("rendition.json is not in canonical form (RFC 8785)")
    if rendition.get("format") != RENDITION_FORMAT:
        problems.append(f"format is {rendition.get('format')!r}, expected {RENDITION_FORMAT!r}")
    for name in ("archive_id", "plan_id"):
        if rendition.get(name) != manifest.get(name):
            problems.append(f"its {name} is not the manifest's")
    if rendition.get("manifest_sha256") != hashlib.sha256(manifest_bytes).hexdigest():
        problems.append("it names another manifest.json (the rendition of another record)")
    problems += _signature_problems(
        rendition, members[RENDITION], members[RENDITION_SIGNATURE], keys
    )
    listed = rendition.get("files")
    if not isinstance(listed, list) or [f.get("name") for f in listed] != list(RENDITION_FILES):
        return [*problems, "it does not list exactly record.pdf and arkivstruktur.xml"]
    for entry in listed:
        content = members[entry["name"]]
        if hashlib.sha256(content).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['name']}: SHA-256 differs from rendition.json")
        elif len(content) != entry["size"]:
            problems.append(f"{entry['name']}: size differs from rendition.json")
    return problems


def _signature_problems(
    rendition: dict[str, Any], signed: bytes, signature: bytes, keys: Sequence[PublicKey]
) -> list[str]:
    named = rendition.get("signing_key") or {}
    carried = PublicKey.from_text(named.get("public_key", ""))
    if carried.id != named.get("id"):
        return ["rendition.json's key id does not belong to its public key"]
    key = next((k for k in keys if k.id == carried.id), None)
    if key is None:
        accepted = ", ".join(k.id for k in keys)
        return [f"rendition.json is signed with key {carried.id}, not with {accepted}"]
    if not key.verifies(signature, signed):
        return [f"the signature over rendition.json does not verify with key {key.id}"]
    return []


def core_manifest(core: bytes) -> bytes:
    """The `manifest.json` of a core's zip."""
    return unzipped(core, (MANIFEST,))[MANIFEST]


def sealed_at(manifest: dict[str, Any]) -> datetime:
    """The sealing instant a core's manifest names."""
    return _instant(manifest["sealed_at"])


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)
