"""The text rule as a regular expression (the OpenAPI schema's `pattern`) says what the
rule itself says: a text matches exactly when `clean_line` / `clean_free` take it."""

import re
import sys
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.person import EMAIL, EMAIL_PATTERN, PHONE_PATTERN, _phone
from stafett.aggregates.text import (
    BLANK_LOOKING,
    FORMAT_RANGES,
    SPACE_RANGES,
    SUSPECT,
    clean_free,
    clean_line,
    refusal_of_each,
    text_pattern,
    word_pattern,
)
from stafett.applications.input import has_controls

ANY = range(0x110000)


def ranges(chars: list[int]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for point in chars:
        if out and out[-1][1] == point - 1:
            out[-1] = (out[-1][0], point)
        else:
            out.append((point, point))
    return tuple(out)


def test_the_character_tables_are_this_pythons_unicode() -> None:
    assert ranges([p for p in ANY if unicodedata.category(chr(p)) == "Cf"]) == FORMAT_RANGES
    assert ranges([p for p in ANY if chr(p).isspace()]) == SPACE_RANGES


def test_the_quick_screen_finds_every_character_the_rule_refuses() -> None:
    """A text the screen passes is never read character by character: so every code point
    the rule refuses, in one-line or free text, must be one the screen finds."""
    refused = [
        p
        for p in ANY
        if refusal_of_each(chr(p), one_line=True) or refusal_of_each(chr(p), one_line=False)
    ]
    assert refused  # the rule refuses something: controls, surrogates, bidi overrides …
    assert [p for p in refused if SUSPECT.search(chr(p)) is None] == []


def takes(clean: object, text: str, *, required: bool) -> bool:
    try:
        clean("f", text, required=required, max_length=10_000)  # type: ignore[operator]
    except ValidationError:
        return False
    return True


# Texts from everywhere in Unicode but the surrogates (which JSON text cannot hold and
# the pattern leaves out), with the rule's corner cases mixed in.
TRICKY = "\n\t\r \u00ad\u200b\u200c\u200d\u202e\u2066\u2028\u3164\ufeff\x00\x85\ufffe"
texts = st.text(st.characters(exclude_categories=["Cs"]) | st.sampled_from(TRICKY), max_size=12)


@given(texts)
@example("")
@example("   ")
@example("a\u200db")
@example("\u200b")
@example("ok\n")
def test_the_patterns_take_what_the_rule_takes(text: str) -> None:
    for one_line, clean in ((True, clean_line), (False, clean_free)):
        for required in (True, False):
            pattern = text_pattern(one_line=one_line, required=required)
            matches = re.fullmatch(pattern.removeprefix("^").removesuffix("$"), text)
            assert (matches is not None) == takes(clean, text, required=required), (
                one_line,
                required,
                ascii(text),
            )


@given(st.text(st.sampled_from("ab@. -+0123456789\u00e5\u200b"), max_size=14))
@example("kari@example.no")
@example("+47 912 34 567")
def test_the_email_and_phone_patterns_take_what_the_rules_take(text: str) -> None:
    email = re.fullmatch(EMAIL_PATTERN.removeprefix("^").removesuffix("$"), text) is not None
    line_ok = takes(clean_line, text, required=False)
    stripped = text.strip()
    assert email == (line_ok and stripped == text and (text == "" or bool(EMAIL.match(text))))
    phone = re.fullmatch(PHONE_PATTERN.removeprefix("^").removesuffix("$"), text) is not None
    try:
        _phone("mobile", text)
        phone_ok = True
    except ValidationError:
        phone_ok = False
    if phone:
        assert phone_ok, ascii(text)


def test_the_edge_finds_control_characters_and_surrogates_as_unicode_names_them() -> None:
    """`has_controls` (paths and query keys) is one search: it must agree with Unicode's
    categories Cc and Cs on every code point."""
    disagree = [
        point
        for point in range(sys.maxunicode + 1)
        if has_controls(chr(point)) != (unicodedata.category(chr(point)) in ("Cc", "Cs"))
    ]
    assert disagree == []
    assert has_controls("/plans/\x00")
    assert not has_controls("/plans/Åse")


@given(texts)
@example(" kari ")
@example("to ord")
@example("\u00a0kari")
@example("ka\u2800ri")
@example("kari\u200b")
@example("0\t\x0b\r \n\x0c\r")
def test_the_word_pattern_is_a_line_that_is_one_visible_word(text: str) -> None:
    """A username: what the one-line rule takes, trimmed, with no space and nothing
    invisible inside (nothing blank-looking, no format character)."""
    word = re.fullmatch(word_pattern().removeprefix("^").removesuffix("$"), text) is not None
    inner = text.strip()
    invisible = {chr(c) for lo, hi in (*SPACE_RANGES, *FORMAT_RANGES) for c in range(lo, hi + 1)}
    one_word = bool(inner) and not any(c in invisible or c in BLANK_LOOKING for c in inner)
    expected = takes(clean_line, text, required=True) and one_word
    assert word == expected, ascii(text)
