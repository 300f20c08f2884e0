"""Noark 5 v5.0 metadata, `arkivstruktur.xml`, for one sealed documentation record.

A record is a small Noark 5 extract of one plan:

    arkiv (the record) → arkivdel → mappe (the plan) → registrering (the sealing)
      → dokumentbeskrivelse (one per file; the PDF is the Hoveddokument, the rest Vedlegg)
        → dokumentobjekt (the file: SHA-256 checksum, size in bytes, format)

Everything is derived from the arguments: no clock, no randomness. Each systemID is a
UUIDv5 in the namespace of the record's `archive_id` (so two records of the same plan
never share one), and the same input always gives the same bytes.

Texts are written as given (any Unicode), except the characters XML 1.0 cannot hold
(C0 controls other than tab, newline and carriage return, lone surrogates, U+FFFE and
U+FFFF), which are removed; the exact texts stay in the record's JSON files.

`schema_errors` validates against Arkivverket's schemas, shipped unchanged in
`schemas/noark5-v5.0/`: they are read from the package and nothing is ever fetched.
"""

import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any, Unpack
from uuid import UUID, uuid5

from lxml import etree

from stafett.aggregates.values import PlanType
from stafett.archive.renderers import FileEntry, RecordFacts

NAMESPACE = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
SCHEMA_DIRECTORY = ("schemas", "noark5-v5.0")
SCHEMA_FILES = ("arkivstruktur.xsd", "metadatakatalog.xsd")
SYSTEM = "Stafett"

# M706: the algorithm the catalogue and Arkivverket's test tool (Arkade) expect.
CHECKSUM_ALGORITHM = "SHA-256"

# M701 holds a PRONOM code (Noark 5 §2.7), from Arkivverket's list of archive formats;
# a format the system cannot name gets "av/0" and is identified before deposit. A MIME
# type alone cannot tell which PDF/A part a PDF conforms to, so PDFs get "av/0" until
# the writer of `record.pdf` names its part (fmt/354 is PDF/A-1b, fmt/477 PDF/A-2b).
UNKNOWN_FORMAT = "av/0"
PRONOM_BY_MIME_TYPE = {
    "application/json": "fmt/817",
    "application/xml": "fmt/101",
    "text/xml": "fmt/101",
    "text/plain": "x-fmt/111",
}

PLAN_TYPE_LABELS = {
    PlanType.RELAY_LOG.value: "Stafettlogg",
    PlanType.INDIVIDUAL_PLAN.value: "Individuell plan",
}

# Titles an archivist can read for the files a sealed record holds; others keep their name.
FILE_TITLES = {
    "record.pdf": "Planen i lesbar form",
    "record.json": "Planens sluttilstand, kanonisk JSON",
    "events.jsonl": "Alle hendelser i planen, i rekkefølge",
    "access-log.jsonl": "Tilgangsloggen for planen fram til forseglingen",
}

# The plan is about a child and covered by the duty of confidentiality: the archive
# must keep it out of public journals (M500-M503, values from the metadata catalogue).
ACCESS_RESTRICTION = "Unntatt offentlighet"
RESTRICTION_GROUNDS = "Offl. § 13"
RESTRICTED_METADATA = ("Skjerming tittel mappe - utvalgte ord", "Skjerming navn part i sak")
RESTRICTED_DOCUMENT = "Skjerming av hele dokumentet"
PUBLIC_TITLE = "******"

_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHA256 = re.compile(r"[0-9a-f]{64}")


# A file of the record as it is listed: the seal's own `FileEntry`, under this module's name.
ArchivedFile = FileEntry


def xml_text(value: str, fallback: str) -> str:
    """`value` without the characters XML 1.0 forbids; `fallback` when nothing is left."""
    kept = _NOT_XML.sub("", value)
    return kept if kept.strip() else fallback


def format_code(mime_type: str) -> str:
    """The PRONOM code (M701) for a MIME type, or "av/0" when it names no one format."""
    essence = mime_type.split(";", 1)[0].strip().lower()
    return PRONOM_BY_MIME_TYPE.get(essence, UNKNOWN_FORMAT)


