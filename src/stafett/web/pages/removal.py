"""Removing a participant from the plan group: a page to confirm it (the coordinator).

The removal is the API's `RemoveParticipant` through `Commands`; the policy table
decides who may (`Action.MANAGE`), and the aggregate refuses the owner and the
coordinator (who hands the baton over first). What the participant wrote stays in the
plan and its history; they lose access at once and can be added again later.
"""

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect

from stafett.aggregates.policy import Action
from stafett.aggregates.values import Role
from stafett.applications.accounts import Principal
from stafett.applications.commands import RemoveParticipant
from stafett.web.i18n import _
from stafett.web.pages.forms import decode, form_of
from stafett.web.pages.manage import confirmed
from stafett.web.pages.participants import REFUSALS, member_of, refusal
from stafett.web.pages.plan_parts import InOnePlan, heading_context, may
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import AnyRequest, LoggedIn, PathId, PlanId, Reads, Writes
from stafett.web.reads import PlanReads

BOX = "confirm_remove"
SAVED["participant_removed"] = lambda: _(
    "The participant is removed from the plan group and no longer has access to the plan."
)


class RemovalPages(InOnePlan):
    path = "/plans/{plan_id:uuid}/participants/{participant_id:uuid}/removal"

    @get("", sync_to_thread=True)
    def confirm(
        self,
        *,
        request: AnyRequest,
        reads: Reads,
        principal: LoggedIn,
        plan_id: PlanId,
        participant_id: PathId,
    ) -> Page:
        context = removal_context(reads, principal, plan_id, participant_id)
        return page(request, "participants/remove.html", **context)

    @post("")
    async def remove(
        self,
        *,
        request: AnyRequest,
        reads: Reads,
        commands: Writes,
        principal: LoggedIn,
        plan_id: PlanId,
        participant_id: PathId,
    ) -> Page | Redirect:
        fields = await form_of(request)
        try:
            confirmed(fields, BOX)
            given = {**fields, "participant_id": str(participant_id)}
            await in_thread(commands, plan_id, decode(RemoveParticipant, given, drop=(BOX,)))
            return see_other(f"/plans/{plan_id}/participants", saved="participant_removed")
        except REFUSALS as error:
            errors, status = refusal(error, lambda name: name == BOX)
        context = await in_thread(removal_context, reads, principal, plan_id, participant_id)
        context["errors"] = errors
        return page(request, "participants/remove.html", status=status, **context)


def removal_context(
    reads: PlanReads, principal: Principal, plan_id: UUID, participant_id: UUID
) -> dict[str, Any]:
    """The confirmation page: the coordinator's only; says why when the removal cannot be."""
    view = reads.plan(plan_id, principal)
    if not may(view, Action.MANAGE):
        raise PermissionDeniedException("not permitted: manage")
    member = member_of(view, participant_id)
    return {
        "plan": view,
        **heading_context(plan_id, view, principal, "participants"),
        "member": member,
        "is_coordinator": member.is_coordinator,
        "is_owner": member.role is Role.OWNER,
        "errors": {},
    }


__all__ = ["RemovalPages"]
