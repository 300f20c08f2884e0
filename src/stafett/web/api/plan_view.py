"""GET /api/v1/plans/{id}: the caller's permitted view of one plan.

The application filters the plan by the policy table on every request; a part the
caller may not read is not in the answer at all (no key), so a relative with
`goals: none` never receives a goal. Someone outside the plan group gets the 404
of a plan that does not exist; a provider whose consent has lapsed gets 403.
Every answer is recorded in the plan's access log (the parts answered, the
standing and grounds) before it is sent; if that fails the answer is 503 and empty.
"""

from litestar import get

from stafett.applications.permitted import PlanOut
from stafett.web.controllers import LoggedInRoutes
from stafett.web.params import LoggedIn, PlanId, Reads


class PlanViewController(LoggedInRoutes):
    path = "/api/v1/plans"
    tags = ["plans"]  # noqa: RUF012

    @get("/{plan_id:uuid}", sync_to_thread=False)
    def read_plan(self, *, reads: Reads, principal: LoggedIn, plan_id: PlanId) -> PlanOut:
        """The caller's permitted view: only the parts their rights and the consent allow."""
        return reads.plan(plan_id, principal)
