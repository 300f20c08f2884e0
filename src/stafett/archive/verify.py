"""Verifying a sealed record offline: no database, no network (docs/archive-format.md).

`verify_record` runs every check on the zip's bytes and reports each one, passed
or failed with what is wrong; a check whose input is unreadable fails, never
raises. The record is intact only when every check passes. A record's core without
its rendition (`record.pdf` and `arkivstruktur.xml` under `rendition.json`, decision
0026) is not intact either, and `Verification.core_only` says that this is all that
is wrong with it.
"""

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stafett.applications.transcodings import without_gc
from stafett.archive.canonical import canonical, parse
from stafett.archive.chain import access_log_problems, chain_head
from stafett.archive.fold import fold
from stafett.archive.keys import PublicKey
from stafett.archive.renderers import SchemaCheck
from stafett.archive.rendition import NOT_YET, rendition_problems
from stafett.archive.seal import (
    ACCESS_LOG,
    ARKIVSTRUKTUR,
    CORE,
    EVENTS,
    FILES,
    FILES_V1,
    FORMAT,
    FORMAT_V1,
    MANIFEST,
    MEMBERS,
    MEMBERS_V1,
    RECORD,
    RENDITION_MEMBERS,
    SIGNATURE,
)

CHECKS = (
    "zip",
    "manifest",
    "signature",
    "file hashes",
    "event chain",
    "versions",
    "record",
    "access log",
    "rendition",
    "arkivstruktur",
)
RENDITION_CHECKS = ("rendition", "arkivstruktur")
MAX_MEMBER_BYTES = 2**30  # a zip bomb is refused, not unpacked


@dataclass(frozen=True)
class Check:
    name: str
    problems: tuple[str, ...] = ()
    note: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    @property
    def intact(self) -> bool:
        return len(self.checks) == len(CHECKS) and all(c.passed for c in self.checks)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def core_only(self) -> bool:
        """The record's core is intact, and its rendition is not in the file yet."""
        failed = self.failed()
        return (
            len(self.checks) == len(CHECKS)
            and [c.name for c in failed] == list(RENDITION_CHECKS)
            and failed[0].problems == (NOT_YET,)
        )


class _Record:
    """The zip's members and what is parsed from them, each read at most once."""

    def __init__(self, data: bytes) -> None:
        self.members: dict[str, bytes] = {}
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [info.filename for info in archive.infolist()]
            for info in archive.infolist():
                if info.file_size > MAX_MEMBER_BYTES:
                    raise ValueError(f"{info.filename} is too large to check")
                self.members[info.filename] = archive.read(info)
        self.names = names
        self._manifest: dict[str, Any] | None = None
        self._entries: list[dict[str, Any]] | None = None

    @property
    def v1(self) -> bool:
        """Sealed before decision 0026: its one manifest lists the PDF and the Noark XML."""
        try:
            return self.manifest.get("format") == FORMAT_V1
        except Exception:  # an unreadable manifest: its own check says so
            return False

    def member(self, name: str) -> bytes:
        if name not in self.members:
            raise ValueError(f"{name} is missing")
        return self.members[name]

    @property
    def manifest(self) -> dict[str, Any]:
        if self._manifest is None:
            manifest = parse(self.member(MANIFEST))
            if not isinstance(manifest, dict):
                raise ValueError("the manifest is not a JSON object")
            self._manifest = manifest
        return self._manifest

    def lines(self, name: str) -> list[bytes]:
        data = self.member(name)
        if data and not data.endswith(b"\n"):
            raise ValueError(f"{name} does not end with a newline")
        return data.split(b"\n")[:-1] if data else []

    @property
    def entries(self) -> list[dict[str, Any]]:
        if self._entries is None:
            lines = self.lines(EVENTS)
            self._entries = [parse(line) for line in lines]
        return self._entries


def verify_record(
    data: bytes, *, schema_errors: SchemaCheck, public_key: PublicKey | None = None
) -> Verification:
    """Every check on a record's zip; `public_key` the key it must be signed with
    (without one, the key the manifest carries, which proves integrity only).

    The garbage collector is paused meanwhile: parsing a long plan's events makes many
    small objects, and in a large heap (a server's) its sweeps took most of the time.
    """
    return without_gc(lambda d: _verify(d, schema_errors, public_key), data)


def _verify(data: bytes, schema_errors: SchemaCheck, public_key: PublicKey | None) -> Verification:
    result = Verification()
    try:
        record = _Record(data)
    except Exception as error:  # zipfile raises many kinds (BadZipFile, zlib.error, …)
        result.checks.append(Check("zip", (f"not a readable zip: {_said(error)}",)))
        return result
    steps: dict[str, Callable[[_Record], list[str] | tuple[list[str], str]]] = {
        "zip": _members,
        "manifest": _manifest,
        "signature": lambda r: _signature(r, public_key),
        "file hashes": _file_hashes,
        "event chain": _event_chain,
        "versions": _versions,
        "record": _folded,
        "access log": _access_log,
        "rendition": lambda r: _rendition(r, public_key),
        "arkivstruktur": lambda r: _arkivstruktur(r, schema_errors),
    }
    for name in CHECKS:
        try:
            outcome = steps[name](record)
        except Exception as error:  # any malformed input is a failed check
            result.checks.append(Check(name, (f"could not be checked: {_said(error)}",)))
            continue
        problems, note = outcome if isinstance(outcome, tuple) else (outcome, "")
        result.checks.append(Check(name, tuple(problems), note))
    try:
        result.manifest = record.manifest
    except Exception:  # reported by the manifest check
        result.manifest = None
    return result


