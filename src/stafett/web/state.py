"""What the web layer keeps in litestar's application state, and its providers."""

from litestar.datastructures import State

from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import AccountService
from stafett.applications.plans import PlanApplication

PLANS = "plans"
ACCOUNTS = "accounts"
ACCESS_LOG = "access_log"


def provide_plans(state: State) -> PlanApplication:
    plans: PlanApplication = state[PLANS]
    return plans


def provide_accounts(state: State) -> AccountService:
    accounts: AccountService = state[ACCOUNTS]
    return accounts


def provide_access_log(state: State) -> AccessLog:
    access_log: AccessLog = state[ACCESS_LOG]
    return access_log
