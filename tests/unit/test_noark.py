"""Noark 5 metadata (archive/noark.py): valid against Arkivverket's schema for any input.

The oracle for "what text survives" is XML 1.0's Char production, written out here
rather than taken from the module; validation is lxml against the bundled XSDs.
"""

import hashlib
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from stafett.archive import noark
from stafett.archive.noark import ArchivedFile, arkivstruktur_xml, schema_errors

NS = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
PLAN_ID = UUID("5f0c2d5e-7f4b-4a43-9d0a-1f6c8f1f2a10")
ARCHIVE_ID = UUID("0b7e4d1c-2b55-4f7e-8a53-6b1f3f0c9d21")
SAMI_AND_NORWEGIAN = "æøåÆØÅčđŋšŧžČĐŊŠŦŽáÁ"
MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200d"
FORBIDDEN = "\x00\x01\x08\x0b\x0c\x0e\x1b\x1f\ufffe\uffff\ud800\udfff"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


FILES = (
    ArchivedFile("events.jsonl", sha(b"events"), 5120, "application/jsonl"),
    ArchivedFile("record.json", sha(b"record"), 2048, "application/json"),
    ArchivedFile("record.pdf", sha(b"pdf"), 81234, "application/pdf"),
    ArchivedFile("access-log.jsonl", sha(b"log"), 0, "application/jsonl"),
)


def build(**changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "plan_id": PLAN_ID,
        "title": "Stafettlogg for Áile Ŋuolja",
        "owner_name": "Áile Ŋuolja",
        "plan_type": "SL",
        "created_at": datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
        "closed_at": datetime(2026, 6, 20, 14, 0, tzinfo=UTC),
        "sealed_at": datetime(2026, 6, 20, 14, 0, 1, tzinfo=UTC),
        "sealed_by": "Kari Koordinator",
        "archive_id": ARCHIVE_ID,
        "files": FILES,
    }
    arguments.update(changes)
    return arkivstruktur_xml(**arguments)


def parse(xml: bytes) -> Any:
    return etree.fromstring(xml)


def texts(root: Any, path: str) -> list[str]:
    return [element.text for element in root.xpath(path, namespaces=NS)]


def xml_char(ch: str) -> bool:
    """XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."""
    cp = ord(ch)
    return (
        ch in "\t\n\r"
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


def kept(text: str, fallback: str) -> str:
    left = "".join(ch for ch in text if xml_char(ch))
    return left if left.strip() else fallback


def instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{value.microsecond:06d}Z" if value.microsecond else "Z"
    )


# --- hypothesis: any input gives a valid document ------------------------------------

any_text = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=()),  # surrogates and controls included
        st.sampled_from(SAMI_AND_NORWEGIAN + MARKS + FORBIDDEN),
    ),
    max_size=40,
)
zones = st.sampled_from(
    [UTC, ZoneInfo("Europe/Oslo"), timezone(timedelta(hours=-11)), timezone(timedelta(hours=14))]
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30), timezones=zones
)
file_names = st.one_of(
    st.sampled_from(["record.pdf", "record.json", "events.jsonl", "access-log.jsonl"]),
    st.text(
        alphabet=st.one_of(st.characters(categories=["L", "N"]), st.sampled_from("-_.")),
        min_size=1,
        max_size=24,
    ),
)
mime_types = st.sampled_from(
    [
        "application/pdf",
        "application/json",
        "application/jsonl",
        "application/xml",
        "text/plain; charset=utf-8",
        "application/octet-stream",
    ]
)
archived_files = st.builds(
    ArchivedFile,
    name=file_names,
    sha256=st.binary(max_size=64).map(sha),
    size=st.integers(min_value=0, max_value=2**45),
    mime_type=mime_types,
)


