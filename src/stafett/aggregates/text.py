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

import unicodedata

from stafett.aggregates.errors import ValidationError

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
    """Why `text` (already NFC) breaks the rule, or None."""
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
            raise ValidationError(field, "must not be empty")
        return ""
    refusal = _refusal(text, one_line=one_line)
    if refusal is not None:
        raise ValidationError(field, refusal)
    text = text.strip()
    if len(text) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return text


def clean_line(field: str, value: str, *, required: bool, max_length: int) -> str:
    """A one-line text (name, title, place), normalised; or a ValidationError naming `field`."""
    return _check(field, value, one_line=True, required=required, max_length=max_length)


def clean_free(field: str, value: str, *, required: bool, max_length: int) -> str:
    """A free text (comment, description, notes), normalised; or a ValidationError."""
    return _check(field, value, one_line=False, required=required, max_length=max_length)
