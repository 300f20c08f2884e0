"""Plan history for coordinators and auditors: as of a version or an instant, and the timeline.

Only the plan's coordinator and accounts with the auditor role may read a plan's
history. Any other participant gets 403; anyone outside the plan gets 404, the
same answer as for a plan that does not exist. Each answer is recorded in the
plan's access log before it is sent; if that fails the answer is 503 and empty.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from stafett.aggregates.policy import Action, Standing
from stafett.aggregates.values import Role
from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import Principal
from stafett.applications.input import MAX_VERSION, plausible_instant
from stafett.applications.plans import PlanApplication
from stafett.applications.results import PlanView
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.state import provide_access_log, provide_plans, provided

log = structlog.get_logger(__name__)


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


def require_history_reader(
    plans: PlanApplication, plan_id: UUID, principal: Principal
) -> tuple[str, str]:
    """The policy table's READ_HISTORY: the plan's coordinator or an auditor account.

    Answers (role, grounds) of the read, for the access log and the logs; refuses
    anyone else, with the 404 of a plan that does not exist for those outside the
    plan group.
    """
    standing, me = plans.authorize(
        plan_id, by=principal.person_id, action=Action.READ_HISTORY, auditor=principal.is_auditor
    )
    log.info(
        "sensitive_read", actor=str(principal.person_id), plan=str(plan_id), as_=standing.value
    )
    if me is None:
        return Standing.AUDITOR.value, "auditor"
    return standing.value, f"participant:{me.participant_id}"


def record_read(
    access_log: AccessLog,
    plans: PlanApplication,
    plan_id: UUID,
    *,
    principal: Principal,
    standing: tuple[str, str],
    section: str,
) -> None:
    """Record the read before it is answered; raises (so nothing is answered) if that fails."""
    role, grounds = standing
    access_log.record(
        plan_id,
        reader_person_id=principal.person_id,
        role=role,
        sections=[section],
        grounds=grounds,
        at=plans.clock(),
    )


class HistoryController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}"
    dependencies = provided(provide_plans, provide_access_log, provide_principal)
    tags = ["history"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @get("/history", sync_to_thread=True)
    def history(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        access_log: NamedDependency[AccessLog],
        principal: NamedDependency[Principal],
        plan_id: FromPath[UUID],
        as_of: FromQuery[datetime | None] = None,
        version: Annotated[int | None, QueryParameter(ge=1, le=MAX_VERSION)] = None,
    ) -> PlanView:
        """The plan as it stood at `as_of` (an instant with offset) or at `version`."""
        if as_of is not None:
            plausible_instant("as_of", as_of)
        standing = require_history_reader(plans, plan_id, principal)
        view = plans.plan_as_of(plan_id, version=version, at=as_of)
        record_read(
            access_log, plans, plan_id, principal=principal, standing=standing, section="history"
        )
        return view

    @get("/timeline", sync_to_thread=True)
    def timeline(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        access_log: NamedDependency[AccessLog],
        principal: NamedDependency[Principal],
        plan_id: FromPath[UUID],
    ) -> list[TimelineEntryOut]:
        """Every event of the plan, oldest first."""
        standing = require_history_reader(plans, plan_id, principal)
        entries = [
            TimelineEntryOut(
                version=e.version,
                at=e.at,
                actor=ActorOut(person_id=e.actor_id, name=e.actor_name, role=e.actor_role),
                type=e.type,
                summary=e.summary,
            )
            for e in plans.timeline(plan_id)
        ]
        record_read(
            access_log, plans, plan_id, principal=principal, standing=standing, section="timeline"
        )
        return entries
