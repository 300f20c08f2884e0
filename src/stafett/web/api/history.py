"""Plan history for coordinators and auditors: as of a version or an instant, and the timeline.

Until accounts and login land, these routes are mounted only in development
(see docs/decisions/0004-read-routes-before-login.md).
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from stafett.aggregates.values import Role
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PlanView
from stafett.web.state import provide_plans


class ActorOut(msgspec.Struct):
    person_id: UUID
    name: str
    role: Role


class TimelineEntryOut(msgspec.Struct):
    version: int
    at: datetime
    actor: ActorOut
    type: str
    summary: str


class HistoryController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}"
    dependencies = {"plans": Provide(provide_plans, sync_to_thread=False)}  # noqa: RUF012
    tags = ["history"]  # noqa: RUF012

    @get("/history", sync_to_thread=True)
    def history(
        self,
        plans: NamedDependency[PlanApplication],
        plan_id: FromPath[UUID],
        as_of: FromQuery[datetime | None] = None,
        version: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> PlanView:
        """The plan as it stood at `as_of` (an instant with offset) or at `version`."""
        return plans.plan_as_of(plan_id, version=version, at=as_of)

    @get("/timeline", sync_to_thread=True)
    def timeline(
        self, plans: NamedDependency[PlanApplication], plan_id: FromPath[UUID]
    ) -> list[TimelineEntryOut]:
        """Every event of the plan, oldest first."""
        return [
            TimelineEntryOut(
                version=e.version,
                at=e.at,
                actor=ActorOut(person_id=e.actor_id, name=e.actor_name, role=e.actor_role),
                type=e.type,
                summary=e.summary,
            )
            for e in plans.timeline(plan_id)
        ]
