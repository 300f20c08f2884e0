"""The one place that picks the plan list's engine, for the services, the runner and tests."""

from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from stafett.projections.plan_list.postgres import PostgresPlanListView
from stafett.projections.plan_list.projection import PlanListProjection
from stafett.projections.plan_list.sqlite import SQLitePlanListView
from stafett.projections.plan_list.view import PlanListView


def view_class(env: Mapping[str, str]) -> type[PlanListView]:
    """The view for the store the plan application's settings name."""
    if "sqlite" in env.get("PERSISTENCE_MODULE", ""):
        return SQLitePlanListView
    return PostgresPlanListView


def construct_view(env: Mapping[str, str]) -> tuple[PlanListView, InfrastructureFactory[Any]]:
    """The view on the plan application's store, and the factory to close it with.

    Its settings are the plan application's, read under the projection's name (so
    `PLANLIST_*` variables may override them), as a runner's are; on PostgreSQL its
    tracking table is `planlist_tracking`.
    """
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
        Environment(PlanListProjection.name, env)
    )
    view = factory.tracking_recorder(view_class(env))
    assert isinstance(view, PlanListView)
    return view, factory
