"""`GET /api/v1/audit/plans`: an auditor's search over every plan of the deployment.

Only accounts the policy table lets search every plan (`Policy.SEARCH_PLANS`:
auditors); anyone else gets 403 before the search runs. The search is recorded
(the auditor's account facts, the access log of each plan found, a log line without
the terms) as `web/audit.py` says. What it answers leads on to the plan's history
(`GET /api/v1/plans/{id}/history`, `…/timeline`), which auditors may read.
"""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from stafett.aggregates.values import PlanStatus, plausible_date
from stafett.applications.accounts import Principal
from stafett.projections.plan_list import FoundPlan, PlanSearch
from stafett.web.api.lists import NameQuery
from stafett.web.audit import AuditReads
from stafett.web.auth import Policy, policy

DateQuery = Annotated[date | None, QueryParameter()]


class FoundPlanOut(msgspec.Struct):
    id: UUID
    owner_name: str | None  # None: the owner was erased from the directory
    owner_birth_date: date | None
    short_name: str
    type: Literal["SL", "IP"]
    status: Literal["open", "closed"]
    start_date: date
    end_date: date | None
    last_archived_at: datetime | None

    @classmethod
    def of(cls, plan: FoundPlan) -> "FoundPlanOut":
        name = None
        if plan.owner_first_name is not None:
            name = f"{plan.owner_first_name} {plan.owner_last_name}"
        return cls(
            id=plan.id,
            owner_name=name,
            owner_birth_date=plan.owner_birth_date,
            short_name=plan.short_name,
            type=plan.type,  # type: ignore[arg-type]  # the view stores "SL" or "IP"
            status=plan.status,  # type: ignore[arg-type]  # and "open" or "closed"
            start_date=plan.start_date,
            end_date=plan.end_date,
            last_archived_at=plan.last_archived_at,
        )


class PlanSearchOut(msgspec.Struct):
    plans: list[FoundPlanOut]
    more: bool  # more plans match than are answered: narrow the search


def plan_search(
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    birth_date: date | None = None,
    status: str | None = None,
    active_from: date | None = None,
    active_to: date | None = None,
) -> PlanSearch:
    """The search as the view takes it; implausible dates refused naming their field."""
    for field, day in (("birth_date", birth_date), ("from", active_from), ("to", active_to)):
        if day is not None:
            plausible_date(field, day)
    return PlanSearch(
        first_name=first_name or None,
        last_name=last_name or None,
        birth_date=birth_date,
        status=PlanStatus(status) if status else None,
        active_from=active_from,
        active_to=active_to,
    )


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012
    opt = policy(Policy.SEARCH_PLANS)

    @get("/plans", sync_to_thread=True)
    def search_plans(
        self,
        *,
        audit: NamedDependency[AuditReads],
        principal: NamedDependency[Principal],
        first_name: NameQuery = None,
        last_name: NameQuery = None,
        birth_date: DateQuery = None,
        status: FromQuery[Literal["open", "closed"] | None] = None,
        active_from: Annotated[date | None, QueryParameter(name="from")] = None,
        active_to: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> PlanSearchOut:
        """Plans of the whole deployment by the owner's first and last name (prefixes),
        birth date, status, and the period they were active in (`from`, `to`); at least
        the name, the birth date or the period must be given."""
        search = plan_search(
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            status=status,
            active_from=active_from,
            active_to=active_to,
        )
        found = audit.search(principal, search)
        return PlanSearchOut([FoundPlanOut.of(p) for p in found.plans], found.more)
