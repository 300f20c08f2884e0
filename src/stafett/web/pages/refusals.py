"""What a person is told when something they typed is refused: one table.

A refusal of ours (`ValidationError`) is said by its reason (`Refusal`), never by the
wording of its English message, which is the API's and may be reworded. `SAID` gives
every reason its words (and a field its own words for a reason where the common ones
would be vague: a consent's end); a page that speaks of someone else, or to the person
about their own account, gives its own words for some reasons (`said(error, own)`).
A test holds `SAID` to every reason, so a new one cannot reach a page without words.

What msgspec refuses before our rules run (a field missing, of the wrong type or
longer than its schema allows) carries no reason: `schema_message` reads msgspec's
own messages, whose form the library fixes. A rule of ours that msgspec ran (the text
rule in `Body`) is found as the cause of msgspec's error and said by its reason.
"""

import re
from collections.abc import Callable, Mapping

import msgspec

from stafett.aggregates.errors import Refusal, ValidationError
from stafett.web.i18n import _

Words = Callable[[ValidationError], str]
Own = Mapping[Refusal | tuple[str, Refusal], Words]

_AT = re.compile(r"at `\$\.([a-z_]+)")
_MISSING = re.compile(r"missing required field `([a-z_]+)`")
_MAX = re.compile(r"length <= (\d+)")


def _count(error: ValidationError) -> dict[str, int]:
    return {"count": error.limit or 0}


SAID: Own = {
    Refusal.INVALID: lambda e: _("Check this value."),
    Refusal.EMPTY: lambda e: _("Fill in this field."),
    Refusal.TOO_LONG: lambda e: _("Too long: at most %(count)s characters.") % _count(e),
    Refusal.TOO_SHORT: lambda e: _("Too short: at least %(count)s characters.") % _count(e),
    Refusal.NOT_TEXT: lambda e: _("Contains characters that are not allowed."),
    Refusal.NOT_A_DATE: lambda e: _("Write a date as dd.mm.yyyy, or pick one."),
    Refusal.ENDS_BEFORE_START: lambda e: _("The end must be after the start."),
    ("end_date", Refusal.ENDS_BEFORE_START): lambda e: _(
        "The end date cannot be before the start date."
    ),
    ("review_on", Refusal.ENDS_BEFORE_START): lambda e: _(
        "The review date cannot be before the start date."
    ),
    ("expires_on", Refusal.ENDS_BEFORE_START): lambda e: _(
        "The consent must expire after the day it was given."
    ),
    Refusal.IN_THE_FUTURE: lambda e: _("The birth date cannot be in the future."),
    Refusal.TOO_FAR_AHEAD: lambda e: _("The consent cannot be given more than a year ahead."),
    Refusal.TOO_LONG_AGO: lambda e: _(
        "The consent must have been given within the last two years."
    ),
    Refusal.PASSED: lambda e: _("This date has passed. The consent must still be in force."),
    Refusal.LASTS_TOO_LONG: lambda e: _("A consent lasts at most five years."),
    Refusal.OWNER_IS_COORDINATOR: lambda e: _(
        "You will be the plan's coordinator, so you cannot also be its owner."
    ),
    Refusal.NOT_IN_DIRECTORY: lambda e: _("This person is no longer in the directory."),
    Refusal.EMAIL_FORMAT: lambda e: _("Write an e-mail address, such as navn@example.no."),
    Refusal.PHONE_FORMAT: lambda e: _(
        "Write a Norwegian number of 8 digits, or + and the country code first."
    ),
    Refusal.USERNAME_FORMAT: lambda e: _("Write one word without spaces, at most 64 characters."),
    Refusal.USERNAME_TAKEN: lambda e: _("The username is taken. Choose another."),
    Refusal.NO_RECIPIENT: lambda e: _("Choose at least one other participant."),
    Refusal.CANNOT_READ: lambda e: _(
        "This participant may not read this part of the plan, so it would never reach them."
    ),
    ("to", Refusal.CANNOT_READ): lambda e: _(
        "One of those chosen may not read messages in this plan. Choose others, or ask "
        "the coordinator to change their rights."
    ),
    ("responsible_participant_id", Refusal.CANNOT_READ): lambda e: _(
        "The one chosen may not see the activities in this plan. Choose another, or ask "
        "the coordinator to change their rights."
    ),
    Refusal.NEEDS_MOBILE_FOR_SMS: lambda e: _(
        "Codes by SMS need a mobile number. Add it to the details, or choose e-mail."
    ),
    Refusal.NEEDS_EMAIL_FOR_EMAIL_CODES: lambda e: _(
        "Codes by e-mail need an e-mail address. Add it to the details, or choose SMS."
    ),
    Refusal.NEEDS_MOBILE_OR_EMAIL: lambda e: _("Give a mobile number or an e-mail address."),
    Refusal.EMAIL_CODES_WITH_MOBILE: lambda e: _(
        "E-mail codes are for people without a mobile number. With a mobile number, the "
        "codes come by SMS or from an authenticator app."
    ),
    Refusal.MOBILE_NOT_CONFIRMED: lambda e: _(
        "Confirm your mobile number first (under “Confirm your mobile number”): until "
        "then no code by SMS can reach you."
    ),
    Refusal.TOO_COMMON: lambda e: _("This password is too easy to guess. Add a word or two."),
    Refusal.EASY_TO_GUESS: lambda e: _("This password is too easy to guess. Add a word or two."),
    Refusal.NAMES_YOU: lambda e: _(
        "Do not use your name, your username or the name of the service."
    ),
    Refusal.SAME_AS_BEFORE: lambda e: _("Choose a password different from the one you have."),
    Refusal.PHOTO_FORMAT: lambda e: _(
        "The file is not a photo we can use. Choose a JPEG, PNG or WebP image."
    ),
    Refusal.PHOTO_TOO_LARGE: lambda e: _("The photo is too large. Choose one of at most 5 MB."),
    Refusal.PHOTO_TOO_MANY_PIXELS: lambda e: _(
        "The photo has too many pixels. Choose one of at most 25 megapixels."
    ),
    Refusal.PHOTO_BROKEN: lambda e: _(
        "The photo is damaged or incomplete and cannot be read. Choose another file."
    ),
}

