"""The create-plan form: its fields, decoded into the API's `CreatePlan`, and its messages.

The form is flat (`consent_given_on`, `owner_last_name`, ...); `command_of` nests it
the way `POST /api/v1/plans` takes its body and decodes each part with `forms.decode`,
so a wrong value is named at its own field, in every part at once. The rules stay the
plan's and the directory's: refusals they raise on creating are said by their reason
(`refusals.py`) next to the field they name (`refusal_of`).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.values import DEFAULT_CONSENT_SCOPE
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.web.i18n import _
from stafett.web.pages.forms import FormError, as_iso_date, decode
from stafett.web.pages.refusals import said

T = TypeVar("T")
CONSENT = ("given_by", "given_on", "expires_on", "scope")
OWNER = (
    "first_name",
    "last_name",
    "birth_date",
    "street_address",
    "postcode",
    "place",
    "mobile",
    "email",
)
PLAN = ("type", "short_name", "start_date", "end_date", "level", "review_on")
DATES = {
    "consent_given_on",
    "consent_expires_on",
    "owner_birth_date",
    "start_date",
    "end_date",
    "review_on",
}
CHOICE = "owner_choice"  # "new", or the person id of an existing owner
SEARCH = "owner_search"
CONFIRM = "owner_confirm_new"  # "create a new person anyway", after the duplicate warning
NEW = "new"
FIELDS = (
    *(f"consent_{n}" for n in CONSENT),
    *(f"owner_{n}" for n in OWNER),
    *PLAN,
    CHOICE,
    SEARCH,
    CONFIRM,
)
FIELD_LIMIT = 4096


@dataclass
class PlanForm:
    """What the person typed (strings, as typed) and what is wrong with it."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls, today: str) -> "PlanForm":
        return cls(
            {
                **dict.fromkeys(FIELDS, ""),
                "consent_given_on": today,
                "consent_scope": DEFAULT_CONSENT_SCOPE,
                "start_date": today,
                "type": "SL",
                CHOICE: NEW,
            }
        )

    @classmethod
    def typed(cls, fields: Mapping[str, Any]) -> "PlanForm":
        values = {}
        for name in FIELDS:
            value = fields.get(name, "")
            values[name] = value[:FIELD_LIMIT] if isinstance(value, str) else ""
        return cls(values)

    @property
    def new_owner(self) -> bool:
        return self.values[CHOICE] in ("", NEW)

    @property
    def chosen_owner(self) -> UUID | None:
        try:
            return None if self.new_owner else UUID(self.values[CHOICE])
        except ValueError:
            return None

    @property
    def confirmed_new(self) -> bool:
        return self.values[CONFIRM] == "yes"


def command_of(form: PlanForm) -> CreatePlan:
    """The form as the API's `CreatePlan`, or `FormError` naming every part that is wrong."""
    errors: dict[str, str] = {}
    consent = _part(ConsentIn, "consent_", CONSENT, form, errors)
    owner = _owner(form, errors)
    nested: dict[str, Any] = {n: _value(form, n) for n in PLAN}
    nested |= {"owner": owner or _STAND_IN_OWNER, "consent": consent or _STAND_IN_CONSENT}
    try:
        command = decode(CreatePlan, nested)
    except FormError as wrong:
        errors |= _worded(wrong.errors, form, "")
    if errors:
        raise FormError(errors)
    return command


# In place of a part already found wrong, so that the plan's own fields are checked too.
_STAND_IN_OWNER = PersonIn(person_id=UUID(int=0))
_STAND_IN_CONSENT = ConsentIn("-", date(2000, 1, 1), date(2000, 1, 2))


def _owner(form: PlanForm, errors: dict[str, str]) -> PersonIn | None:
    if form.new_owner:
        return _part(PersonIn, "owner_", OWNER, form, errors)
    chosen = form.chosen_owner
    if chosen is None:
        errors[CHOICE] = _("Choose the plan's owner, or fill in a new person.")
        return None
    return PersonIn(person_id=chosen)


def _part(
    kind: type[T], prefix: str, names: tuple[str, ...], form: PlanForm, errors: dict[str, str]
) -> T | None:
    fields = {n: v for n in names if (v := _value(form, prefix + n))}
    try:
        return decode(kind, fields)
    except FormError as wrong:
        errors |= _worded(wrong.errors, form, prefix)
        return None


def _value(form: PlanForm, name: str) -> str:
    """A typed value for decoding: dates also as Norwegians write them (dd.mm.yyyy)."""
    value = form.values[name]
    return as_iso_date(value) if name in DATES else value.strip()


def _worded(errors: Mapping[str, str], form: PlanForm, prefix: str) -> dict[str, str]:
    """Errors of one part under the form's own names; an empty field is asked for as such."""
    worded = {}
    for name, message in errors.items():
        key = next((c for c in (prefix + name, name) if name and c in form.values), "")
        worded[key] = _better(key, form) or message
    return worded


def _better(key: str, form: PlanForm) -> str | None:
    """A plainer message than the decoder's, where the typed value tells what is wrong."""
    if key in form.values and not form.values[key].strip():
        return _("Fill in this field.")
    if key in DATES and _is_iso_date(typed := _value(form, key)):
        if not _exists(typed):  # 31.02.2026: the day is not in the month
            return _("There is no such date. Check the day and the month.")
        return _("Write a date between 1900 and 2199.")
    return None


def _is_iso_date(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def _exists(iso: str) -> bool:
    try:
        date.fromisoformat(iso)
    except ValueError:
        return False
    return True


_FORM_FIELD = {
    **{n: f"consent_{n}" for n in CONSENT},
    **{n: f"owner_{n}" for n in OWNER},
    "owner": CHOICE,
}


def refusal_of(error: ValidationError) -> dict[str, str]:
    """A refusal of the plan or the directory, next to the field of the form it names."""
    name = _FORM_FIELD.get(error.field, error.field if error.field in PLAN else "")
    return {name: said(error)}


def consent_not_in_force() -> dict[str, str]:
    return {
        "consent_given_on": _(
            "A plan needs a consent in force today: given today or earlier, and not expired."
        )
    }
