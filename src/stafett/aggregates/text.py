"""The one text rule: what a name, a title or a free text may hold (decision 0011).

Every text a person types passes through `clean_line` (names, titles, short
fields: one line) or `clean_free` (comments, descriptions, minutes: newlines
and tabs allowed). The web edge applies the same functions to every body field
and query value before a handler runs, and the plan and the directory apply them
again in their commands, so the CLI and the demo follow the same rule.

Both normalise to Unicode NFC and refuse:

- control characters (category Cc), except newline and tab in free text; a
  carriage return is read as a newline there;
- surrogates (which no UTF-8 encoder writes) and the non-characters U+FFFE/U+FFFF;
- bidirectional embedding and override controls (U+202A–U+202E), which can make
  a text read differently from how it is stored; one-line texts refuse every
  bidirectional control (the isolates and marks too) and every other invisible
  format character except the joiners that some scripts and emoji need.

"Blank" means nothing left after removing white space and invisible characters,
so a title of zero-width spaces is as empty as "".
"""

import re
import unicodedata

from stafett.aggregates.errors import Refusal, ValidationError

# Bidirectional controls: marks, embeddings and overrides, isolates.
BIDI_MARKS = frozenset("\u061c\u200e\u200f")
BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e")
BIDI_ISOLATES = frozenset("\u2066\u2067\u2068\u2069")
BIDI_CONTROLS = BIDI_MARKS | BIDI_OVERRIDES | BIDI_ISOLATES
# Zero-width joiner and non-joiner: needed inside words of some scripts and emoji.
JOINERS = frozenset("\u200c\u200d")
# Characters that show nothing but are not white space or category Cf.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
NON_CHARACTERS = frozenset("\ufffe\uffff")


def _invisible(ch: str) -> bool:
    return ch.isspace() or ch in BLANK_LOOKING or unicodedata.category(ch) == "Cf"


def is_blank(text: str) -> bool:
    """True when nothing visible is left once white space and invisible characters go."""
    return all(_invisible(ch) for ch in text)


def visible_length(text: str) -> int:
    """How many characters of `text` show: white space and invisible characters do not."""
    return sum(not _invisible(ch) for ch in text)


def _refusal(text: str, *, one_line: bool) -> str | None:
    """Why `text` (already NFC) breaks the rule, or None.

    Most texts hold none of the characters the rule looks at: one regular-expression
    search (`SUSPECT`, in C) says so; only a text that holds one is read character by
    character, which decides."""
    if SUSPECT.search(text) is None:
        return None
    return refusal_of_each(text, one_line=one_line)