# A new password's refusals, on the pages that set one.
PASSWORD: Own = {
    Refusal.TOO_SHORT: lambda e: _(
        "Use at least 12 characters; a few unusual words make a good password."
    ),
}


def said(error: ValidationError, own: Own | None = None) -> str:
    """The refusal in the page's language: the page's own words for the field and reason,
    or for the reason; else the common words, for the field and reason or the reason."""
    for table in (own or {}, SAID):
        words = table.get((error.field, error.reason)) or table.get(error.reason)
        if words is not None:
            return words(error)
    raise AssertionError(f"no words for {error.reason}")  # a test holds SAID to every reason


def explain(error: msgspec.ValidationError, own: Own | None = None) -> tuple[str, str]:
    """(field, words) for what msgspec refused while decoding a form: a rule of ours that
    it ran, by its reason; else msgspec's own message ("" when it names no field)."""
    cause = error.__cause__
    if isinstance(cause, ValidationError):
        return cause.field, said(cause, own)
    message = str(error)
    for pattern in (_MISSING, _AT):
        found = pattern.search(message)
        if found is not None:
            return found.group(1), schema_message(message)
    return "", schema_message(message)


def schema_message(message: str) -> str:
    """msgspec's refusal of a value's type or size, in the person's language."""
    if "missing required field" in message or "length >= 1" in message:
        return _("Fill in this field.")
    if (longest := _MAX.search(message)) is not None:
        return _("Too long: at most %(count)s characters.") % {"count": longest.group(1)}
    if "date" in message.lower() or "Invalid RFC3339" in message:
        return _("Write a date as dd.mm.yyyy, or pick one.")
    if "Expected `int`," in message:  # not a number ("Expected `int` <= 3": out of range)
        return _("Write a whole number.")
    if "matching regex" in message and "at `$.username`" in message:  # applications/logins.py
        return _("Write one word without spaces, at most 64 characters.")
    return _("Check this value.")
