"""The composition root: the one place that reads settings and wires the parts."""

from litestar import Litestar

from stafett.applications.plans import PlanApplication
from stafett.settings import Settings
from stafett.web.app import create_app


def build_plans(settings: Settings) -> PlanApplication:
    return PlanApplication(settings.event_store_env())


def build_web(settings: Settings, plans: PlanApplication) -> Litestar:
    return create_app(plans, development=settings.environment == "development")
