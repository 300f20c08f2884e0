"""What the web layer keeps in litestar's application state, and its providers."""

from litestar.datastructures import State

from stafett.applications.accounts import AccountService
from stafett.applications.plans import PlanApplication

PLANS = "plans"
ACCOUNTS = "accounts"


def provide_plans(state: State) -> PlanApplication:
    plans: PlanApplication = state[PLANS]
    return plans


def provide_accounts(state: State) -> AccountService:
    accounts: AccountService = state[ACCOUNTS]
    return accounts
