"""Adding a participant: the add form as the API's `AddParticipant`, what the add page
shows, and the likely duplicates of a new person the coordinator sees before saving.

A new person whom the directory seems to hold already (the same name and birth date:
`PlanApplication.likely_duplicates`, as for a new owner on `/plans/new`) is registered
only once the coordinator has seen the matches and chosen: one of them (then that
directory person is added, with the role, responsibility and rights typed), or a new
person anyway (`MATCH` = `NEW`). The matches are shown as the directory shows them to
this coordinator (`shown_to`: nobody who restricts search, no hidden number, never a
birth date or address), and only to one who may search the directory at all; before any
lookup the application checks that they may manage this plan's group. The API does not
ask: its clients get the likely duplicates with the registration and decide themselves.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from litestar.exceptions import PermissionDeniedException

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.policy import AccountAction, Action, account_may
from stafett.aggregates.values import Rights
from stafett.applications.accounts import Principal
from stafett.applications.commands import AddParticipant
from stafett.applications.parts import PersonIn
from stafett.applications.plans import PlanApplication
from stafett.web.api.persons import PersonOut, search_directory, shown_to
from stafett.web.i18n import _
from stafett.web.pages.forms import FormError, decode
from stafett.web.pages.participant_values import SECTIONS, rights_fields, rights_values, text
from stafett.web.pages.person_edits import FLAGS, TEXTS
from stafett.web.pages.plan_parts import heading_context, may
from stafett.web.pages.refusals import said
from stafett.web.reads import PlanReads

MATCH = "match"  # after the warning: the person id of a match, or NEW
NEW = "new"  # "a new person anyway": none of the matches


@dataclass(frozen=True, slots=True)
class Matches:
    """The likely duplicates of a new person the coordinator is shown (born on `born`)."""

    persons: list[PersonOut]
    born: date | None = None


NO_MATCHES = Matches([])


def new_person_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    person: dict[str, Any] = {n: text(fields, n) for n in TEXTS if text(fields, n).strip()}
    return person | {flag: True for flag in FLAGS if flag in fields}


def addition_of(fields: Mapping[str, Any]) -> AddParticipant:
    """The add form as the API's `AddParticipant`: a person from the directory (found by a
    search, or a likely duplicate chosen instead of a new person), or a new person."""
    if text(fields, "how") == "directory":
        chosen = text(fields, "person_id")
        if not chosen:
            raise FormError({"person_id": _("Choose a person from the search result.")})
        person: dict[str, Any] = {"person_id": chosen}
    elif (match := text(fields, MATCH)) not in ("", NEW):
        try:
            person = {"person_id": str(UUID(match))}
        except ValueError:
            raise FormError({MATCH: _("Choose one of the persons, or a new person.")}) from None
    else:
        person = new_person_fields(fields)
        decode(PersonIn, person)  # names the field a new person lacks
    body: dict[str, Any] = {
        "person": person,
        "role": text(fields, "role"),
        "responsibility": text(fields, "responsibility"),
        "rights": rights_fields(fields),
        "expected_version": text(fields, "expected_version") or None,
    }
    return decode(AddParticipant, body)


def likely_duplicates(
    plans: PlanApplication,
    principal: Principal,
    plan_id: UUID,
    addition: AddParticipant,
    fields: Mapping[str, Any],
) -> Matches:
    """Whom the coordinator should see before `addition` registers a new person: none if
    it adds someone from the directory, if they confirmed a new person, or if they may not
    search the directory. Refused (403) unless they may manage the plan group."""
    details = addition.person.ref()
    if not isinstance(details, PersonDetails) or text(fields, MATCH) == NEW:
        return NO_MATCHES
    plans.authorize(plan_id, by=principal.person_id, action=Action.MANAGE)
    if not account_may(AccountAction.SEARCH_DIRECTORY, principal.roles):
        return NO_MATCHES
    return Matches(shown_to(principal, plans.likely_duplicates(details)), details.birth_date)


def add_context(
    reads: PlanReads,
    plans: PlanApplication,
    principal: Principal,
    plan_id: UUID,
    name: str | None,
    *,
    matches: Matches = NO_MATCHES,
) -> dict[str, Any]:
    """The add page: only for those who manage the plan group."""
    view = reads.plan(plan_id, principal)
    if not may(view, Action.MANAGE):
        raise PermissionDeniedException("not permitted: manage")
    may_search = account_may(AccountAction.SEARCH_DIRECTORY, principal.roles)
    found: list[PersonOut] | None = None
    search_errors: dict[str, str] = {}
    if name is not None and may_search:
        try:
            found = search_directory(plans, principal, name)
        except ValidationError as error:
            search_errors = {"name": said(error)}
    elif name is not None:
        raise PermissionDeniedException("not permitted: search the directory")
    return {
        "plan": view,
        **heading_context(plan_id, view, principal, "participants"),
        "may_search": may_search,
        "how": "directory",
        "search_name": name or "",
        "found": found,
        "in_group": {m.person_id for m in view.participants},
        "search_errors": search_errors,
        "duplicates": matches.persons,
        "born": matches.born,
        "match": MATCH,
        "values": {"role": "provider"} | rights_values(Rights()),
        "errors": {},
        "sections": SECTIONS,
        "kept": False,
    }
