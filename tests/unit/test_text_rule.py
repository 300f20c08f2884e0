"""The one text rule (aggregates/text.py): what names, titles and free texts may hold."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.text import clean_free, clean_line, is_blank, visible_length


def line(value: str, *, required: bool = True) -> str:
    return clean_line("title", value, required=required, max_length=200)


def free(value: str, *, required: bool = False) -> str:
    return clean_free("text", value, required=required, max_length=10_000)


@pytest.mark.parametrize(
    "value",
    [
        "short\x00name",
        "bell\x07",
        "escape \x1b[31m red",
        "delete\x7f",
        "c1 \x85 control",
        "two\nlines",
        "tab\there",
        "line\u2028separator",
    ],
)
def test_a_one_line_text_refuses_control_characters(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        line(value)
    assert refused.value.field == "title"


@pytest.mark.parametrize("value", ["nul\x00", "escape\x1b", "vertical\x0btab", "form\x0cfeed"])
def test_a_free_text_refuses_control_characters_other_than_newline_and_tab(value: str) -> None:
    with pytest.raises(ValidationError):
        free(value)


def test_a_free_text_keeps_newlines_and_tabs_and_reads_carriage_returns_as_newlines() -> None:
    assert free("første\r\nandre\rtredje\n\tinnrykk") == "første\nandre\ntredje\n\tinnrykk"


@pytest.mark.parametrize("override", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e"])
def test_text_direction_overrides_are_refused_everywhere(override: str) -> None:
    with pytest.raises(ValidationError):
        line(f"exe.{override}gpj")
    with pytest.raises(ValidationError):
        free(f"kommentar {override}snudd")


@pytest.mark.parametrize("control", ["\u200e", "\u200f", "\u061c", "\u2066", "\u2069"])
def test_names_and_titles_refuse_every_text_direction_control(control: str) -> None:
    with pytest.raises(ValidationError):
        line(f"Navn{control}")
    assert free(f"Tekst {control}her") == f"Tekst {control}her"  # marks and isolates: allowed


@pytest.mark.parametrize(
    "value", ["", "   ", "\u200b\u200b\u200b", "\ufeff", "\u2060 \u200b", "\u3164", "\u2800"]
)
def test_blank_means_nothing_visible_once_invisible_characters_go(value: str) -> None:
    assert is_blank(value)
    with pytest.raises(ValidationError, match="must not be empty"):
        line(value)
    with pytest.raises(ValidationError):
        free(value, required=True)


def test_an_optional_invisible_text_is_stored_as_empty() -> None:
    assert free("\n\n  \t", required=False) == ""


def test_a_name_refuses_zero_width_characters_inside_it() -> None:
    with pytest.raises(ValidationError):
        line("Ola\u200bNordmann")


def test_joiners_that_scripts_and_emoji_need_are_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert line(f"Familien {family}") == f"Familien {family}"


def test_text_is_stored_in_nfc_and_trimmed() -> None:
    decomposed = "Bjo\u0308rn  "  # o + combining diaeresis
    assert line(decomposed) == "Björn"
    assert unicodedata.is_normalized("NFC", line(decomposed))


def test_norwegian_and_sami_letters_pass_unchanged() -> None:
    assert line("Æsa Øverli Ås Čearbmá Đuođđa Ŋuolla Šiellá Ŧiellu Žan") == (
        "Æsa Øverli Ås Čearbmá Đuođđa Ŋuolla Šiellá Ŧiellu Žan"
    )


def test_non_characters_are_refused() -> None:
    with pytest.raises(ValidationError):
        line("x\uffff")


def test_the_length_limit_counts_after_normalising() -> None:
    with pytest.raises(ValidationError, match="at most 3"):
        clean_line("f", "abcd", required=True, max_length=3)
    assert clean_line("f", " abc ", required=True, max_length=3) == "abc"


def test_visible_length_does_not_count_spaces_or_invisible_characters() -> None:
    assert visible_length("O\u200b \u200b") == 1
    assert visible_length("Ol") == 2


FORBIDDEN_IN_LINES = {chr(c) for c in range(0x20)} | {"\x7f", "\u202e", "\u2066", "\u200b"}


@given(st.text(max_size=60))
def test_whatever_the_one_line_rule_accepts_is_nfc_and_holds_no_forbidden_character(
    value: str,
) -> None:
    try:
        cleaned = line(value, required=False)
    except ValidationError:
        return
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not FORBIDDEN_IN_LINES & set(cleaned)
    assert line(cleaned, required=False) == cleaned  # applying it again changes nothing


@given(st.text(max_size=60))
def test_the_free_text_rule_is_idempotent_and_keeps_no_nul(value: str) -> None:
    try:
        cleaned = free(value)
    except ValidationError:
        return
    assert "\x00" not in cleaned
    assert "\u202e" not in cleaned
    assert free(cleaned) == cleaned
