"""Who has read the plan (innsyn, SEC-LOG-04): for the owner, relatives and the coordinator.

Anyone outside the plan gets 404, the same answer as for a plan that does not
exist; a provider in the plan who is not its coordinator gets 403. Reading the
log is itself a read of the plan and is recorded before the answer; when that
fails the answer is 503 with no entries (fail closed).
"""

from datetime import datetime
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from stafett.aggregates.policy import Action
from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import Principal
from stafett.applications.plans import PlanApplication
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.state import provide_access_log, provide_plans, provided

ERASED_PERSON = "(slettet person)"
log = structlog.get_logger(__name__)


class ReaderOut(msgspec.Struct):
    person_id: UUID
    name: str
    role: str


class AccessEntryOut(msgspec.Struct):
    at: datetime
    reader: ReaderOut
    sections: list[str]
    grounds: str


def access_log_standing(
    plans: PlanApplication, plan_id: UUID, principal: Principal
) -> tuple[str, str]:
    """The policy table's READ_ACCESS_LOG: (role, grounds) of the caller, or a refusal."""
    standing, me = plans.authorize(plan_id, by=principal.person_id, action=Action.READ_ACCESS_LOG)
    assert me is not None  # only participants read the access log
    return standing.value, f"participant:{me.participant_id}"


class AccessLogController(Controller):
    path = "/api/v1/plans/{plan_id:uuid}/access-log"
    dependencies = provided(provide_plans, provide_access_log, provide_principal)
    tags = ["access log"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @get("", sync_to_thread=True)
    def entries(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        access_log: NamedDependency[AccessLog],
        principal: NamedDependency[Principal],
        plan_id: FromPath[UUID],
    ) -> list[AccessEntryOut]:
        """Every recorded read of the plan, newest first, this one included."""
        role, grounds = access_log_standing(plans, plan_id, principal)
        access_log.record(
            plan_id,
            reader_person_id=principal.person_id,
            role=role,
            sections=["access_log"],
            grounds=grounds,
            at=plans.clock(),
        )
        log.info("sensitive_read", actor=str(principal.person_id), plan=str(plan_id), as_=role)
        entries = access_log.entries(plan_id)
        names = plans.person_names(e.reader_person_id for e in entries)
        return [
            AccessEntryOut(
                at=e.at,
                reader=ReaderOut(
                    person_id=e.reader_person_id,
                    name=names.get(e.reader_person_id, ERASED_PERSON),
                    role=e.role,
                ),
                sections=list(e.sections),
                grounds=e.grounds,
            )
            for e in reversed(entries)
        ]
