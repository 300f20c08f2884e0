"""The baton offered to me (decision 0052): the home tab's card for the service provider
the coordinator offered the baton to, and its two forms.

Accepting (`AcceptBaton`) makes them the coordinator, so it asks for a one-time code from
the last five minutes: without one, the form is kept and the step-up page comes back to
the home tab, which says it is not done yet (`kept.py`). Declining (`EndBatonOffer`)
asks for nothing more. The coordinator offers and withdraws on the manage page
(`manage.py`).
"""

from litestar import Controller, post
from litestar.response import Redirect

from stafett.aggregates.errors import ConflictingValueError
from stafett.applications.commands import AcceptBaton, EndBatonOffer, PlanCommand
from stafett.web.i18n import _
from stafett.web.pages.forms import decode, form_of
from stafett.web.pages.kept import keeps_page
from stafett.web.pages.participants import REFUSALS, refusal
from stafett.web.pages.plan import home_context
from stafett.web.pages.plan_parts import BATON_KEPT, InOnePlan
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import AnyRequest, LoggedIn, PlanId, Reads, Writes

SAVED["baton_accepted"] = lambda: _(
    "You have accepted the baton. You are the plan's coordinator from now on."
)
SAVED["baton_declined"] = lambda: _("You have declined the offer of the baton.")

# The answers, by the address each posts to (after the plan's own): the command and
# what the home tab says after it.
ANSWERS: dict[str, tuple[type[PlanCommand], str]] = {
    "baton/acceptance": (AcceptBaton, "baton_accepted"),
    "baton/decline": (EndBatonOffer, "baton_declined"),
}


class BatonPages(InOnePlan):
    @post([f"/{address}" for address in ANSWERS], opt=keeps_page(BATON_KEPT, "/plans/{plan_id}"))
    async def answer_baton_offer(
        self: Controller,
        *,
        request: AnyRequest,
        reads: Reads,
        commands: Writes,
        principal: LoggedIn,
        plan_id: PlanId,
    ) -> Page | Redirect:
        """Accept or decline the baton offered to me; refused, the home tab says why."""
        address = request.url.path.split("/", 3)[3].rstrip("/")
        kind, saved = ANSWERS[address]
        fields = await form_of(request)
        try:
            await in_thread(commands, plan_id, decode(kind, fields))
            return see_other(f"/plans/{plan_id}/", saved=saved)
        except REFUSALS as error:
            errors, status = refusal(error, lambda name: False)
            if isinstance(error, ConflictingValueError):  # the offer ended meanwhile
                errors = {"": _("The baton is no longer offered to you.")}
        visit = await in_thread(reads.plan_since_last_visit, plan_id, principal)
        context = home_context(visit, principal, reads)
        return page(request, "plan/home.html", status=status, errors=errors, **context)


__all__ = ["BatonPages"]
