"""A one-time code as people type it: in groups, with spaces or dashes between its digits
(`codes.typed_code`, the one place every code passes), and the words the messages with
codes and links are written in (`account_words.py`)."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from stafett.applications.account_words import LOGIN_CODE, Words, lasting, link_body
from stafett.applications.codes import totp_step, typed_code

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "compared"),
    [
        ("429115", "429115"),
        (" 429 115 ", "429115"),
        ("429-115", "429115"),
        ("429 - 115", "429115"),
        ("42 91 15", "429115"),
        ("429\u00a0115", "429115"),  # a no-break space, as phones group digits
        ("429\u2009115", "429115"),  # a thin space
        ("429\u2011115", "429115"),  # a non-breaking hyphen
        ("429\u2013115", "429115"),  # an en dash
        ("429.115", "429.115"),  # any other sign stays, and the code is wrong
        ("42911a", "42911a"),
        ("１２３４５６", ""),  # not ASCII: never a code
    ],
)
def test_spaces_and_dashes_between_the_digits_do_not_count(typed: str, compared: str) -> None:
    assert typed_code(typed) == compared


def test_an_authenticator_code_is_taken_in_groups_and_never_fails_on_other_digits() -> None:
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(NOW)
    grouped = f"{code[:3]} {code[3:]}"
    assert totp_step(secret, None, grouped, NOW) == pyotp.TOTP(secret).timecode(NOW)
    assert totp_step(secret, None, "１２３４５６", NOW) is None  # no TypeError from hmac


def test_words_are_said_in_english_when_chosen_else_in_bokmal() -> None:
    assert LOGIN_CODE.said("en", code="123456").startswith("Your one-time code")
    assert LOGIN_CODE.said("nb", code="123456").startswith("Engangskoden din")
    assert LOGIN_CODE.said(None, code="123456") == LOGIN_CODE.said("nb", code="123456")
    assert LOGIN_CODE.said("de", code="1") == LOGIN_CODE.said("nb", code="1")
    braces = Words("Brukernavnet er {a}.", "The username is {a}.")  # already filled in
    assert braces.said("nb") == "Brukernavnet er {a}."


def test_a_link_stands_alone_at_a_lines_end_and_its_lifetime_in_words() -> None:
    assert lasting(timedelta(minutes=30)) == Words("30 minutter", "30 minutes")
    assert lasting(timedelta(hours=72)) == Words("72 timer", "72 hours")
    lead, tail = Words("Hei.", "Hello."), Words("", "")
    link = "https://stafett.test/reset/abc"
    one = link_body(lead, tail, timedelta(minutes=30), link, "nb")
    assert one == f"Hei.\nLenken virker én gang i 30 minutter: {link}"
    english = link_body(lead, tail, timedelta(hours=72), link, "en")
    assert english == f"Hello.\nThe link works once, for 72 hours: {link}"
    assert link_body(lead, tail, timedelta(hours=72), link, None).endswith(f"72 timer: {link}")
