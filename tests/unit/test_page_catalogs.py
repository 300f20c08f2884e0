"""Every page string has its bokmål translation, with the same placeholders."""

from stafett.web import i18n
from tests.page_strings import bokmal, disagreements, extracted, placeholders


def test_every_page_string_is_translated_to_bokmal() -> None:
    known = bokmal()
    missing = [
        f"{msgid!r} ({where[0]})"
        for msgid, where in sorted(extracted().items())
        if not known.get(msgid, ("", False, None))[0] or known[msgid][1]
    ]
    assert not missing, "no bokmål for:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_their_string() -> None:
    broken = [
        msgid
        for msgid, (text, _fuzzy, _path) in bokmal().items()
        if text and placeholders(text) != placeholders(msgid)
    ]
    assert not broken


def test_the_pages_speak_bokmal_by_default_and_english_on_request() -> None:
    assert i18n.current_language() == "nb"
    assert i18n.gettext("Log out") == "Logg ut"
    with i18n.language("en"):
        assert i18n.gettext("Log out") == "Log out"
    assert i18n.chosen("de") == "nb"


def test_the_extraction_finds_strings_in_templates_and_code() -> None:
    found = extracted()
    assert any("templates/" in where for places in found.values() for where in places)
    assert any(where.startswith("pages/") for places in found.values() for where in places)


def test_catalogs_that_share_a_string_translate_it_alike() -> None:
    assert disagreements() == []


def test_every_bokmal_entry_is_a_string_a_page_uses() -> None:
    """A string a page stopped using leaves the catalogs with it, so a catalog never holds
    words (and their translations) nobody reads or keeps up."""
    used = extracted()
    stale = [
        f"{msgid!r} ({path.name})"
        for msgid, (_t, _f, path) in bokmal().items()
        if msgid not in used
    ]
    assert not stale, "not used by any page:\n" + "\n".join(sorted(stale))
