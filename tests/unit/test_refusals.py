"""Refusals are said by their reason, never by the wording of their message.

The rules name why they refuse a value (`Refusal`); the pages choose their words by
that reason from one table (`web/pages/refusals.py`), so rewording an English message
for the API cannot change, or silently lose, what a person is told.
"""

from collections.abc import Callable
from datetime import date, timedelta

import msgspec
import pytest

from stafett.aggregates.errors import COUNTED, Refusal, ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.text import clean_line
from stafett.applications.codes import OtpChannel
from stafett.applications.own_account import check_reachable
from stafett.applications.parts import PersonChange
from stafett.applications.passwords import MAX_LENGTH, MIN_LENGTH, check_password
from stafett.applications.photo_encoding import MAX_PHOTO_BYTES, reencode
from stafett.web import i18n
from stafett.web.pages.refusals import PASSWORD, SAID, Own, explain, said

TODAY = date(2026, 12, 7)
TOMORROW = TODAY + timedelta(days=1)
GOOD = "blå fjell og grønne daler om våren"
SMS, EMAIL = OtpChannel.SMS, OtpChannel.EMAIL


def test_every_reason_has_words_on_the_pages() -> None:
    assert {key for key in SAID if isinstance(key, Refusal)} == set(Refusal)


@pytest.mark.parametrize("reason", list(Refusal))
def test_the_words_follow_the_reason_whatever_the_message_says(reason: Refusal) -> None:
    limit = 12 if reason in COUNTED else None
    plain = ValidationError("mobile", "is refused", reason, limit=limit)
    # words the pages once looked for in messages, now meaning nothing to them
    misleading = ValidationError(
        "mobile",
        "at least, at most, differ, name, taken, pixels, E.164, future",
        reason,
        limit=limit,
    )
    assert said(plain) == said(misleading)
    assert said(plain, PASSWORD) == said(misleading, PASSWORD)


def test_the_pages_tell_the_reasons_apart() -> None:
    """Reasons a person can meet on one form do not share their words (the passwords'
    two kinds of "too easy" excepted: the advice is the same)."""
    words: dict[str, list[Refusal]] = {}
    for reason in Refusal:
        limit = 3 if reason in COUNTED else None
        words.setdefault(said(ValidationError("f", "x", reason, limit=limit)), []).append(reason)
    shared = [reasons for reasons in words.values() if len(reasons) > 1]
    assert shared == [[Refusal.TOO_COMMON, Refusal.EASY_TO_GUESS]]


def test_a_length_refusal_names_its_limit_and_no_other_does() -> None:
    """The words for a length say the number, so a rule cannot leave it out (nor give one
    that nothing would say)."""
    with pytest.raises(TypeError):
        ValidationError("title", "is too long", Refusal.TOO_LONG)
    with pytest.raises(TypeError):
        ValidationError("title", "is empty", Refusal.EMPTY, limit=3)
    with i18n.language("en"):
        words = said(ValidationError("title", "x", Refusal.TOO_LONG, limit=200))
    assert words == "Too long: at most 200 characters."


def test_a_page_can_say_a_reason_in_its_own_words_for_one_field() -> None:
    own: Own = {("to", Refusal.ENDS_BEFORE_START): lambda e: "the period's words"}
    assert said(ValidationError("to", "x", Refusal.ENDS_BEFORE_START), own) == "the period's words"
    other_field = ValidationError("ends_at", "x", Refusal.ENDS_BEFORE_START)
    assert said(other_field, own) == said(other_field)


def test_a_consent_that_ends_before_it_is_given_is_said_in_its_own_words() -> None:
    """The common words for an end before its start, and a field's own, on every page
    (the new plan's form and the manage page's renewal alike)."""
    with i18n.language("en"):
        consent = said(ValidationError("expires_on", "x", Refusal.ENDS_BEFORE_START))
        calendar = said(ValidationError("ends_at", "x", Refusal.ENDS_BEFORE_START))
    assert consent == "The consent must expire after the day it was given."
    assert calendar == "The end must be after the start."


def refused(make: Callable[[], object]) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        make()
    return raised.value


def details(**given: object) -> PersonDetails:
    fields: dict[str, object] = {"first_name": "Kari", "last_name": "Nordmann"} | given
    return PersonDetails(**fields)  # type: ignore[arg-type]


CASES: list[tuple[Callable[[], object], str, Refusal, int | None]] = [
    (lambda: clean_line("title", "  ", required=True, max_length=9), "title", Refusal.EMPTY, None),
    (
        lambda: clean_line("title", "a\u202eb", required=True, max_length=9),
        "title",
        Refusal.NOT_TEXT,
        None,
    ),
    (
        lambda: clean_line("title", "x" * 10, required=True, max_length=9),
        "title",
        Refusal.TOO_LONG,
        9,
    ),
    (lambda: details(mobile="12").validated(today=TODAY), "mobile", Refusal.PHONE_FORMAT, None),
    (lambda: details(email="kari@").validated(today=TODAY), "email", Refusal.EMAIL_FORMAT, None),
    (
        lambda: details(birth_date=TOMORROW).validated(today=TODAY),
        "birth_date",
        Refusal.IN_THE_FUTURE,
        None,
    ),
    (
        lambda: check_reachable(SMS, details(email="k@example.no")),
        "mobile",
        Refusal.NEEDS_MOBILE_FOR_SMS,
        None,
    ),
    (
        lambda: check_reachable(EMAIL, details(mobile="+4791234567")),
        "email",
        Refusal.NEEDS_EMAIL_FOR_EMAIL_CODES,
        None,
    ),
    (lambda: check_password("kort", context=()), "password", Refusal.TOO_SHORT, MIN_LENGTH),
    (
        lambda: check_password("ord " * MAX_LENGTH, context=()),
        "password",
        Refusal.TOO_LONG,
        MAX_LENGTH,
    ),
    (
        lambda: check_password("kari nordmann er glad", context=("Kari",)),
        "password",
        Refusal.NAMES_YOU,
        None,
    ),
    (
        lambda: check_password(GOOD, context=(), is_current=lambda _: True),
        "password",
        Refusal.SAME_AS_BEFORE,
        None,
    ),
    (lambda: reencode(b"\0" * (MAX_PHOTO_BYTES + 1)), "photo", Refusal.PHOTO_TOO_LARGE, None),
    (lambda: reencode(b"not an image at all"), "photo", Refusal.PHOTO_FORMAT, None),
]


@pytest.mark.parametrize(("make", "field", "reason", "limit"), CASES)
def test_the_rules_name_their_reason(
    make: Callable[[], object], field: str, reason: Refusal, limit: int | None
) -> None:
    error = refused(make)
    assert (error.field, error.reason, error.limit) == (field, reason, limit)


def test_a_rule_run_while_msgspec_decodes_is_said_by_its_reason() -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert({"first_name": "Ka\u202eri"}, PersonChange)
    with i18n.language("nb"):
        assert explain(raised.value) == (
            "first_name",
            i18n.gettext("Contains characters that are not allowed."),
        )


def test_what_msgspec_refuses_itself_is_said_from_its_own_message() -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert({"first_name": "x" * 1000}, PersonChange)
    with i18n.language("en"):
        field, words = explain(raised.value)
    assert field == "first_name"
    assert words.startswith("Too long: at most ")
