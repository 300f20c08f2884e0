"""A reply's subject: "Sv: " (English "Re: ") once before the subject, within its length."""

from datetime import UTC, datetime
from uuid import UUID

import pytest

from stafett.aggregates.values import MAX_NAME_LENGTH, Message
from stafett.web import i18n
from stafett.web.pages.plan_forms import reply, reply_subject

SENDER = UUID("0b6d1f4e-2c8a-4f3e-9d17-5a2e6c9b8f10")  # fixed: ids agree across xdist workers


@pytest.mark.parametrize(
    ("subject", "replied"),
    [
        ("Møte neste uke", "Sv: Møte neste uke"),
        ("Sv: Møte neste uke", "Sv: Møte neste uke"),
        ("SV:Møte", "Sv: Møte"),
        ("Re: Sv: sv : Møte", "Sv: Møte"),
        ("Resultat: bra", "Sv: Resultat: bra"),  # "Re" of a word is no prefix
        ("Sv:", "Sv:"),
    ],
)
def test_a_reply_has_one_prefix_however_long_the_thread(subject: str, replied: str) -> None:
    with i18n.language("nb"):
        assert reply_subject(subject) == replied


def test_a_reply_in_english_says_re() -> None:
    with i18n.language("en"):
        assert reply_subject("Sv: Meeting next week") == "Re: Meeting next week"


def test_a_reply_to_the_longest_subject_keeps_within_the_limit() -> None:
    longest = "a" * (MAX_NAME_LENGTH - 1) + "z"
    with i18n.language("nb"):
        replied = reply_subject(longest)
    assert len(replied) == MAX_NAME_LENGTH
    assert replied.startswith("Sv: aaa")
    assert replied.endswith("a…")


def test_a_reply_goes_to_the_sender_only_where_the_form_may_offer_them() -> None:
    message = Message(UUID(int=1), SENDER, (), "Hei", "Tekst", datetime(2026, 3, 2, tzinfo=UTC))
    with i18n.language("nb"):
        offered = reply(message, {str(SENDER)})
        not_offered = reply(message, set())
    assert offered == {"audience": "chosen", "to": [str(SENDER)], "subject": "Sv: Hei"}
    assert not_offered == {"audience": "chosen", "to": [], "subject": "Sv: Hei"}
