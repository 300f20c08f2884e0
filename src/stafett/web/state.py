"""What the web layer keeps in litestar's application state, and its providers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ServiceUnavailableException

from stafett.applications.accounts import AccountService
from stafett.applications.plans import PlanApplication
from stafett.applications.results import CommandResult
from stafett.archive.service import Archives
from stafett.projections.plan_list import APPLICATION_NAME, PlanListView
from stafett.web.reads import PlanReads

PLANS = "plans"
ACCOUNTS = "accounts"
ACCESS_LOG = "access_log"
PLAN_LIST = "plan_list"
ARCHIVES = "archives"
NOTICES = "notices"  # the notice sender and its outbox (decision 0020)
CSRF_KEY = "csrf_key"  # bytes: the key of the session-bound CSRF tokens (web/auth.py)
CATCH_UP_SECONDS = 5.0
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReadYourWrites:
    """After a write, wait (bounded) until the plan list has it, so the next read shows it.

    The write has succeeded either way: a view that does not catch up in time is
    logged as `projection_lag` and the answer goes out.
    """

    view: PlanListView | None
    timeout: float = CATCH_UP_SECONDS

    def __call__(self, result: CommandResult) -> None:
        if self.view is None or result.notification_id is None:
            return
        try:
            self.view.wait(APPLICATION_NAME, result.notification_id, timeout=self.timeout)
        except TimeoutError:
            log.warning(
                "projection_lag",
                projection="planlist",
                notification_id=result.notification_id,
                tracking_id=self.view.max_tracking_id(APPLICATION_NAME),
            )


def provide_plans(state: State) -> PlanApplication:
    plans: PlanApplication = state[PLANS]
    return plans


def provide_accounts(state: State) -> AccountService:
    accounts: AccountService = state[ACCOUNTS]
    return accounts


def configured(state: State, key: str, unavailable: str) -> Any:
    """A part of the app that a deployment may leave out; 503 with `unavailable` if it did."""
    part = state.get(key)
    if part is None:
        raise ServiceUnavailableException(unavailable)
    return part


def provide_plan_list(state: State) -> PlanListView:
    view: PlanListView = configured(state, PLAN_LIST, "Planlisten er ikke tilgjengelig")
    return view


def provide_reads(state: State) -> PlanReads:
    """Reads of plan content: authorized, recorded in the access log, logged (web/reads.py)."""
    return PlanReads(state[PLANS], state[ACCESS_LOG], state.get(PLAN_LIST), state.get(ARCHIVES))


def provide_archives(state: State) -> Archives:
    archives: Archives = configured(state, ARCHIVES, "Arkivet er ikke tilgjengelig")
    return archives


def provide_read_your_writes(state: State) -> ReadYourWrites:
    return ReadYourWrites(state.get(PLAN_LIST))


def provided(*providers: Callable[..., Any], **named: Callable[..., Any]) -> dict[str, Provide]:
    """A controller's dependencies, each `provide_<name>` as `<name>` (or named by keyword);
    all of them are cheap lookups, called without a worker thread."""
    by_name = {p.__name__.removeprefix("provide_"): p for p in providers} | named
    return {name: Provide(p, sync_to_thread=False) for name, p in by_name.items()}
