"""The person's own words in a password (SEC-PWP-03): refused where a word of the
password begins with them, not where they happen to stand inside another word.

A parent with the username "anne" chose "blå hest spiser pannekaker" and was told not to
use her name: the check looked for "anne" anywhere, and found it in "pannekaker".
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stafett.aggregates.errors import ValidationError
from stafett.applications.passwords import check_password

ANNE = ("anne", "Anne", "Hansen")


@pytest.mark.parametrize(
    "password", ["blå hest spiser pannekaker", "Johansens hage er grønn", "Kvernstafetten går fort"]
)
def test_a_name_inside_another_word_is_not_the_name(password: str) -> None:
    assert check_password(password, context=ANNE) == password


@pytest.mark.parametrize(
    "password",
    [
        "anne spiser pannekaker",
        "Anne2026 spiser grøt",
        "2026anne spiser grøt",
        "grøt til Hansens hund",  # the genitive begins with the name
        "hansen-familien på tur",
        "stafettene går i ring",
    ],
)
def test_a_word_that_begins_with_the_name_is_refused(password: str) -> None:
    with pytest.raises(ValidationError, match="must not contain your name"):
        check_password(password, context=ANNE)


@given(
    name=st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå", min_size=4, max_size=12),
    suffix=st.integers(min_value=0, max_value=99_999_999),
)
def test_every_context_word_with_a_numeric_suffix_is_refused(name: str, suffix: int) -> None:
    """SEC-PWP-03's table test, for any name: the word, then digits."""
    with pytest.raises(ValidationError, match=r"must not contain|too common"):
        check_password(f"{name}{suffix:08d}", context=(name,))
