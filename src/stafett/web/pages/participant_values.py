"""The values of the participant forms: what the pages show in them, and what was typed.

The details form and the add form share the person's fields (`person_edits.py`), the
rights matrix (a radio per section, a box per flag) and the responsibility.
"""

from collections.abc import Mapping
from typing import Any

from stafett.aggregates.person import Person
from stafett.aggregates.values import Rights, Section
from stafett.applications.parts import RightsIn
from stafett.applications.permitted import MemberOut
from stafett.web.pages.person_edits import FLAGS, form_values

SECTIONS = tuple(s.value for s in Section)
RIGHT_FLAGS = ("print", "edit_person")


def text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    return value if isinstance(value, str) else ""


def rights_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The rights matrix of a form (`rights.<section>` radios, `rights.<flag>` boxes)."""
    chosen: dict[str, Any] = {s: text(fields, f"rights.{s}") for s in SECTIONS}
    chosen |= {flag: f"rights.{flag}" in fields for flag in RIGHT_FLAGS}
    return chosen


RIGHT_NAMES = frozenset(f"rights.{name}" for name in (*SECTIONS, *RIGHT_FLAGS))


def typed(fields: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """What the person typed, to show again; unticked boxes as unticked."""
    values: dict[str, Any] = {
        k: v for k, v in fields.items() if k != "csrf_token" and isinstance(v, str)
    }
    for flag in FLAGS:
        if flag in current or "first_name" in fields:
            values[flag] = flag in fields
    if f"rights.{SECTIONS[0]}" in fields:
        values |= {f"rights.{flag}": f"rights.{flag}" in fields for flag in RIGHT_FLAGS}
    return values


def current_values(member: MemberOut, person: Person | None) -> dict[str, Any]:
    values: dict[str, Any] = {"responsibility": member.responsibility, "role": member.role.value}
    if person is not None:
        values |= form_values(person.details)
    if isinstance(member.rights, Rights):
        values |= rights_values(member.rights)
    return values


def rights_values(rights: Rights) -> dict[str, Any]:
    shown = RightsIn.of(rights)
    values: dict[str, Any] = {f"rights.{s}": getattr(shown, s).value for s in SECTIONS}
    return values | {f"rights.{flag}": getattr(shown, flag) for flag in RIGHT_FLAGS}