def _said(error: Exception) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def _members(record: _Record) -> list[str]:
    problems = []
    if len(set(record.names)) != len(record.names):
        problems.append("a file name occurs twice")
    required, allowed = (MEMBERS_V1, MEMBERS_V1) if record.v1 else (CORE, MEMBERS)
    missing = [n for n in required if n not in record.members]  # v2's rendition: its check
    extra = sorted(set(record.members) - set(allowed))
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if extra:
        problems.append("not part of a sealed record: " + ", ".join(extra))
    return problems


def _manifest(record: _Record) -> list[str]:
    manifest = record.manifest
    problems = []
    if record.member(MANIFEST) != canonical(manifest):
        problems.append("manifest.json is not in canonical form (RFC 8785)")
    if manifest.get("format") not in (FORMAT, FORMAT_V1):
        problems.append(f"format is {manifest.get('format')!r}, expected {FORMAT!r}")
    required = ("plan_id", "event_count", "event_chain", "access_log", "files", "signing_key")
    absent = [name for name in required if name not in manifest]
    if absent:
        problems.append("fields missing: " + ", ".join(absent))
    return problems


def _signature(record: _Record, trusted: PublicKey | None) -> tuple[list[str], str]:
    named = record.manifest["signing_key"]
    carried = PublicKey.from_text(named["public_key"])
    problems = []
    if carried.id != named["id"]:
        problems.append("the manifest's key id does not belong to its public key")
    key = trusted or carried
    if trusted is not None and named["id"] != trusted.id:
        problems.append(f"signed with key {named['id']}, not with the given key {trusted.id}")
    if not key.verifies(record.member(SIGNATURE), record.member(MANIFEST)):
        problems.append(f"the signature over manifest.json does not verify with key {key.id}")
    note = "" if trusted else "checked against the key the record carries; give --public-key"
    return problems, note


def _file_hashes(record: _Record) -> list[str]:
    listed = record.manifest["files"]
    problems = []
    if [f["name"] for f in listed] != list(FILES_V1 if record.v1 else FILES):
        problems.append("the manifest does not list exactly the record's files")
    for entry in listed:
        content = record.members.get(entry["name"])
        if content is None:
            problems.append(f"{entry['name']}: missing")
        elif hashlib.sha256(content).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['name']}: SHA-256 differs from the manifest")
        elif len(content) != entry["size"]:
            problems.append(f"{entry['name']}: size differs from the manifest")
    return problems


def _event_chain(record: _Record) -> list[str]:
    manifest = record.manifest
    head = chain_head(manifest["plan_id"], record.lines(EVENTS))
    if head != manifest["event_chain"]["head"]:
        return ["the hash chain over events.jsonl does not end at the manifest's head"]
    return []


def _versions(record: _Record) -> list[str]:
    versions = [entry["version"] for entry in record.entries]
    problems = []
    expected = list(range(1, len(versions) + 1))
    if versions != expected:
        wrong = next(i for i, (v, e) in enumerate(zip(versions, expected, strict=True)) if v != e)
        problems.append(f"line {wrong + 1} has version {versions[wrong]}, expected {wrong + 1}")
    if len(versions) != record.manifest["event_count"]:
        problems.append(
            f"{len(versions)} events, the manifest says {record.manifest['event_count']}"
        )
    return problems


def _folded(record: _Record) -> list[str]:
    folded = canonical(fold(record.manifest["plan_id"], record.entries))
    if folded != record.member(RECORD):
        return ["folding events.jsonl does not reproduce record.json"]
    return []


def _access_log(record: _Record) -> list[str]:
    manifest = record.manifest["access_log"]
    rows = [parse(line) for line in record.lines(ACCESS_LOG)]
    problems = access_log_problems(record.manifest["plan_id"], rows, manifest["head"])
    if len(rows) != manifest["entries"]:
        problems.append(f"{len(rows)} rows, the manifest says {manifest['entries']}")
    return problems


def _rendition(record: _Record, trusted: PublicKey | None) -> tuple[list[str], str]:
    """The rendition is the one of this core, signed with the given key or, without
    one, with the key that signed the core."""
    if record.v1:
        return [], "format v1: manifest.json lists record.pdf and arkivstruktur.xml itself"
    key = trusted or PublicKey.from_text(record.manifest["signing_key"]["public_key"])
    problems = rendition_problems(record.member(MANIFEST), record.members, [key])
    note = "" if trusted else "signed with the key that signed manifest.json"
    return problems, note


def _arkivstruktur(record: _Record, schema_errors: SchemaCheck) -> list[str]:
    if not any(n in record.members for n in RENDITION_MEMBERS):
        return ["not in this record yet: it comes with record.pdf"]
    return schema_errors(record.member(ARKIVSTRUKTUR))
