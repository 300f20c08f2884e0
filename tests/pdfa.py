"""What makes a PDF from `record.typ` PDF/A-2, checked with pypdf: the XMP declaration,
the sRGB OutputIntent and every font embedded (Inter only); and what makes the export
readable by assistive technology (PDF/UA-1: tagged, its language and title, headings and
tables in its structure; decision 0057). The sealed record's tests and the export's use
the same checks."""

import re
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject


def assert_declares_pdfa_2b(reader: PdfReader, created: str, level: str = "B") -> None:
    """The XMP says PDF/A-2 at `level` (B; A: with the document's structure tagged) and
    the creation instant `created`; the document has an sRGB output intent with its ICC
    profile."""
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data().decode()
    part = re.search(r"pdfaid:part(?:>|=\")(\d)", raw)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")([A-Z])", raw)
    assert part is not None
    assert part.group(1) == "2"
    assert conformance is not None
    assert conformance.group(1) == level
    assert f"<xmp:CreateDate>{created}</xmp:CreateDate>" in raw
    root = reader.trailer["/Root"]
    assert isinstance(root, DictionaryObject)
    intents = root["/OutputIntents"]
    assert isinstance(intents, ArrayObject)
    assert len(intents) >= 1
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert "sRGB" in intent["/OutputCondition"]
    profile = intent["/DestOutputProfile"].get_object()
    icc = profile.get_data()
    assert profile["/N"] == 3
    assert icc[36:40] == b"acsp"  # an ICC profile
    assert icc[16:20] == b"RGB "  # of an RGB colour space
    assert "sRGB".encode("utf-16-be") in icc  # its description (a v4 `mluc` tag) says sRGB


def _fonts(resources: DictionaryObject | None, seen: set[int]) -> Iterator[DictionaryObject]:
    """Every font of a page's resources, form XObjects included."""
    if resources is None:
        return
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        obj = xobject.get_object()
        if obj.get("/Subtype") == "/Form" and id(obj) not in seen:
            seen.add(id(obj))
            yield from _fonts(obj.get("/Resources"), seen)


def assert_fonts_embedded_and_inter(reader: PdfReader) -> None:
    """Every font of every page is embedded, and each is Inter."""
    names = set()
    seen: set[int] = set()
    for page in reader.pages:
        for font in _fonts(page.get("/Resources"), seen):
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described["/FontDescriptor"].get_object()
            assert isinstance(descriptor, DictionaryObject)
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), (
                font["/BaseFont"]
            )
            names.add(str(font["/BaseFont"]).split("+")[-1])
    assert names
    assert all(name.startswith("Inter") for name in names), names


def structure_roles(reader: PdfReader) -> list[str]:
    """The roles of the structure tree's elements, depth first (`/H1`, `/Table`, ...)."""
    roles: list[str] = []

    def walk(element: object) -> None:
        element = getattr(element, "get_object", lambda: element)()
        if isinstance(element, DictionaryObject):
            if "/S" in element:
                roles.append(str(element["/S"]))
            kids = element.get("/K")
            if kids is not None:
                walk(kids)
        elif isinstance(element, list):
            for kid in element:
                walk(kid)

    root = reader.trailer["/Root"]
    assert isinstance(root, DictionaryObject)
    walk(root["/StructTreeRoot"])
    return roles


def assert_tagged_for_assistive_technology(reader: PdfReader, language: str) -> list[str]:
    """PDF/UA-1 as declared and as built: the XMP's `pdfuaid:part` 1, a tagged document
    (`/MarkInfo /Marked`), its language, its title shown as the window's title, and a
    structure tree; answers the tree's roles."""
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data().decode()
    part = re.search(r"pdfuaid:part(?:>|=\")(\d)", raw)
    assert part is not None
    assert part.group(1) == "1"
    root = reader.trailer["/Root"]
    assert isinstance(root, DictionaryObject)
    mark_info = root["/MarkInfo"]
    assert isinstance(mark_info, DictionaryObject)
    assert mark_info["/Marked"] == BooleanObject(True)
    assert str(root["/Lang"]) == language
    viewer_preferences = root["/ViewerPreferences"]
    assert isinstance(viewer_preferences, DictionaryObject)
    assert viewer_preferences["/DisplayDocTitle"] == BooleanObject(True)
    assert reader.metadata is not None
    assert reader.metadata.title
    return structure_roles(reader)
