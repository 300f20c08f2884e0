"""A person in the municipality's directory, and the rules for their details.

Persons are not event-sourced (see docs/decisions/0002-person-directory-table.md):
their details are personal data that must be erasable, so they live in a mutable
table with a change log that names changed fields but never their values.

Some details are the person's across plans: anyone who finds the name in the
directory, and everyone in a plan group the person is in, sees them
(`SHARED_FIELDS`; a number the person hid shows as no number). The rest (birth date,
address, the visibility choices) is seen only by the person and by those who may edit
their details; what someone does in one plan (role, responsibility) is the plan's.
"""

import re
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from stafett.aggregates.errors import ConflictingValueError, Refusal, ValidationError
from stafett.aggregates.text import clean_line, line_refusals
from stafett.aggregates.values import MAX_NAME_LENGTH, clean_name, plausible_date

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NORWEGIAN_MOBILE = re.compile(r"^(\+47)?[0-9]{8}$")
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
MAX_EMAIL_LENGTH = 254
# The same rules as JSON Schema patterns, for the OpenAPI schema (`applications/parts.py`):
# empty, or an address (no white space, one "@", a dot after it); a number as
# `_phone` reads it, with spaces or hyphens between the digits.
_ADDRESS_PART = rf"[^@\s{line_refusals()}]+"
EMAIL_PATTERN = rf"^(?:{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART})?$"
_DIGIT = "[0-9][ -]*"
PHONE_PATTERN = (
    rf"^[ -]*(?:(?:\+[ -]*4[ -]*7[ -]*)?(?:{_DIGIT}){{8}}|\+[ -]*[1-9][ -]*(?:{_DIGIT}){{7,14}})?$"
)


@dataclass(frozen=True, slots=True)
class PersonDetails:
    """Everything the directory holds about a person; `*` fields are required."""

    first_name: str
    last_name: str
    birth_date: date | None = None
    workplace: str = ""
    position: str = ""
    email: str = ""
    mobile: str = ""
    phone: str = ""
    fax: str = ""
    street_address: str = ""
    postcode: str = ""
    place: str = ""
    hide_phone: bool = False
    hide_mobile: bool = False
    restrict_search: bool = False

    def validated(self, *, today: date) -> "PersonDetails":
        """The same details, trimmed, or a ValidationError naming the bad field."""
        if self.birth_date is not None and self.birth_date > today:
            raise ConflictingValueError(
                "birth_date", "must not be in the future", Refusal.IN_THE_FUTURE
            )
        if self.birth_date is not None:
            plausible_date("birth_date", self.birth_date)
        email = clean_line("email", self.email, required=False, max_length=MAX_EMAIL_LENGTH)
        if email and (len(email) > MAX_EMAIL_LENGTH or not EMAIL.match(email)):
            raise ValidationError("email", "is not a valid e-mail address", Refusal.EMAIL_FORMAT)
        mobile = _phone("mobile", self.mobile)
        phone = _phone("phone", self.phone)
        fax = _phone("fax", self.fax)
        return replace(
            self,
            first_name=clean_name("first_name", self.first_name),
            last_name=clean_name("last_name", self.last_name),
            email=email,
            mobile=mobile,
            phone=phone,
            fax=fax,
            workplace=_short("workplace", self.workplace),
            position=_short("position", self.position),
            street_address=_short("street_address", self.street_address),
            postcode=_short("postcode", self.postcode),
            place=_short("place", self.place),
        )


# Seen across plans by everyone who sees the person (phone and mobile unless hidden).
SHARED_FIELDS = (
    "first_name",
    "last_name",
    "workplace",
    "position",
    "email",
    "mobile",
    "phone",
    "fax",
)


@dataclass(frozen=True, slots=True)
class Person:
    person_id: UUID
    details: PersonDetails

    @property
    def full_name(self) -> str:
        return f"{self.details.first_name} {self.details.last_name}"

    def seen_by_others(self) -> PersonDetails:
        """The details as anyone but the person sees them: a hidden number is no number
        (an empty string, so a hidden number cannot be told from a missing one)."""
        d = self.details
        return replace(
            d, phone="" if d.hide_phone else d.phone, mobile="" if d.hide_mobile else d.mobile
        )


def _short(field: str, value: str) -> str:
    return clean_line(field, value, required=False, max_length=MAX_NAME_LENGTH)


def _phone(field: str, value: str) -> str:
    number = re.sub(r"[\s-]", "", value)
    if number and not (NORWEGIAN_MOBILE.match(number) or E164.match(number)):
        raise ValidationError(
            field, "must be +47 and 8 digits, or an E.164 number", Refusal.PHONE_FORMAT
        )
    if NORWEGIAN_MOBILE.match(number) and not number.startswith("+"):
        number = "+47" + number
    return number
