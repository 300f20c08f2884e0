"""POST /api/v1/plans/{id}/consent/withdrawal: the family takes its consent back.

The owner, a relative or the coordinator may withdraw consent, also in a closed
plan (policy table: `withdraw_consent`); providers lose access from the next
request on, and no content can be added until consent is given again.
"""

from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from stafett.applications.accounts import Principal
from stafett.applications.plans import PlanApplication
from stafett.web.api.plans import IfMatch, NewVersion, VersionBody, expected_version
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.state import ReadYourWrites, provide_plans, provide_read_your_writes


class ConsentController(Controller):
    path = "/api/v1/plans"
    dependencies = {  # noqa: RUF012
        "plans": Provide(provide_plans, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
        "caught_up": Provide(provide_read_your_writes, sync_to_thread=False),
    }
    tags = ["plans"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @post("/{plan_id:uuid}/consent/withdrawal", sync_to_thread=True, status_code=HTTP_200_OK)
    def withdraw_consent(
        self,
        *,
        plans: NamedDependency[PlanApplication],
        principal: NamedDependency[Principal],
        caught_up: NamedDependency[ReadYourWrites],
        plan_id: FromPath[UUID],
        data: JSONBody[VersionBody | None] = None,
        if_match: IfMatch = None,
    ) -> NewVersion:
        """Withdraw consent (the owner, a relative or the coordinator)."""
        result = plans.withdraw_consent(
            plan_id,
            by=principal.person_id,
            expected_version=expected_version(if_match, data.expected_version if data else None),
        )
        caught_up(result)
        return NewVersion(version=result.version)
