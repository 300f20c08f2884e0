"""What `record.pdf` shows of a text from the plan or the directory (decision 0017).

`shown` is applied to every such text before it is laid out:

- control characters, text-direction embeddings and overrides, lone surrogates and
  non-characters become a visible `[U+XXXX]`, so that what a reader sees is what was
  stored and nothing acts on the layout;
- so does every character the record's fonts have no glyph for (an emoji, Arabic,
  Chinese): PDF/A allows no missing glyph, and Typst refuses to write one;
- a run of more than `LONG_RUN` characters with nowhere to break a line gets a
  zero-width space every `RUN_STEP` characters, so that it wraps in its column
  instead of running off the page.

The fonts are Inter's regular and bold (`FONT_FILES`), which `make install` unpacks
into `archive/fonts/`; which letters they have is read from their `cmap` with fontTools.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).parent / "fonts"
FONT_FILES = ("Inter-Regular.ttf", "Inter-Bold.ttf")

# What a reader must see rather than have act on the text: C0/C1 controls (newline and
# tab excepted), bidirectional embeddings and overrides, lone surrogates, non-characters.
_NOT_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff\ufffe\uffff]")
# A run of more than LONG_RUN characters with nowhere to break a line (no space, hyphen,
# slash, closing bracket or zero-width space) gets a zero-width space every RUN_STEP
# characters, as CSS's `overflow-wrap: anywhere`; the lookbehind makes the search start
# only where a run does.
LONG_RUN = 30
RUN_STEP = 15
_RUN_CHAR = "[^\\s\u200b/\\]-]"
_LONG_RUN = re.compile(f"(?<!{_RUN_CHAR}){_RUN_CHAR}{{{LONG_RUN + 1},}}")
_ZWSP = "\u200b"


class FontsMissingError(RuntimeError):
    """The record's fonts are not installed beside the package (`make install` copies them)."""


def require_fonts(font_dir: Path) -> None:
    if not all((font_dir / name).is_file() for name in FONT_FILES):
        raise FontsMissingError(
            f"record.pdf needs the Inter fonts in {font_dir}; run `make install`"
        )


@dataclass(frozen=True, slots=True)
class _Drawable:
    """What the fonts can draw: as a set (the quick test) and as a pattern of the rest."""

    characters: frozenset[str]
    others: re.Pattern[str]


@cache
def _drawable(font_dir: Path) -> _Drawable:
    require_fonts(font_dir)
    codes = set.intersection(*(_code_points(font_dir / name) for name in FONT_FILES))
    codes |= {ord("\n"), ord("\t")}  # free text keeps its line breaks and tabs
    characters = frozenset(chr(code) for code in codes if not _NOT_TEXT.match(chr(code)))
    ranges: list[list[int]] = []
    for code in sorted(map(ord, characters)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    allowed = "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in ranges)
    return _Drawable(characters, re.compile(f"[^{allowed}]"))


def _code_points(path: Path) -> set[int]:
    font = TTFont(path, lazy=True)
    try:
        return set(font.getBestCmap())
    finally:
        font.close()


def _code_point(match: re.Match[str]) -> str:
    return f"[U+{ord(match.group()):04X}]"


def _breakable(run: re.Match[str]) -> str:
    """`run` with a zero-width space every RUN_STEP characters, never before a mark."""
    out: list[str] = []
    since = 0
    for ch in run.group():
        joins = unicodedata.category(ch).startswith("M") or ch in "\u200c\u200d"
        if since >= RUN_STEP and not joins and not ("\ufe00" <= ch <= "\ufe0f"):
            out.append(_ZWSP)
            since = 0
        out.append(ch)
        since += 1
    return "".join(out)


def shown(text: str) -> str:
    """`text` as the record shows it: every character that is not text, or that Inter has
    no glyph for, as a visible `[U+XXXX]`; long unbroken runs able to wrap."""
    return _shown(text, FONT_DIR)


@lru_cache(maxsize=4096)  # a timeline repeats its names and summaries thousands of times
def _shown(text: str, font_dir: Path) -> str:
    drawable = _drawable(font_dir)
    if not drawable.characters.issuperset(text):
        text = drawable.others.sub(_code_point, text)
    if len(text) > LONG_RUN:
        text = _LONG_RUN.sub(_breakable, text)
    return text