@given(
    title=any_text,
    owner_name=any_text,
    sealed_by=any_text,
    plan_type=st.one_of(st.sampled_from(["SL", "IP"]), any_text),
    created_at=instants,
    closed_at=st.none() | instants,
    sealed_at=instants,
    plan_id=st.uuids(),
    archive_id=st.uuids(),
    files=st.lists(archived_files, min_size=1, max_size=8, unique_by=lambda f: f.name),
)
def test_any_plan_gives_a_document_the_schema_accepts(  # noqa: PLR0917 - one per @given
    title: str,
    owner_name: str,
    sealed_by: str,
    plan_type: str,
    created_at: datetime,
    closed_at: datetime | None,
    sealed_at: datetime,
    plan_id: UUID,
    archive_id: UUID,
    files: list[ArchivedFile],
) -> None:
    xml = arkivstruktur_xml(
        plan_id=plan_id,
        title=title,
        owner_name=owner_name,
        plan_type=plan_type,
        created_at=created_at,
        closed_at=closed_at,
        sealed_at=sealed_at,
        sealed_by=sealed_by,
        archive_id=archive_id,
        files=files,
    )
    assert schema_errors(xml) == []
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    xml.decode("utf-8")  # strict UTF-8
    assert all(xml_char(ch) for ch in xml.decode("utf-8"))

    root = parse(xml)
    label = {"SL": "Stafettlogg", "IP": "Individuell plan"}.get(plan_type) or kept(
        plan_type, "Plan"
    )
    assert texts(root, "//n:mappe/n:tittel") == [kept(title, label)]
    assert texts(root, "//n:mappe/n:mappeID") == [str(plan_id)]
    assert texts(root, "//n:part/n:partNavn") == [kept(owner_name, "Ukjent")]
    assert set(texts(root, "//n:opprettetAv | //n:avsluttetAv | //n:arkivertAv")) <= {
        kept(sealed_by, "Stafett"),
        "Stafett",
    }
    assert texts(root, "//n:mappe/n:opprettetDato") == [instant(created_at)]
    assert texts(root, "//n:mappe/n:avsluttetDato") == [instant(closed_at or sealed_at)]
    assert texts(root, "/n:arkiv/n:avsluttetDato") == [instant(sealed_at)]

    objects = root.xpath("//n:dokumentobjekt", namespaces=NS)
    assert len(objects) == len(files)
    by_name = {
        o.findtext("n:referanseDokumentfil", namespaces=NS): {
            field: o.findtext(f"n:{field}", namespaces=NS)
            for field in ("sjekksum", "sjekksumAlgoritme", "filstoerrelse", "formatDetaljer")
        }
        for o in objects
    }
    assert by_name == {
        f.name: {
            "sjekksum": f.sha256,
            "sjekksumAlgoritme": "SHA-256",
            "filstoerrelse": str(f.size),
            "formatDetaljer": f.mime_type,
        }
        for f in files
    }
    system_ids = texts(root, "//n:systemID")
    assert len(set(system_ids)) == len(system_ids) == 4 + 2 * len(files)


# --- the structure -------------------------------------------------------------------


def test_the_structure_runs_from_arkiv_to_one_dokumentobjekt_per_file() -> None:
    root = parse(build())
    path = "/n:arkiv/n:arkivdel/n:mappe/n:registrering/n:dokumentbeskrivelse/n:dokumentobjekt"
    assert len(root.xpath(path, namespaces=NS)) == len(FILES)
    assert texts(root, "/n:arkiv/n:arkivstatus") == ["Avsluttet"]
    assert texts(root, "//n:arkivdel/n:arkivdelstatus") == ["Avsluttet periode"]
    assert set(texts(root, "//n:dokumentstatus")) == {"Dokumentet er ferdigstilt"}
    assert set(texts(root, "//n:variantformat")) == {"Arkivformat"}
    assert set(texts(root, "//n:versjonsnummer")) == {"1"}
    assert texts(root, "//n:mappe/n:referanseArkivdel") == texts(root, "//n:arkivdel/n:systemID")
    assert texts(root, "//n:registrering/n:registreringsID") == [str(ARCHIVE_ID)]


def test_the_pdf_is_the_main_document_and_the_rest_are_attachments_in_order() -> None:
    root = parse(build())
    documents = root.xpath("//n:dokumentbeskrivelse", namespaces=NS)
    rows = [
        (
            d.findtext("n:dokumentnummer", namespaces=NS),
            d.findtext("n:tilknyttetRegistreringSom", namespaces=NS),
            d.findtext("n:dokumentobjekt/n:referanseDokumentfil", namespaces=NS),
        )
        for d in documents
    ]
    assert rows == [
        ("1", "Hoveddokument", "record.pdf"),
        ("2", "Vedlegg", "events.jsonl"),
        ("3", "Vedlegg", "record.json"),
        ("4", "Vedlegg", "access-log.jsonl"),
    ]


