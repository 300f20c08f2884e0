"""The person directory (product item 9): find anyone in the municipality by name.

Only those who add people to plans search it: coordinators and organisation
administrators (`Policy.SEARCH_DIRECTORY`, a row of the policy table). Anyone
else gets 403 before the search runs, whatever the name, so they learn nothing,
not even whether a name exists. A search needs two visible characters.

Only fields that are visible across plans are answered (`PersonDetails.shared`): name,
workplace, position, e-mail, fax, and phone and mobile unless the person hid them (an
empty string then, the same as no number, so a hidden number cannot be told from a
missing one). Birth date
and address are never answered, nor which plans a person is in or any role or
responsibility there. People who chose "restrict search" are left out, except from
their own searches. The search text is personal data and is not logged.
"""

from collections.abc import Iterable
from typing import Annotated
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, get
from litestar.params import QueryParameter

from stafett.aggregates.errors import Refusal, ValidationError
from stafett.aggregates.person import SHARED_FIELDS, Person
from stafett.aggregates.text import visible_length
from stafett.applications.accounts import Principal
from stafett.applications.plans import PlanApplication
from stafett.web.auth import Policy, policy
from stafett.web.params import LoggedIn, Plans

MIN_NAME_LENGTH = 2
MAX_NAME_LENGTH = 100
MAX_RESULTS = 50
log = structlog.get_logger(__name__)


class PersonOut(msgspec.Struct):
    person_id: UUID
    first_name: str
    last_name: str
    workplace: str
    position: str
    email: str
    phone: str
    mobile: str
    fax: str = ""


def directory_entry(person: Person) -> PersonOut:
    """The person's fields that are visible across plans (`SHARED_FIELDS`), as others see them."""
    seen = person.seen_by_others()
    return PersonOut(person.person_id, **{name: getattr(seen, name) for name in SHARED_FIELDS})


class PersonController(Controller):
    path = "/api/v1/persons"
    tags = ["directory"]  # noqa: RUF012
    opt = policy(Policy.SEARCH_DIRECTORY)

    @get("", sync_to_thread=True)
    def search(
        self,
        *,
        plans: Plans,
        principal: LoggedIn,
        name: Annotated[
            str, QueryParameter(min_length=MIN_NAME_LENGTH, max_length=MAX_NAME_LENGTH)
        ],
    ) -> list[PersonOut]:
        """People whose name contains every word of `name`, by last name; at most 50."""
        return search_directory(plans, principal, name)


def search_directory(plans: PlanApplication, principal: Principal, name: str) -> list[PersonOut]:
    """The directory search of this route and of the pages that add people (the caller
    holds `Policy.SEARCH_DIRECTORY`); the search text is not logged."""
    if visible_length(name) < MIN_NAME_LENGTH:
        raise ValidationError(
            "name",
            f"needs {MIN_NAME_LENGTH} visible characters or more",
            Refusal.TOO_SHORT,
            limit=MIN_NAME_LENGTH,
        )
    found = shown_to(principal, plans.find_persons(name))[:MAX_RESULTS]
    log.info("person_search", actor=str(principal.person_id), results=len(found))
    return found


def shown_to(principal: Principal, persons: Iterable[Person]) -> list[PersonOut]:
    """What the directory shows of `persons`: their cross-plan fields, and nobody who chose
    "restrict search" (except the searcher themselves)."""
    return [
        directory_entry(p)
        for p in persons
        if not p.details.restrict_search or p.person_id == principal.person_id
    ]
