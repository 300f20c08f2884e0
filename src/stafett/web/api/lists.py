"""Lists read from the plan-list projection (api.md: Plan list, Reports).

`GET /api/v1/plans` lists the plans the logged-in person may open today (the
municipal date of the plan application's clock); `GET /api/v1/reports` gives an
organisation administrator the four organisation reports in one answer. Neither
replays a plan; both read the view's tables, which every plan write waits for.
"""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from stafett.aggregates.values import MAX_NAME_LENGTH, ConsentStatus, PlanStatus, local_date
from stafett.applications.accounts import Principal
from stafett.applications.plans import PlanApplication
from stafett.projections.plan_list import PlanListRow, PlanListView, ReportItem
from stafett.web.auth import Policy, policy
from stafett.web.params import LoggedIn, PlanList, Plans

log = structlog.get_logger(__name__)
INACTIVE_DAYS = 90
EXPIRING_WITHIN_DAYS = 30


class PlanListItem(msgspec.Struct):
    id: UUID
    owner_name: str | None
    owner_birth_date: date | None
    short_name: str
    type: Literal["SL", "IP"]
    changed_since_last_visit: bool
    new_message: bool
    consent_expires_on: date
    consent_expires_in_days: int
    start_date: date
    # Added after api.md's list: the plan's status (closed ones are listed with
    # `include_closed`), and the consent's, with the day it was given (in force from).
    status: PlanStatus
    consent_status: ConsentStatus
    consent_given_on: date
    end_date: date | None
    last_archived_at: datetime | None
    can_manage: bool
    # Added after api.md's list: the caller may open this closed plan again; the days
    # since the plan last changed in what the caller may read (None: nothing dated).
    can_reopen: bool = False
    quiet_days: int | None = None

    @classmethod
    def of(cls, row: PlanListRow) -> "PlanListItem":
        """The row's answer fields (its owner's person id stays behind)."""
        return msgspec.convert(row, cls, from_attributes=True)


class ReportPlan(msgspec.Struct):
    plan_id: UUID
    short_name: str
    type: str
    status: str
    on: date | None

    @classmethod
    def of(cls, item: ReportItem) -> "ReportPlan":
        return cls(item.plan_id, item.short_name, item.type, item.status, item.on)


class PlanCountItem(msgspec.Struct):
    type: str
    status: str
    count: int


class Reports(msgspec.Struct):
    counts: list[PlanCountItem]
    consents_expiring: list[ReportPlan]
    inactive: list[ReportPlan]
    never_archived: list[ReportPlan]


NameQuery = Annotated[str | None, QueryParameter(max_length=MAX_NAME_LENGTH)]


class PlanListRoutes:
    """`GET /api/v1/plans`, mounted by `PlanController`: a second controller on the same
    path would register litestar's OPTIONS handler twice."""

    @get("/", sync_to_thread=False, opt=policy(Policy.AUTHENTICATED))
    def list_plans(
        self,
        *,
        plans: Plans,
        plan_list: PlanList,
        principal: LoggedIn,
        first_name: NameQuery = None,
        last_name: NameQuery = None,
        include_closed: FromQuery[bool] = False,
    ) -> list[PlanListItem]:
        """The plans the caller is in and may open today, most recently changed first."""
        rows = plans_of(
            plans,
            plan_list,
            principal,
            first_name=first_name,
            last_name=last_name,
            include_closed=include_closed,
        )
        return [PlanListItem.of(row) for row in rows]


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]  # noqa: RUF012

    @get("/", sync_to_thread=True, opt=policy(Policy.READ_REPORTS))
    def reports(
        self,
        *,
        plans: Plans,
        plan_list: PlanList,
        principal: LoggedIn,
    ) -> Reports:
        """Plans by type and status, consents expiring within 30 days, open plans with no
        event for 90 days, plans never archived (organisation administrators only)."""
        return organisation_reports(plans, plan_list, principal)


def plans_of(
    plans: PlanApplication,
    plan_list: PlanListView,
    principal: Principal,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    include_closed: bool = False,
) -> list[PlanListRow]:
    """The person's plan list (this route's and the list page's): the plans they are in and
    may open today, read from the projection and logged without names."""
    rows = plan_list.plans_for(
        principal.person_id,
        today=local_date(plans.clock()),
        first_name=first_name,
        last_name=last_name,
        include_closed=include_closed,
    )
    log.info("plan_list_read", actor=str(principal.person_id), count=len(rows))
    return rows


def organisation_reports(
    plans: PlanApplication, plan_list: PlanListView, principal: Principal
) -> Reports:
    """The four organisation reports (this route's and the reports page's), logged."""
    now = plans.clock()
    log.info("report_read", actor=str(principal.person_id))
    return Reports(
        counts=[PlanCountItem(c.type, c.status, c.count) for c in plan_list.report_counts()],
        consents_expiring=[
            ReportPlan.of(i)
            for i in plan_list.consents_expiring(local_date(now), EXPIRING_WITHIN_DAYS)
        ],
        inactive=[ReportPlan.of(i) for i in plan_list.inactive_plans(now, INACTIVE_DAYS)],
        never_archived=[ReportPlan.of(i) for i in plan_list.never_archived()],
    )
