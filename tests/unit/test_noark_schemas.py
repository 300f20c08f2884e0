"""Arkivverket's Noark 5 schemas ship inside the package, unchanged, and load offline."""

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from uuid import UUID, uuid5

import pytest
from lxml import etree

from stafett.archive import noark

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "standards" / "noark5-v5.0"
BUNDLED = Path(str(resources.files("stafett.archive").joinpath(*noark.SCHEMA_DIRECTORY)))
XS = "{http://www.w3.org/2001/XMLSchema}"


def test_the_bundled_schemas_are_byte_identical_to_arkivverkets() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent here (CI has it): only this comparison is skipped")
    shared = sorted(p.name for p in SHARED.iterdir())
    assert sorted(p.name for p in BUNDLED.iterdir()) == shared
    for name in shared:
        assert (BUNDLED / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_every_import_and_include_resolves_to_a_bundled_file() -> None:
    references = []
    for schema in sorted(BUNDLED.glob("*.xsd")):
        root = etree.parse(str(schema)).getroot()
        for element in root.iter(f"{XS}import", f"{XS}include", f"{XS}redefine"):
            references.append(element.get("schemaLocation"))
    assert references  # arkivstruktur.xsd and endringslogg.xsd import the catalogue
    for location in references:
        assert "/" not in location
        assert ":" not in location
        assert (BUNDLED / location).is_file(), location
    assert set(references) <= set(noark.SCHEMA_FILES)


def test_the_schema_is_read_from_the_package_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []
    original = noark._BundledSchemas.resolve

    def spy(
        self: noark._BundledSchemas, system_url: str, public_id: str, context: object
    ) -> object:
        served.append(system_url)
        return original(self, system_url, public_id, context)

    monkeypatch.setattr(noark._BundledSchemas, "resolve", spy)
    monkeypatch.chdir(tmp_path)
    noark._schema.cache_clear()
    try:
        xml = noark.arkivstruktur_xml(
            plan_id=uuid5(UUID(int=1), "plan"),
            title="Plan",
            owner_name="Ola",
            plan_type="IP",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            closed_at=None,
            sealed_at=datetime(2026, 2, 1, tzinfo=UTC),
            sealed_by="Kari",
            archive_id=UUID(int=2),
            files=[noark.ArchivedFile("record.pdf", "0" * 64, 1, "application/pdf")],
        )
        assert noark.schema_errors(xml) == []
    finally:
        noark._schema.cache_clear()
    assert [url.rsplit("/", 1)[-1] for url in served] == ["metadatakatalog.xsd"]


def test_a_schema_that_points_elsewhere_gets_nothing_from_the_resolver(tmp_path: Path) -> None:
    """Only the bundled files are served: an existing file on disk is not read either."""
    other = tmp_path / "other.xsd"
    other.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b">'
        '<xs:simpleType name="t"><xs:restriction base="xs:string"/></xs:simpleType>'
        "</xs:schema>"
    )
    schema = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:b="urn:b"'
        ' targetNamespace="urn:a">'
        f'<xs:import namespace="urn:b" schemaLocation="{other.as_uri()}"/>'
        '<xs:element name="a" type="b:t"/>'
        "</xs:schema>"
    ).encode()

    plain = etree.fromstring(schema, etree.XMLParser(no_network=True))
    etree.XMLSchema(plain)  # the control: without the resolver the import loads

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(noark._BundledSchemas())
    guarded = etree.fromstring(schema, parser, base_url="stafett-bundled:/x.xsd")
    with pytest.raises(etree.XMLSchemaParseError):
        etree.XMLSchema(guarded)
