"""Stand-in renderers for sealing in tests: real bytes, made small and fast.

The PDF/A renderer (`stafett.archive.pdf`) and the Noark 5 writer and schema check
(`stafett.archive.noark`) are wired by the composition root; the tests of sealing
and verifying pass these instead, so that what they check is the record around
them. `schema_errors` here checks the stand-in's own small XML shape.
"""

import base64
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID
from xml.sax.saxutils import escape, quoteattr

from stafett.aggregates.plan_state import PlanState
from stafett.applications.results import TimelineEntry
from stafett.archive.keys import SigningKey
from stafett.archive.renderers import FileEntry, Renderers

NS = "urn:stafett:test-arkivstruktur"
TEST_SEED = bytes(range(32))
TEST_KEY = SigningKey(TEST_SEED)
TEST_KEY_TEXT = base64.b64encode(TEST_SEED).decode()  # as STAFETT_ARCHIVE_SIGNING_KEY holds it
OTHER_KEY = SigningKey(bytes(range(1, 33)))


def stand_in_pdf(
    state: PlanState,
    *,
    names: Mapping[UUID, str],
    timeline: Sequence[TimelineEntry],
    sealed_at: datetime,
    language: str = "nb",
) -> bytes:
    lines = [state.short_name, names.get(state.owner_person_id, "?"), sealed_at.isoformat()]
    lines += [goal.title for goal in state.goals.values()]
    lines += [f"{entry.version} {entry.summary}" for entry in timeline]
    body = "\n".join(lines).encode()
    return b"%PDF-1.7\n% stand-in for the PDF/A renderer\n" + body + b"\n%%EOF\n"


def stand_in_arkivstruktur(*, files: Sequence[FileEntry], **fields: Any) -> bytes:
    head = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in sorted(fields.items()))
    items = "".join(
        f"<fil navn={quoteattr(f.name)} sjekksum={quoteattr(f.sha256)} "
        f'storrelse="{f.size}" format={quoteattr(f.mime_type)}/>'
        for f in files
    )
    xml = f'<?xml version="1.0" encoding="utf-8"?><arkiv xmlns="{NS}">{head}{items}</arkiv>'
    return xml.encode()


def stand_in_schema_errors(xml: bytes) -> list[str]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        return [f"not well-formed: {error}"]
    errors = []
    if root.tag != f"{{{NS}}}arkiv":
        errors.append(f"root is {root.tag}")
    files = root.findall(f"{{{NS}}}fil")
    if len(files) != 4:
        errors.append(f"{len(files)} files listed")
    for element in files:
        checksum = element.get("sjekksum", "")
        if len(checksum) != 64 or any(c not in "0123456789abcdef" for c in checksum):
            errors.append(f"bad checksum for {element.get('navn')}")
    return errors


TEST_RENDERERS = Renderers(
    pdf=stand_in_pdf, arkivstruktur=stand_in_arkivstruktur, schema_errors=stand_in_schema_errors
)
