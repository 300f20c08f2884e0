"""What a sealed record needs besides its JSON: the PDF for people and the Noark 5 XML.

The zip builder (`seal.py`) and the verifier (`verify.py`) take these as parameters:
`Renderers` for sealing, `SchemaCheck` for verifying. The composition root passes
`standard_renderers()`: the PDF/A renderer of `stafett.archive.pdf` and the
`arkivstruktur.xml` writer and schema check of `stafett.archive.noark`, imported
when first needed. Tests pass small renderers of their own.
"""

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NotRequired, Protocol, TypedDict, Unpack, cast
from uuid import UUID

from stafett.aggregates.plan_state import PlanState
from stafett.applications.results import TimelineEntry


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A file of the record as `arkivstruktur.xml` lists it (a `dokumentobjekt`)."""

    name: str  # file name inside the zip, e.g. "record.pdf"
    sha256: str  # lowercase hex
    size: int  # bytes
    mime_type: str  # e.g. "application/pdf"


class RecordSources(TypedDict):
    """What a record's PDF is made of besides the plan's state (`stafett.archive.pdf`)."""

    names: Mapping[UUID, str]
    timeline: Sequence[TimelineEntry]
    sealed_at: datetime
    language: NotRequired[str]  # "nb" when not given


class PdfRenderer(Protocol):
    def __call__(self, state: PlanState, **sources: Unpack[RecordSources]) -> bytes: ...


class RecordFacts(TypedDict):
    """What `arkivstruktur.xml` says of a sealed record: the plan, the sealing, the files."""

    plan_id: UUID
    title: str
    owner_name: str
    plan_type: str
    created_at: datetime
    closed_at: datetime | None
    sealed_at: datetime
    sealed_by: str
    archive_id: UUID
    files: Sequence[FileEntry]


class ArkivstrukturWriter(Protocol):
    def __call__(self, **record: Unpack[RecordFacts]) -> bytes: ...


SchemaCheck = Callable[[bytes], list[str]]
"""`arkivstruktur.xml` → what is wrong with it against the Noark 5 schema (empty: valid)."""


@dataclass(frozen=True)
class Renderers:
    pdf: PdfRenderer
    arkivstruktur: ArkivstrukturWriter
    schema_errors: SchemaCheck


def standard_renderers() -> Renderers:
    """The renderers of `stafett.archive.pdf` and `stafett.archive.noark`.

    Imported here, when first asked for, so that the packages that seal and verify
    records do not depend on the PDF and XML libraries at import time.
    """
    pdf = importlib.import_module("stafett.archive.pdf")
    return Renderers(cast(PdfRenderer, pdf.record_pdf), noark_writer(), standard_schema_check())


def noark_writer() -> ArkivstrukturWriter:
    """`stafett.archive.noark.arkivstruktur_xml`, which lists the record's `FileEntry`s."""
    noark = importlib.import_module("stafett.archive.noark")
    return cast(ArkivstrukturWriter, noark.arkivstruktur_xml)


def standard_schema_check() -> SchemaCheck:
    """The check against Arkivverket's arkivstruktur.xsd (`stafett.archive.noark`)."""
    noark = importlib.import_module("stafett.archive.noark")
    return cast(SchemaCheck, noark.schema_errors)
