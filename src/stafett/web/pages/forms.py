"""Forms: the browser's fields decoded into the same structs the JSON API decodes.

A page never has rules of its own: a form becomes the command struct (or
request struct) of the API route doing the same thing, through `msgspec.convert`
with the browser's strings read as numbers, dates and booleans. An empty field
is a field left out. What msgspec or the text rule refuses comes back as one
message per field, in the page's language (`refusals.py`), and the page is shown
again with everything the person typed (`FormError`).
"""

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any, TypeVar

import msgspec

from stafett.aggregates.errors import Refusal, ValidationError
from stafett.aggregates.values import plausible_date
from stafett.applications.codes import CodeSendsSpentError, TooManyAttemptsError
from stafett.applications.input import Body
from stafett.web.i18n import _
from stafett.web.idempotency import ONCE_FIELD
from stafett.web.pages.refusals import explain, said
from stafett.web.params import AnyRequest

T = TypeVar("T")
MAX_DATE_LENGTH = 10
FIELD_LIMIT = 1024  # how much of a text field a login, profile or admin form reads
CODE_LIMIT = 12  # how much of a one-time code field is read
NORWEGIAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class FormError(Exception):
    """Field name → message for the person; "" names the form as a whole."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


async def form_of(request: AnyRequest) -> dict[str, Any]:
    """The posted fields: one value each, a list where a name repeats (checkboxes)."""
    form = await request.form()
    fields: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        fields[key] = values if len(values) > 1 else values[0]
    return fields


def text_field(fields: Mapping[str, Any], name: str, limit: int = FIELD_LIMIT) -> str:
    """One posted text field, at most `limit` characters ("" when missing or repeated)."""
    value = fields.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def decode(
    kind: type[T], fields: Mapping[str, Any], *, drop: tuple[str, ...] = (), blanks: bool = False
) -> T:
    """`fields` as a `kind`, or `FormError` naming what is wrong. A blank field is left
    out (a plan form's "not given"), unless `blanks` (a details form's "emptied")."""
    given = {
        k: v
        for k, v in fields.items()
        if k not in ("csrf_token", ONCE_FIELD, *drop)
        and (blanks or not (isinstance(v, str) and v.strip() == ""))
    }
    try:
        return msgspec.convert(given, kind, strict=False)
    except msgspec.ValidationError as error:
        raise FormError(every_refusal(kind, given, error)) from None
    except ValidationError as error:
        raise FormError({error.field: said(error)}) from None


def every_refusal(
    kind: type[Any], given: Mapping[str, Any], first: msgspec.ValidationError
) -> dict[str, str]:
    """Every field of `given` that `kind` refuses, each with its words, so that a form says
    all that is wrong at once (msgspec stops at the first). Each field is decoded alone,
    by the same type and text rule; `first` stands too, for a rule between fields."""
    refused: dict[str, str] = {}
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        for field in msgspec.structs.fields(kind):
            name = field.encode_name
            if name not in given and not field.required:
                continue
            alone = {name: given[name]} if name in given else {}
            try:
                msgspec.convert(alone, _one_field(kind, name), strict=False)
            except msgspec.ValidationError as error:
                where, words = explain(error)
                refused.setdefault(where, words)
    where, words = explain(first)
    refused.setdefault(where, words)
    return refused


@cache
def _one_field(kind: type[msgspec.Struct], name: str) -> type[msgspec.Struct]:
    """A struct of `kind`'s field `name` alone, held to the same input rule."""
    field = next(f for f in msgspec.structs.fields(kind) if f.encode_name == name)
    bases = (Body,) if issubclass(kind, Body) else ()
    return msgspec.defstruct(f"{kind.__name__}_{name}", [(name, field.type)], bases=bases)


def new_password_of(fields: Mapping[str, Any]) -> str:
    """The new password of a form that asks for it twice; a FormError when the two differ."""
    new = text_field(fields, "new_password")
    if new != text_field(fields, "new_password_again"):
        raise FormError({"new_password_again": _("The two passwords differ. Type them again.")})
    return new


def too_many(error: TooManyAttemptsError) -> str:
    """A lockout (login, code or password attempts) in the page's language; a refused
    code send says that, not a lockout (`codes_spent`)."""
    if isinstance(error, CodeSendsSpentError):
        return codes_spent(error)
    minutes = max(1, (error.retry_after + 59) // 60)
    if minutes > 90:  # the day's budget of codes: say it in hours
        hours = (minutes + 59) // 60
        return _("Too many attempts. Try again in %(hours)s hours.") % {"hours": hours}
    return _("Too many attempts. Try again in %(minutes)s minutes.") % {"minutes": minutes}


def codes_spent(error: CodeSendsSpentError, *, new_login: bool = False) -> str:
    """No new code now (SEC-OTP-04: five in 15 minutes, twenty a day), said as it is: how
    long to wait, and whether the code the person has still works. `new_login`: said on
    the password page, where the right password led to a code that could not be sent."""
    minutes = max(1, (error.retry_after + 59) // 60)
    if minutes > 90:  # the day's budget: say it in hours
        wait = _("%(hours)s hours") % {"hours": (minutes + 59) // 60}
    else:
        wait = _("%(minutes)s minutes") % {"minutes": minutes}
    if new_login:
        return _("You have been sent many codes lately. Wait %(wait)s, then log in again.") % {
            "wait": wait
        }
    if error.code_lives:
        return _(
            "You have asked for many codes. Wait %(wait)s before you ask for a new one; the "
            "code you have got still works."
        ) % {"wait": wait}
    return _("You have asked for many codes. Wait %(wait)s before you ask for a new one.") % {
        "wait": wait
    }


def wrong_code() -> str:
    return _(
        "The code is wrong or has expired (a code lasts 5 minutes). Check it, or ask for "
        "a new code."
    )


def day_in(field: str, text: str) -> date:
    """A day typed into a form: as a date field sends it (yyyy-mm-dd), or as Norwegians
    write it (dd.mm.yyyy); `ValidationError` naming `field` if it is neither."""
    given = text.strip()[:MAX_DATE_LENGTH]
    for parse in (date.fromisoformat, _written):
        try:
            return plausible_date(field, parse(given))
        except ValueError:
            continue
    raise ValidationError(field, "not a date", Refusal.NOT_A_DATE)


def as_iso_date(text: str) -> str:
    """A day as Norwegians write it (dd.mm.yyyy) as a date field sends it (yyyy-mm-dd), for
    the decoder; any other text as it is (the decoder says what is wrong with it)."""
    value = text.strip()
    if (found := NORWEGIAN_DATE.fullmatch(value)) is not None:
        day, month, year = found.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def _written(text: str) -> date:
    """dd.mm.yyyy as a date (ValueError if it is not one)."""
    day, month, year = text.split(".")
    return date(int(year), int(month), int(day))
