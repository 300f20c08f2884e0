"""The auditor's search on the plans page: `GET /api/v1/audit/plans` as a form and a table.

An account the policy table lets search every plan (`AccountAction.SEARCH_PLANS`:
auditors) sees the search form on the plans page; it sends `search` with the
terms, and the page shows the plans found (each leads to its history, which auditors
may read). The search is the API route's (`AuditReads.search`, recorded the same
way); the form's days may be typed as dd.mm.yyyy. Anyone else who sends `search` is
refused (403), as the API refuses them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from stafett.aggregates.errors import NotPermittedError, Refusal, ValidationError
from stafett.aggregates.policy import AccountAction, account_may
from stafett.applications.accounts import Principal
from stafett.web.api.audit import plan_search
from stafett.web.audit import AuditReads, Found
from stafett.web.i18n import _
from stafett.web.pages.forms import day_in
from stafett.web.pages.refusals import Own, said

FIELDS = ("first_name", "last_name", "birth_date", "status", "from", "to")
STATUSES = ("open", "closed")
MAX_ECHO = 200  # of a value typed into the form, shown again


@dataclass
class AuditSearchForm:
    """The search form as typed, what is wrong with it, and what it found."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    found: Found | None = None

    @property
    def status_options(self) -> list[tuple[str, str]]:
        return [("open", _("Open")), ("closed", _("Closed"))]


def audit_search(
    audit: AuditReads, principal: Principal, query: Mapping[str, str | None]
) -> AuditSearchForm:
    """Run the search the form asks for; its refusals as messages on the fields."""
    if not account_may(AccountAction.SEARCH_PLANS, principal.roles):
        raise NotPermittedError("not permitted: search_plans")
    form = AuditSearchForm({name: (query.get(name) or "")[:MAX_ECHO] for name in FIELDS})
    given = {name: value.strip() for name, value in form.values.items() if value.strip()}
    try:
        status = given.get("status")
        if status is not None and status not in STATUSES:
            raise ValidationError("status", "not a status")
        search = plan_search(
            first_name=given.get("first_name"),
            last_name=given.get("last_name"),
            birth_date=day_in("birth_date", given["birth_date"]) if "birth_date" in given else None,
            status=status,
            active_from=day_in("from", given["from"]) if "from" in given else None,
            active_to=day_in("to", given["to"]) if "to" in given else None,
        )
        form.found = audit.search(principal, search)
    except ValidationError as wrong:
        form.errors = {_field(wrong.field): said(wrong, _SEARCH)}
    return form


def _field(name: str) -> str:
    return "last_name" if name == "search" else name


# The search form's fields in its own words; any other refusal is of one of its dates.
_SEARCH: Own = {
    ("search", Refusal.INVALID): lambda e: _("Give the owner's name, birth date or a period."),
    ("status", Refusal.INVALID): lambda e: _("Choose a status from the list."),
    ("to", Refusal.ENDS_BEFORE_START): lambda e: _(
        "The period must end on or after the day it starts."
    ),
    Refusal.INVALID: lambda e: _("Write a date as dd.mm.yyyy, or pick one."),
}
