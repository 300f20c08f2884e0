"""GET /api/v1/plans/{id}: the caller's permitted view of one plan.

The application filters the plan by the policy table on every request; a part the
caller may not read is not in the answer at all (no key), so a relative with
`goals: none` never receives a goal. Someone outside the plan group gets the 404
of a plan that does not exist; a provider whose consent has lapsed gets 403.
Every answer is recorded in the plan's access log (the parts answered, the
standing and grounds) before it is sent; if that fails the answer is 503 and empty.
"""

from uuid import UUID

import structlog
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from stafett.aggregates.policy import Standing
from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import Principal
from stafett.applications.permitted import PlanOut
from stafett.applications.plans import PlanApplication
from stafett.projections.plan_list import PlanListView
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.state import provide_access_log, provide_plans, provide_visits, provided

log = structlog.get_logger(__name__)


class PlanViewController(Controller):
    path = "/api/v1/plans"
    dependencies = provided(provide_plans, provide_access_log, provide_principal, provide_visits)
    tags = ["plans"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @get("/{plan_id:uuid}", sync_to_thread=True)
    def read_plan(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        access_log: NamedDependency[AccessLog],
        principal: NamedDependency[Principal],
        visits: NamedDependency[PlanListView | None],
        plan_id: FromPath[UUID],
    ) -> PlanOut:
        """The caller's permitted view: only the parts their rights and the consent allow."""
        view = plans.read_plan(plan_id, by=principal.person_id)
        access_log.record(
            plan_id,
            reader_person_id=principal.person_id,
            role=view.me.standing.value,
            sections=view.parts,
            grounds=grounds_of(view),
            at=plans.clock(),
        )
        if visits is not None:  # "changed since my last visit" in the plan list
            visits.note_visit(principal.person_id, plan_id, plans.clock())
        log.info(
            "sensitive_read",
            actor=str(principal.person_id),
            plan=str(plan_id),
            parts=",".join(view.parts),
        )
        return view


def grounds_of(view: PlanOut) -> str:
    """Providers read under the consent in force; the family and coordinator as participants."""
    if view.me.standing is Standing.PROVIDER:
        return f"consent:{view.consent.given_on.isoformat()}..{view.consent.expires_on.isoformat()}"
    return f"participant:{view.me.participant_id}"