def refusal_of_each(text: str, *, one_line: bool) -> str | None:
    """The rule itself: why `text` breaks it, read character by character, or None."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs" or ch in NON_CHARACTERS:
            return "contains characters that are not text"
        if category == "Cc" and (one_line or ch not in "\n\t"):
            return "must not contain control characters"
        if ch in BIDI_OVERRIDES or (one_line and ch in BIDI_CONTROLS):
            return "must not contain text-direction controls"
        if one_line and ch in ("\u2028", "\u2029"):
            return "must be one line"
        if one_line and category == "Cf" and ch not in JOINERS:
            return "must not contain invisible characters"
    return None


def _check(field: str, value: str, *, one_line: bool, required: bool, max_length: int) -> str:
    text = unicodedata.normalize("NFC", value)
    if not one_line:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_blank(text):
        if required:
            raise ValidationError(field, "must not be empty", Refusal.EMPTY)
        return ""
    refusal = _refusal(text, one_line=one_line)
    if refusal is not None:
        raise ValidationError(field, refusal, Refusal.NOT_TEXT)
    text = text.strip()
    if len(text) > max_length:
        raise ValidationError(
            field,
            f"must be at most {max_length} characters",
            Refusal.TOO_LONG,
            limit=max_length,
        )
    return text


def clean_line(field: str, value: str, *, required: bool, max_length: int) -> str:
    """A one-line text (name, title, place), normalised; or a ValidationError naming `field`."""
    return _check(field, value, one_line=True, required=required, max_length=max_length)


def clean_free(field: str, value: str, *, required: bool, max_length: int) -> str:
    """A free text (comment, description, notes), normalised; or a ValidationError."""
    return _check(field, value, one_line=False, required=required, max_length=max_length)


# ------------------------------------------------ the rule as a regular expression
# For the OpenAPI schema (`applications/input.py`, `web/contract.py`): what the rule
# above lets through, so that a client (or a fuzzer) can tell a text we take from
# one we refuse. The character ranges are Unicode 14.0's (Python 3.11); a unit test
# keeps them equal to what `unicodedata` says.

FORMAT_RANGES = (  # category Cf
    (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
SPACE_RANGES = (  # str.isspace()
    (0x9, 0xD), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
    (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
CONTROL_RANGES = ((0x0, 0x1F), (0x7F, 0x9F))  # category Cc
LINE_BREAKS = "\u2028\u2029"  # refused in one line, as the control characters are
# What makes a text blank: spaces, characters that look blank, and format characters.
INVISIBLE = (SPACE_RANGES, tuple((ord(c), ord(c)) for c in sorted(BLANK_LOOKING)), FORMAT_RANGES)
# Surrogates (category Cs) are refused as well, but left out of the patterns: the regex
# engines of JSON Schema validators cannot name them (no UTF-8 text holds one).


def _ranges(chars: frozenset[str]) -> tuple[tuple[int, int], ...]:
    return tuple((ord(ch), ord(ch)) for ch in sorted(chars))


def _without(ranges: tuple[tuple[int, int], ...], chars: str) -> tuple[tuple[int, int], ...]:
    """`ranges` with the code points of `chars` taken out."""
    points = sorted({p for lo, hi in ranges for p in range(lo, hi + 1)} - {ord(c) for c in chars})
    merged: list[tuple[int, int]] = []
    for point in points:
        if merged and merged[-1][1] == point - 1:
            merged[-1] = (merged[-1][0], point)
        else:
            merged.append((point, point))
    return tuple(merged)


def _escape(point: int) -> str:
    """A code point inside a character class: escaped in the BMP, itself above it
    (`\\U` is Python's, `\\u{}` ECMAScript's; the character means the same to both)."""
    return f"\\u{point:04x}" if point <= 0xFFFF else chr(point)


def _class(*groups: tuple[tuple[int, int], ...]) -> str:
    return "".join(
        _escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}"
        for group in groups
        for lo, hi in group
    )


def line_refusals() -> str:
    """The characters a one-line text refuses, as the inside of a character class."""
    return _class(
        _without(CONTROL_RANGES, ""),
        _ranges(NON_CHARACTERS | BIDI_CONTROLS),
        ((0x2028, 0x2029),),
        _without(FORMAT_RANGES, "".join(JOINERS)),
    )


def text_pattern(*, one_line: bool, required: bool) -> str:
    """The rule as a regular expression (JSON Schema `pattern`) for a text field.

    Length limits are the schema's own `maxLength` (counted after trimming); `^…$` as
    JSON Schema reads it (ECMA-262: `$` only at the very end)."""
    refused = _refused(one_line=one_line)
    allowed = f"[^{_class(*refused)}]"
    if not required:  # a blank text is taken as "", whatever it is made of
        return f"^(?:[{_class(*INVISIBLE)}]*|{allowed}*)$"
    visible = f"[^{_class(*refused, *INVISIBLE)}]"
    return f"^{allowed}*{visible}{allowed}*$"


def word_pattern() -> str:
    """One word (a username): visible characters of the one-line rule, none of them a
    space or invisible, with only spaces around it (which are trimmed). The account
    service checks a username with this same expression."""
    visible = f"[^{_class(*_refused(one_line=True), *INVISIBLE)}]"
    controls = "".join(chr(p) for lo, hi in CONTROL_RANGES for p in range(lo, hi + 1))
    around = f"[{_class(_without(SPACE_RANGES, controls + LINE_BREAKS))}]"
    return f"^{around}*{visible}+{around}*$"


def _refused(*, one_line: bool) -> list[tuple[tuple[int, int], ...]]:
    """The code points the rule refuses in a text, as ranges."""
    allowed_controls = "" if one_line else "\n\t\r"
    refused = [
        _without(CONTROL_RANGES, allowed_controls),
        _ranges(NON_CHARACTERS),
        _ranges(BIDI_OVERRIDES),
    ]
    if one_line:
        refused += [
            _ranges(BIDI_CONTROLS),
            ((0x2028, 0x2029),),
            _without(FORMAT_RANGES, "".join(JOINERS)),
        ]
    return refused


SUSPECT = re.compile(
    "["
    + _class(
        CONTROL_RANGES,
        ((0xD800, 0xDFFF),),  # surrogates
        _ranges(NON_CHARACTERS),
        ((0x2028, 0x2029),),
        FORMAT_RANGES,  # the bidirectional controls among them
    )
    + "]"
)
"""Every character `_refusal` could refuse, in either kind of text (a unit test checks
each code point): a text without one passes without being read character by character."""


def secret_pattern() -> str:
    """A password or code: anything but control characters (`applications/input.py`)."""
    return f"^[^{_class(CONTROL_RANGES)}]+$"
