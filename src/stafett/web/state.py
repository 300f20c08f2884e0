"""What the web layer keeps in litestar's application state, and its providers."""

from litestar.datastructures import State

from stafett.applications.plans import PlanApplication

PLANS = "plans"


def provide_plans(state: State) -> PlanApplication:
    plans: PlanApplication = state[PLANS]
    return plans