def test_without_a_pdf_the_first_file_is_the_main_document() -> None:
    root = parse(build(files=FILES[:2]))
    assert texts(root, "//n:tilknyttetRegistreringSom") == ["Hoveddokument", "Vedlegg"]
    assert texts(root, "//n:referanseDokumentfil") == ["events.jsonl", "record.json"]


def test_formats_are_pronom_codes_and_unknown_ones_say_so() -> None:
    root = parse(build())
    formats = dict(
        zip(texts(root, "//n:referanseDokumentfil"), texts(root, "//n:format"), strict=True)
    )
    assert formats == {
        "record.pdf": "av/0",
        "events.jsonl": "av/0",
        "record.json": "fmt/817",
        "access-log.jsonl": "av/0",
    }
    assert noark.format_code("Text/Plain; charset=UTF-8") == "x-fmt/111"


def test_an_open_plan_is_closed_in_the_record_at_the_sealing() -> None:
    sealed_at = datetime(2026, 3, 3, 10, 0, 0, 250_000, tzinfo=ZoneInfo("Europe/Oslo"))
    root = parse(build(closed_at=None, sealed_at=sealed_at))
    assert texts(root, "//n:mappe/n:avsluttetDato") == ["2026-03-03T09:00:00.250000Z"]
    assert "åpen" in texts(root, "//n:mappe/n:beskrivelse")[0]
    closed = parse(build())
    assert texts(closed, "//n:mappe/n:avsluttetDato") == ["2026-06-20T14:00:00Z"]
    assert "avsluttet" in texts(closed, "//n:mappe/n:beskrivelse")[0]


def test_the_plan_is_marked_confidential_and_its_public_title_names_no_one() -> None:
    root = parse(build())
    assert texts(root, "//n:mappe/n:skjerming/n:tilgangsrestriksjon") == ["Unntatt offentlighet"]
    assert texts(root, "//n:mappe/n:offentligTittel") == ["******"]
    assert texts(root, "//n:part/n:partRolle") == ["Klient"]


# --- escaping and forbidden characters ------------------------------------------------


def test_markup_in_names_is_escaped_not_interpreted() -> None:
    title = "</tittel><tittel>x</tittel> & \"quotes\" 'apos' ]]> <!-- c -->"
    xml = build(title=title, owner_name="<part>Ola & Kari</part>")
    assert schema_errors(xml) == []
    root = parse(xml)
    assert texts(root, "//n:mappe/n:tittel") == [title]
    assert texts(root, "//n:partNavn") == ["<part>Ola & Kari</part>"]


def test_characters_xml_cannot_hold_are_removed_and_the_rest_kept() -> None:
    xml = build(title="Plan\x00 for\x1b Čđŋ\ufffe\u202eš\x0b", owner_name="\x00\x01\x02")
    assert schema_errors(xml) == []
    root = parse(xml)
    assert texts(root, "//n:mappe/n:tittel") == ["Plan for Čđŋ\u202eš"]
    assert texts(root, "//n:partNavn") == ["Ukjent"]  # nothing was left of the name
    assert b"\x00" not in xml
    assert b"\x1b" not in xml


def test_a_blank_title_falls_back_to_the_plan_type() -> None:
    root = parse(build(title=" \t\x00 ", plan_type="IP"))
    assert texts(root, "//n:mappe/n:tittel") == ["Individuell plan"]


# --- determinism ---------------------------------------------------------------------


def test_the_same_input_gives_the_same_bytes() -> None:
    assert build() == build()
    assert build(files=list(FILES)) == build(files=tuple(FILES))


def test_another_record_of_the_same_plan_has_its_own_system_ids() -> None:
    first = texts(parse(build()), "//n:systemID")
    second = texts(parse(build(archive_id=uuid4())), "//n:systemID")
    assert not set(first) & set(second)


# --- refused input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"created_at": datetime(2026, 1, 5)},  # naive
        {"closed_at": datetime(2026, 6, 20)},
        {"sealed_at": datetime(2026, 6, 20)},
        {"files": ()},
        {"files": (FILES[0], FILES[0])},
        {"files": (replace(FILES[0], sha256=FILES[0].sha256.upper()),)},
        {"files": (replace(FILES[0], sha256="abc"),)},
        {"files": (replace(FILES[0], size=-1),)},
        {"files": (replace(FILES[0], name=""),)},
        {"files": (replace(FILES[0], name="a\x00b"),)},
        {"files": (replace(FILES[0], mime_type=" "),)},
    ],
)
def test_input_no_record_can_have_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        build(**changes)


