"""A person details form changes only what was edited in it (decision 0037).

The details form is filled in from the directory and sent whole. The coordinator (on
the participant page) and the person (on My profile) may have it open at the same
time, and a form opened before the other's save would put the other's old values
back. So each form carries what it showed (the hidden field `shown`); a save names
only the fields edited since. A field that someone else changed meanwhile and this
form edited too is a clash: nothing is saved, and the form comes back with what is
stored now, what was typed in the edited fields, and a message at each clash.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import msgspec

from stafett.aggregates.person import PersonDetails
from stafett.web.i18n import _

SHOWN = "shown"
# The yes/no details are checkboxes; the rest (birth date too) are text fields.
FLAGS = ("hide_phone", "hide_mobile", "restrict_search")
TEXTS = tuple(f.name for f in fields(PersonDetails) if f.name not in FLAGS)

FormValue = str | bool


def form_values(details: PersonDetails) -> dict[str, FormValue]:
    """The details as the form shows them: text, the birth date as YYYY-MM-DD, ticks."""
    values: dict[str, FormValue] = {name: getattr(details, name) for name in (*TEXTS, *FLAGS)}
    values["birth_date"] = details.birth_date.isoformat() if details.birth_date else ""
    return values


def typed_values(form: Mapping[str, Any]) -> dict[str, FormValue]:
    """The details as the form sent them (an unticked box is not sent)."""
    values: dict[str, FormValue] = {name: _text(form, name) for name in TEXTS}
    return values | {name: name in form for name in FLAGS}


def shown_field(details: PersonDetails) -> str:
    """The value of the hidden `shown` field of a form filled in from `details`."""
    return msgspec.json.encode(form_values(details)).decode()


@dataclass(frozen=True, slots=True)
class Edits:
    """What a sent details form edited, and where that meets someone else's change."""

    edited: frozenset[str]
    clashes: dict[str, FormValue]  # field → what is stored now
    refill: dict[str, FormValue]  # the form to show again: stored now, edits as typed
    shown: str  # its hidden field: from the same read as `refill`, so the two agree

    def messages(self, labels: Mapping[str, Callable[[], str]] | None = None) -> dict[str, str]:
        """A message at each clash, naming the field as the form labels it (`labels`, by
        default the participant page's) and saying what is stored now."""
        named = LABELS if labels is None else labels
        return {name: _clash_message(named[name](), value) for name, value in self.clashes.items()}


def edits_of(form: Mapping[str, Any], stored: PersonDetails) -> Edits:
    """The fields `form` edited since it was filled in, against what is `stored` now.

    A form without a readable `shown` field (sent by hand) edits every field that
    differs from what is stored, as every form did before it carried one.
    """
    typed = typed_values(form)
    now = form_values(stored)
    shown = _shown_in(form) or now
    edited = frozenset(name for name, value in typed.items() if value != shown[name])
    clashes = {
        name: now[name] for name in edited if now[name] != shown[name] and typed[name] != now[name]
    }
    refill = now | {name: typed[name] for name in edited}
    return Edits(edited, clashes, refill, shown_field(stored))


def _shown_in(form: Mapping[str, Any]) -> dict[str, FormValue] | None:
    raw = form.get(SHOWN)
    if not isinstance(raw, str) or not raw:
        return None
    try:
        shown = msgspec.json.decode(raw, type=dict[str, FormValue])
    except msgspec.DecodeError:
        return None
    if set(shown) != {*TEXTS, *FLAGS}:
        return None
    if any(isinstance(shown[n], bool) for n in TEXTS) or any(
        not isinstance(shown[n], bool) for n in FLAGS
    ):
        return None
    return shown


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


# The fields' names as the participant page labels them, for the messages.
LABELS: dict[str, Callable[[], str]] = {
    "first_name": lambda: _("First name"),
    "last_name": lambda: _("Last name"),
    "birth_date": lambda: _("Birth date"),
    "workplace": lambda: _("Workplace"),
    "position": lambda: _("Position"),
    "email": lambda: _("E-mail"),
    "mobile": lambda: _("Mobile"),
    "phone": lambda: _("Phone"),
    "fax": lambda: _("Fax"),
    "street_address": lambda: _("Street"),
    "postcode": lambda: _("Postcode"),
    "place": lambda: _("Place"),
    "hide_phone": lambda: _("Hide the phone number from others"),
    "hide_mobile": lambda: _("Hide the mobile number from others"),
    "restrict_search": lambda: _("Restrict search: others do not find the person in the directory"),
}


def _clash_message(label: str, now: FormValue) -> str:
    """What someone else did to the field `label` meanwhile (its stored value `now`), and
    what to do."""
    if isinstance(now, bool):
        return _(
            "Someone else changed “%(field)s” while you were writing. Check it, and save "
            "again if your choice is the right one."
        ) % {"field": label}
    if not now:
        return _(
            "Someone else emptied “%(field)s” while you were writing. Your text is kept "
            "here: save again to use it."
        ) % {"field": label}
    return _(
        "Someone else changed “%(field)s” while you were writing; it is now “%(value)s”. "
        "Your text is kept here: save again to use it."
    ) % {"field": label, "value": now}