def arkivstruktur_xml(**record: Unpack[RecordFacts]) -> bytes:
    """The record's `arkivstruktur.xml`: UTF-8 with an XML declaration, valid Noark 5 v5.0.

    Raises ValueError for input no record can have: a naive datetime, no files, a file
    name used twice or empty, a checksum that is not lowercase hex SHA-256, a negative size.
    """
    _check_files(record["files"])
    ids = _SystemIds(plan_id=record["plan_id"], archive_id=record["archive_id"])
    sealed = _instant(record["sealed_at"], "sealed_at")
    by = xml_text(record["sealed_by"], SYSTEM)
    label = PLAN_TYPE_LABELS.get(record["plan_type"], xml_text(record["plan_type"], "Plan"))

    arkiv = etree.Element(_tag("arkiv"), nsmap={None: NAMESPACE})
    _fields(
        arkiv,
        ("systemID", ids("arkiv")),
        ("tittel", f"{SYSTEM}: forseglet dokumentasjon"),
        (
            "beskrivelse",
            "Forseglet dokumentasjon av én plan, laget ved å spille av planens "
            "hendelser. Forseglingen kan kontrolleres med «stafett archive verify».",
        ),
        ("arkivstatus", "Avsluttet"),
        ("dokumentmedium", "Elektronisk arkiv"),
        *_made_by_the_sealing(sealed, by),
    )
    _fields(
        _add(arkiv, "arkivskaper"),
        ("arkivskaperID", SYSTEM),
        ("arkivskaperNavn", SYSTEM),
        (
            "beskrivelse",
            "Kommunen som bruker Stafett er arkivskaper; "
            "fylles inn når arkivet tar imot uttrekket.",
        ),
    )
    arkivdel = _add(arkiv, "arkivdel")
    _fields(
        arkivdel,
        ("systemID", ids("arkivdel")),
        ("tittel", f"{label}, forseglet"),
        ("arkivdelstatus", "Avsluttet periode"),
        *_made_by_the_sealing(sealed, by),
    )
    mappe = _add(arkivdel, "mappe")
    _fields(
        mappe,
        ("systemID", ids("mappe")),
        ("mappeID", str(record["plan_id"])),
        ("tittel", xml_text(record["title"], label)),
        ("offentligTittel", PUBLIC_TITLE),
        ("beskrivelse", _plan_description(label, record["closed_at"])),
        ("noekkelord", label),
        ("opprettetDato", _instant(record["created_at"], "created_at")),
        ("opprettetAv", SYSTEM),
        ("avsluttetDato", _instant(record["closed_at"] or record["sealed_at"], "closed_at")),
        ("avsluttetAv", by),
        ("referanseArkivdel", ids("arkivdel")),
    )
    _fields(
        _add(mappe, "part"),
        ("partNavn", xml_text(record["owner_name"], "Ukjent")),
        ("partRolle", "Klient"),
    )
    skjerming = _add(mappe, "skjerming")
    _fields(
        skjerming,
        ("tilgangsrestriksjon", ACCESS_RESTRICTION),
        ("skjermingshjemmel", RESTRICTION_GROUNDS),
        *(("skjermingMetadata", value) for value in RESTRICTED_METADATA),
        ("skjermingDokument", RESTRICTED_DOCUMENT),
    )
    registrering = _add(mappe, "registrering")
    _fields(
        registrering,
        ("systemID", ids("registrering")),
        ("opprettetDato", sealed),
        ("opprettetAv", by),
        ("arkivertDato", sealed),
        ("arkivertAv", by),
    )
    for number, (file, main) in enumerate(_documents(record["files"]), start=1):
        _document(registrering, ids, number, file, main=main, sealed=sealed, by=by)
    _fields(
        registrering,
        ("registreringsID", str(record["archive_id"])),
        ("tittel", "Forseglet dokumentasjon fra Stafett"),
    )
    return bytes(etree.tostring(arkiv, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def schema_errors(xml: bytes) -> list[str]:
    """What makes `xml` invalid against arkivstruktur.xsd: [] when valid, never raises.

    The document is parsed without entities, DTDs or network, and may not have a DOCTYPE.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(xml, parser)
    except (etree.LxmlError, ValueError, TypeError) as error:
        return [f"not well-formed XML: {error}"]
    if root.getroottree().docinfo.doctype:
        return ["has a DOCTYPE, which an arkivstruktur.xml never has"]
    schema, lock = _schema()
    with lock:
        try:
            if schema.validate(root):
                return []
        except etree.LxmlError as error:
            return [f"could not be validated: {error}"]
        entries = list(schema.error_log)
    return [f"line {entry.line}: {_readable(entry.message)}" for entry in entries] or [
        "invalid against arkivstruktur.xsd"
    ]


class _SystemIds:
    """Deterministic, record-unique systemIDs: UUIDv5 of `archive_id` and a path."""

    def __init__(self, *, plan_id: UUID, archive_id: UUID) -> None:
        self._plan_id = plan_id
        self._archive_id = archive_id

    def __call__(self, path: str) -> str:
        return str(uuid5(self._archive_id, f"{self._plan_id}/{path}"))


def _document(
    registrering: Any,
    ids: _SystemIds,
    number: int,
    file: ArchivedFile,
    *,
    main: bool,
    sealed: str,
    by: str,
) -> None:
    beskrivelse = _add(registrering, "dokumentbeskrivelse")
    _fields(
        beskrivelse,
        ("systemID", ids(f"dokumentbeskrivelse/{number}")),
        ("dokumenttype", "Dokumentasjon"),
        ("dokumentstatus", "Dokumentet er ferdigstilt"),
        ("tittel", FILE_TITLES.get(file.name, file.name)),
        ("opprettetDato", sealed),
        ("opprettetAv", by),
        ("tilknyttetRegistreringSom", "Hoveddokument" if main else "Vedlegg"),
        ("dokumentnummer", str(number)),
        ("tilknyttetDato", sealed),
        ("tilknyttetAv", by),
    )
    _fields(
        _add(beskrivelse, "dokumentobjekt"),
        ("systemID", ids(f"dokumentobjekt/{number}")),
        ("versjonsnummer", "1"),
        ("variantformat", "Arkivformat"),
        ("format", format_code(file.mime_type)),
        ("formatDetaljer", file.mime_type),
        ("opprettetDato", sealed),
        ("opprettetAv", by),
        ("referanseDokumentfil", file.name),
        ("sjekksum", file.sha256),
        ("sjekksumAlgoritme", CHECKSUM_ALGORITHM),
        ("filstoerrelse", str(file.size)),
    )


def _documents(files: Sequence[ArchivedFile]) -> list[tuple[ArchivedFile, bool]]:
    """The files in document order: the main one (the first PDF, else the first file) first."""
    main = next((file for file in files if _is_pdf(file)), files[0])
    return [(main, True)] + [(file, False) for file in files if file is not main]


def _is_pdf(file: ArchivedFile) -> bool:
    return file.mime_type.split(";", 1)[0].strip().lower() == "application/pdf"


def _check_files(files: Sequence[ArchivedFile]) -> None:
    if not files:
        raise ValueError("a record has at least one file")
    names: set[str] = set()
    for file in files:
        if not file.name or _NOT_XML.search(file.name) or file.name.strip() != file.name:
            raise ValueError(f"file name {file.name!r} cannot be referenced from XML")
        if file.name in names:
            raise ValueError(f"file name {file.name!r} is listed twice")
        names.add(file.name)
        if not _SHA256.fullmatch(file.sha256):
            raise ValueError(f"{file.name}: sha256 must be 64 lowercase hex digits")
        if isinstance(file.size, bool) or not isinstance(file.size, int) or file.size < 0:
            raise ValueError(f"{file.name}: size must be a whole number of bytes")
        if not file.mime_type.strip() or _NOT_XML.search(file.mime_type):
            raise ValueError(f"{file.name}: a MIME type is required")


def _made_by_the_sealing(sealed: str, by: str) -> tuple[tuple[str, str], ...]:
    """The dates of an arkiv or arkivdel the sealing makes: opened and closed by it."""
    return (
        ("opprettetDato", sealed),
        ("opprettetAv", by),
        ("avsluttetDato", sealed),
        ("avsluttetAv", by),
    )


def _plan_description(label: str, closed_at: datetime | None) -> str:
    if closed_at is None:
        return f"{label}. Planen var åpen da dette øyeblikksbildet ble forseglet."
    return f"{label}. Planen ble avsluttet og deretter forseglet."


def _instant(value: datetime, field: str) -> str:
    """xs:dateTime in UTC, e.g. 2026-03-02T09:00:00Z (fractions only when there are any)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent: Any, name: str, text: str | None = None) -> Any:
    child = etree.SubElement(parent, _tag(name))
    if text is not None:
        child.text = text
    return child


def _fields(parent: Any, *fields: tuple[str, str]) -> None:
    for name, text in fields:
        _add(parent, name, text)


def _readable(message: str) -> str:
    return message.replace(f"{{{NAMESPACE}}}", "")


def _schema_bytes(name: str) -> bytes:
    return resources.files(__package__).joinpath(*SCHEMA_DIRECTORY, name).read_bytes()


class _BundledSchemas(etree.Resolver):  # type: ignore[misc]  # lxml ships no types
    """Serves the schemas' imports from the package and nothing else (no file, no URL)."""

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        name = PurePosixPath(system_url or "").name
        if name in SCHEMA_FILES:
            return self.resolve_string(_schema_bytes(name), context)
        # An empty document, so loading fails (lxml's resolve_empty lets libxml2 go on
        # to read the file itself).
        return self.resolve_string(b"", context)


@cache
def _schema() -> tuple[etree.XMLSchema, threading.Lock]:
    """The schema, loaded once; validation goes through the lock (the error log is shared)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(_BundledSchemas())
    document = etree.fromstring(
        _schema_bytes("arkivstruktur.xsd"), parser, base_url="stafett-bundled:/arkivstruktur.xsd"
    )
    return etree.XMLSchema(document), threading.Lock()