# --- schema_errors catches what is wrong ---------------------------------------------


def mutate(edit: Any) -> bytes:
    root = parse(build())
    edit(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def first(root: Any, path: str) -> Any:
    return root.xpath(path, namespaces=NS)[0]


def remove(path: str) -> Any:
    def edit(root: Any) -> None:
        element = first(root, path)
        element.getparent().remove(element)

    return edit


def set_text(path: str, value: str) -> Any:
    def edit(root: Any) -> None:
        first(root, path).text = value

    return edit


def swap_first_two(root: Any) -> None:
    system_id, tittel = root[0], root[1]
    root.remove(tittel)
    root.insert(0, tittel)
    assert root[1] is system_id


@pytest.mark.parametrize(
    ("edit", "mentions"),
    [
        (remove("//n:mappe/n:tittel"), "tittel"),
        (remove("//n:dokumentobjekt/n:sjekksum"), "sjekksumAlgoritme"),
        (remove("//n:dokumentobjekt/n:sjekksumAlgoritme"), "filstoerrelse"),
        (remove("//n:dokumentbeskrivelse/n:tilknyttetRegistreringSom"), "dokumentnummer"),
        (remove("/n:arkiv/n:arkivskaper"), "arkivdel"),
        (swap_first_two, "tittel"),
        (set_text("//n:dokumentobjekt/n:sjekksumAlgoritme", ""), "sjekksumAlgoritme"),
        (set_text("//n:dokumentobjekt/n:filstoerrelse", "-1"), "filstoerrelse"),
        (set_text("//n:dokumentobjekt/n:filstoerrelse", "12 kB"), "filstoerrelse"),
        (set_text("//n:mappe/n:systemID", "not-a-uuid"), "systemID"),
        (set_text("//n:mappe/n:opprettetDato", "2026-13-01T00:00:00Z"), "opprettetDato"),
        (set_text("//n:dokumentbeskrivelse/n:dokumentnummer", "én"), "dokumentnummer"),
    ],
)
def test_schema_errors_names_what_is_wrong(edit: Any, mentions: str) -> None:
    errors = schema_errors(mutate(edit))
    assert errors
    assert any(mentions in error for error in errors), errors
    assert all(error.startswith("line ") for error in errors)


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"<arkiv",
        b"\xff\xfe\x00garbage",
        b"<?xml version='1.0' encoding='UTF-8'?><arkiv>\xc3\x28</arkiv>",
        b"<arkiv xmlns='http://www.arkivverket.no/standarder/noark5/arkivstruktur'/>",
        b"<other/>",
        b"<a>&undefined;</a>",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;">]><a>&y;</a>',
        b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><a/>',
    ],
)
def test_schema_errors_reports_bytes_that_are_no_arkivstruktur(xml: bytes) -> None:
    errors = schema_errors(xml)
    assert errors
    assert all(isinstance(error, str) and error for error in errors)


@given(st.binary(max_size=300))
def test_schema_errors_never_raises_on_any_bytes(data: bytes) -> None:
    assert schema_errors(data)  # no random bytes are a valid extract


@given(st.data())
def test_removing_any_element_never_raises_and_mandatory_ones_are_missed(
    data: st.DataObject,
) -> None:
    root = parse(build())
    elements = list(root.iter())[1:]
    victim = data.draw(st.sampled_from(elements))
    name = etree.QName(victim).localname
    victim.getparent().remove(victim)
    errors = schema_errors(bytes(etree.tostring(root)))
    optional = {  # minOccurs="0" in arkivstruktur.xsd (skjermingMetadata: one of two)
        "arkivstatus",
        "beskrivelse",
        "dokumentmedium",
        "offentligTittel",
        "noekkelord",
        "referanseArkivdel",
        "part",
        "skjerming",
        "skjermingMetadata",
        "skjermingDokument",
        "registreringsID",
        "formatDetaljer",
        "mappe",
        "registrering",
        "dokumentbeskrivelse",
        "dokumentobjekt",
    }
    if name not in optional:
        assert errors, f"removing {name} went unnoticed"


def test_validation_is_safe_from_several_threads() -> None:
    valid = build()
    invalid = mutate(remove("//n:mappe/n:tittel"))
    results: list[tuple[bool, bool]] = []

    def work() -> None:
        for _ in range(20):
            results.append((schema_errors(valid) == [], schema_errors(invalid) != []))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [(True, True)] * 80
