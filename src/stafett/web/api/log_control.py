"""`GET /api/v1/reports/log-control`: the log control of a period (decision 0058).

For organisation administrators, as the other reports: who opened unusually many plans
on one day, professionals' reads outside 07–19, and providers' reads outside the consent
they name (`applications/log_control.py`). `from` and `to` (both days included) choose
the period, the last full week when neither is given; `max_plans_a_day` the threshold
(20). The answer names readers and plans by id; the reports page names them. Each run
is logged (`log_control_read`) with the period and the findings' counts, no names.
"""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, get
from litestar.params import QueryParameter

from stafett.aggregates.values import local_date
from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import Principal
from stafett.applications.log_control import (
    MAX_PLANS_A_DAY,
    LogControl,
    checked_period,
    run_log_control,
)
from stafett.applications.plans import PlanApplication
from stafett.persistence.accounts import AccountStore
from stafett.web.auth import Policy, policy
from stafett.web.params import Accounts, LoggedIn, Plans, Reads

log = structlog.get_logger(__name__)
FromDay = Annotated[date | None, QueryParameter(name="from")]
ToDay = Annotated[date | None, QueryParameter(name="to")]
Threshold = Annotated[int, QueryParameter(ge=1, le=10_000)]


class BusyReaderOut(msgspec.Struct):
    reader_person_id: UUID
    on: date
    plans: int


class FlaggedReadOut(msgspec.Struct):
    reader_person_id: UUID
    role: str
    plan_id: UUID
    at: datetime


class DormantAccountOut(msgspec.Struct):
    person_id: UUID
    username: str
    last_login_at: datetime | None  # None: never logged in


class LogControlOut(msgspec.Struct):
    first_day: date
    last_day: date
    entries: int
    max_plans_a_day: int
    busy_readers: list[BusyReaderOut]
    off_hours: list[FlaggedReadOut]
    outside_consent: list[FlaggedReadOut]
    dormant_accounts: list[DormantAccountOut]

    @classmethod
    def of(cls, found: LogControl) -> "LogControlOut":
        """The findings as answered: each part's fields read from its attributes."""
        return msgspec.convert(found, cls, from_attributes=True)


def log_control_for(
    plans: PlanApplication,
    access_log: AccessLog,
    accounts: AccountStore,
    principal: Principal,
    *,
    first_day: date | None,
    last_day: date | None,
    max_plans_a_day: int = MAX_PLANS_A_DAY,
) -> LogControl:
    """The log control of the period asked for (this route's and the reports page's), logged."""
    first, last = checked_period(first_day, last_day, local_date(plans.clock()))
    found = run_log_control(access_log, accounts, first, last, max_plans_a_day=max_plans_a_day)
    log.info(
        "log_control_read",
        actor=str(principal.person_id),
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        entries=found.entries,
        busy_readers=len(found.busy_readers),
        off_hours=len(found.off_hours),
        outside_consent=len(found.outside_consent),
        dormant_accounts=len(found.dormant_accounts),
    )
    return found


class LogControlController(Controller):
    path = "/api/v1/reports/log-control"
    tags = ["reports"]  # noqa: RUF012

    @get("/", sync_to_thread=True, opt=policy(Policy.READ_REPORTS))
    def log_control(
        self,
        *,
        plans: Plans,
        reads: Reads,
        accounts: Accounts,
        principal: LoggedIn,
        first_day: FromDay = None,
        last_day: ToDay = None,
        max_plans_a_day: Threshold = MAX_PLANS_A_DAY,
    ) -> LogControlOut:
        """The log control of a period (organisation administrators only): readers of more
        than `max_plans_a_day` plans in a day, professionals' reads outside 07–19,
        providers' reads outside their consent. `from`/`to`: the last full week if neither."""
        found = log_control_for(
            plans,
            reads.access_log,
            accounts.accounts,
            principal,
            first_day=first_day,
            last_day=last_day,
            max_plans_a_day=max_plans_a_day,
        )
        return LogControlOut.of(found)
