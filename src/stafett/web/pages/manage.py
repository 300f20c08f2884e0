"""Manage a plan: the coordinator's actions (issue 10, item 5), and withdrawing consent.

`/plans/{id}/manage` holds the coordinator's forms: correct the plan's details (short
name, period, BTI level, review date), offer the baton to another provider or withdraw
the offer (decision 0052: the baton passes when that provider accepts it, on their home
tab, `baton.py`), renew or change consent, reset it, close the plan with a reason,
reopen it with one (neither reason is required). Each form becomes the API's command
(`ChangePlanDetails`, `OfferBaton`, `EndBatonOffer`, `RenewConsent`, `ResetConsent`,
`ClosePlan`, `ReopenPlan`)
and goes through `Commands`. Withdrawing consent has a page of its own
(`/plans/{id}/consent/withdrawal`), as the owner and relatives may do it too. The
destructive ones ask the person to tick that they understand. Which forms show comes
from the policy table (`may`); there is no archive button (archiving arrives with its
own issue).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.plan_events import DETAIL_FIELDS
from stafett.aggregates.policy import Action, Standing
from stafett.aggregates.values import ConsentStatus, PlanStatus, Role, local_date
from stafett.applications.accounts import Principal
from stafett.applications.commands import (
    ChangePlanDetails,
    ClosePlan,
    EndBatonOffer,
    OfferBaton,
    PlanCommand,
    RenewConsent,
    ReopenPlan,
    ResetConsent,
    WithdrawConsent,
)
from stafett.applications.permitted import PlanOut
from stafett.web.i18n import _
from stafett.web.pages.forms import FormError, as_iso_date, decode, form_of, text_field
from stafett.web.pages.kept import given_back, keeps_page
from stafett.web.pages.participants import REFUSALS, refusal
from stafett.web.pages.plan_parts import (
    InOnePlan,
    came_of_age,
    heading_context,
    level_choices,
    may,
    withdrawal,
)
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import AnyRequest, LoggedIn, PlanId, Reads, Writes
from stafett.web.reads import PlanReads
from stafett.web.state import ACCOUNTS
from stafett.web.writes import Commands

DEFAULT_CONSENT_DAYS = 365  # a renewal's suggested term, when the coordinator asks for one
DATES = "dates"  # `?dates=new`: the consent form suggests new dates

SAVED["baton_offered"] = lambda: _(
    "The baton is offered. You remain the coordinator until it is accepted."
)
SAVED["baton_offer_withdrawn"] = lambda: _("The offer of the baton is withdrawn.")
SAVED["consent_renewed"] = lambda: _("The consent is saved. It is in force from now on.")
SAVED["consent_reset"] = lambda: _(
    "The consent is reset. Nothing new can be written until consent is given again."
)
SAVED["consent_withdrawn"] = lambda: _(
    "The consent is withdrawn. The service providers no longer have access to the plan."
)
SAVED["plan_details_saved"] = lambda: _("The plan details are saved.")
SAVED["plan_closed"] = lambda: _("The plan is closed.")
SAVED["plan_reopened"] = lambda: _("The plan is open again.")


def confirmed(fields: Mapping[str, Any], name: str) -> None:
    """A destructive action waits for its "I understand" box."""
    if name not in fields:
        raise FormError({name: _("Tick the box to confirm.")})


def consent_values(view: PlanOut) -> dict[str, Any]:
    """The consent form, filled in with the consent on record (the given-by the reader
    sees), so that saving it changes only what the person changed."""
    consent = view.consent
    return {
        "given_by": consent.given_by if isinstance(consent.given_by, str) else "",
        "given_on": consent.given_on.isoformat(),
        "expires_on": consent.expires_on.isoformat(),
        "scope": consent.scope,
    }


def details_values(view: PlanOut) -> dict[str, str]:
    """The plan details form, filled in with the details on record ("" where one is not
    set), so that saving it changes only what the person changed."""
    return {
        "short_name": view.short_name,
        "start_date": view.start_date.isoformat(),
        "end_date": view.end_date.isoformat() if view.end_date else "",
        "level": "" if view.level is None else str(view.level),
        "review_on": view.review_on.isoformat() if view.review_on else "",
    }


REQUIRED_DETAILS = ("short_name", "start_date")  # the rest may be emptied: not set
DETAIL_DATES = ("start_date", "end_date", "review_on")


def details_command(fields: Mapping[str, Any]) -> PlanCommand:
    """The details form as the API's `ChangePlanDetails`: every detail as the form holds
    it (the plan leaves out of its event those as they already are), an emptied end date,
    level or review date as null (not set); dates also as dd.mm.yyyy."""
    typed = {name: text_field(fields, name) for name in DETAIL_FIELDS}
    typed |= {name: as_iso_date(typed[name]) for name in DETAIL_DATES}
    blank = {name for name, value in typed.items() if not value.strip()}
    missing = {name: _("Fill in this field.") for name in REQUIRED_DETAILS if name in blank}
    given: dict[str, Any] = {
        name: None if name in blank else value
        for name, value in typed.items()
        if name not in missing
    }
    given["expected_version"] = text_field(fields, "expected_version") or None
    try:
        command = decode(ChangePlanDetails, given, blanks=True)
    except FormError as wrong:
        raise FormError(wrong.errors | missing) from None
    if missing:
        raise FormError(missing)
    return command


NOTHING_CHANGED = "plan_details"  # where the details form says that it changed nothing


def nothing_changed(error: Exception) -> dict[str, str] | None:
    """The plan refuses a change of its details that changes nothing (naming no field of
    the form): said at the form, in words for it."""
    if isinstance(error, ValidationError) and error.field == "body":
        return {
            NOTHING_CHANGED: _("Nothing is changed. Change a detail in the form before you save.")
        }
    return None


def new_dates(today: date) -> dict[str, str]:
    """The dates of a consent given today, as the renewal's suggestion fills them in (only
    when asked for: `?dates=new`)."""
    return {
        "given_on": today.isoformat(),
        "expires_on": (today + timedelta(days=DEFAULT_CONSENT_DAYS)).isoformat(),
    }


def successors(view: PlanOut) -> list[Any]:
    """Who the baton can pass to: the other providers of the group."""
    return [m for m in view.participants if m.role is Role.PROVIDER and not m.is_coordinator]


def manage_context(reads: PlanReads, principal: Principal, plan_id: UUID) -> dict[str, Any]:
    """The manage page: the coordinator's, open or closed; refused to everyone else."""
    view = reads.plan(plan_id, principal)
    manages, reopens = may(view, Action.MANAGE), may(view, Action.REOPEN)
    if not (manages or reopens):
        raise PermissionDeniedException("not permitted: manage")
    today = local_date(reads.plans.clock())
    return {
        "plan": view,
        **heading_context(plan_id, view, principal, "manage"),
        "manages": manages,
        "reopens": reopens,
        "may_withdraw": withdrawal(reads, view).allowed
        and view.consent.status is not ConsentStatus.WITHDRAWN,
        "consent_active": view.consent.status is ConsentStatus.ACTIVE,
        # who gives the consent, by the owner's age (decision 0055); None: not known
        "owner_of_age": reads.owner_of_age(view) if manages else None,
        "consent_age": reads.plans.consent_age,
        "came_of_age": came_of_age(reads, view) if manages else None,  # decision 0056
        "closed": view.status is PlanStatus.CLOSED,
        "successors": successors(view),
        "offered": next(
            (m for m in view.participants if m.participant_id == view.baton_offered_to), None
        ),
        "values": consent_values(view) | details_values(view) | {"ended_on": today.isoformat()},
        "levels": level_choices(),
        "today": today,
        "suggested": False,
        "errors": {},
        "kept": False,
    }


def withdrawal_context(reads: PlanReads, principal: Principal, plan_id: UUID) -> dict[str, Any]:
    """The owner or a relative withdraws consent themself; the coordinator records that the
    family has withdrawn it (the event names who recorded it, and when), and goes back to
    the manage page they came from."""
    view = reads.plan(plan_id, principal)
    if not withdrawal(reads, view).allowed:
        raise PermissionDeniedException("not permitted: withdraw consent")
    records = view.me.standing is Standing.COORDINATOR
    return {
        "plan": view,
        **heading_context(plan_id, view, principal, "manage" if records else "participants"),
        "records": records,
        "withdrawn": view.consent.status is ConsentStatus.WITHDRAWN,
        "values": {},
        "errors": {},
    }


@dataclass(frozen=True, slots=True)
class Deps:
    reads: PlanReads
    commands: Commands
    principal: Principal


Context = Callable[[PlanReads, Principal, UUID], dict[str, Any]]
MANAGE = ("manage/manage.html", manage_context)
WITHDRAWAL = ("manage/withdraw.html", withdrawal_context)


@dataclass(frozen=True, slots=True)
class Form:
    """One form of these pages: its command, the page after it and what that says, and
    the page (template and context) shown again when the command is refused."""

    command: Callable[[Mapping[str, Any]], PlanCommand]
    then: str
    saved: str
    again: tuple[str, Context] = MANAGE
    # The form's own words for a refusal, where the common ones would be vague (None:
    # the common ones).
    said: Callable[[Exception], dict[str, str] | None] = lambda error: None


def confirmed_command(
    kind: type[PlanCommand], box: str
) -> Callable[[Mapping[str, Any]], PlanCommand]:
    def command(fields: Mapping[str, Any]) -> PlanCommand:
        confirmed(fields, box)
        return decode(kind, fields, drop=(box,))

    return command


DETAILS = Form(details_command, "manage", "plan_details_saved", said=nothing_changed)
OFFER = Form(lambda fields: decode(OfferBaton, fields), "manage", "baton_offered")
WITHDRAW_OFFER = Form(
    lambda fields: decode(EndBatonOffer, fields), "manage", "baton_offer_withdrawn"
)
RENEW = Form(lambda fields: decode(RenewConsent, fields), "manage", "consent_renewed")
RESET = Form(confirmed_command(ResetConsent, "confirm_reset"), "manage", "consent_reset")
CLOSE = Form(confirmed_command(ClosePlan, "confirm_close"), "manage", "plan_closed")
REOPEN = Form(lambda fields: decode(ReopenPlan, fields), "manage", "plan_reopened")
WITHDRAW = Form(
    confirmed_command(WithdrawConsent, "confirm_withdraw"),
    "participants",
    "consent_withdrawn",
    WITHDRAWAL,
)


async def act(request: AnyRequest, deps: Deps, plan_id: UUID, form: Form) -> Page | Redirect:
    """One form: its command through `Commands`, then the next page; or its page again
    with the form as typed and what was wrong."""
    fields = await form_of(request)
    try:
        await in_thread(deps.commands, plan_id, form.command(fields))
        return see_other(f"/plans/{plan_id}/{form.then}", saved=form.saved)
    except REFUSALS as error:
        errors, status = refusal(error, lambda name: name in fields)
        errors = form.said(error) or errors
    template, context_of = form.again
    context = await in_thread(context_of, deps.reads, deps.principal, plan_id)
    context["values"] |= {k: v for k, v in fields.items() if isinstance(v, str)}
    context["errors"] = errors
    return page(request, template, status=status, **context)


MANAGE_KEPT = "manage:{plan_id}"  # where a manage form is kept (kept.py)
WITHDRAWAL_ADDRESS = "consent/withdrawal"
# The forms of the manage and withdrawal pages, by the address each posts to (after the
# plan's own).
ACTIONS = {
    "manage/details": DETAILS,
    "manage/coordinator/offer": OFFER,
    "manage/coordinator/offer/withdrawal": WITHDRAW_OFFER,
    "manage/consent": RENEW,
    "manage/consent/reset": RESET,
    "manage/close": CLOSE,
    "manage/reopen": REOPEN,
    WITHDRAWAL_ADDRESS: WITHDRAW,
}


def acts(addresses: Sequence[str], **options: Any) -> HTTPRouteHandler:
    """The route of the forms posted to `addresses` (after the plan's own): offer the
    baton or withdraw the offer, correct the plan's details, renew or reset consent,
    close or reopen the plan, withdraw consent."""

    async def act_on_plan(
        self: Controller,
        *,
        request: AnyRequest,
        reads: Reads,
        commands: Writes,
        principal: LoggedIn,
        plan_id: PlanId,
    ) -> Page | Redirect:
        address = request.url.path.split("/", 3)[3].rstrip("/")
        return await act(request, Deps(reads, commands, principal), plan_id, ACTIONS[address])

    return post([f"/{address}" for address in addresses], **options)(act_on_plan)


class ManagePages(InOnePlan):
    @get("/manage", sync_to_thread=True)
    def manage(
        self, *, request: AnyRequest, reads: Reads, principal: LoggedIn, plan_id: PlanId
    ) -> Page:
        """The coordinator's actions on the plan, each where the policy lets them; after a
        login, `?kept=1`: a form as typed when the session had ended (kept.py); with
        `?dates=new`, the consent form suggests the dates of a consent given today."""
        context = manage_context(reads, principal, plan_id)
        if request.query_params.get(DATES) == "new":  # the coordinator asked for new dates
            context["values"] |= new_dates(context["today"])
            context["suggested"] = True
        place = MANAGE_KEPT.format(plan_id=plan_id)
        kept = given_back(request, request.app.state[ACCOUNTS], principal, place)
        if kept is not None:
            context["values"] |= {k: v for k, v in kept.fields.items() if isinstance(v, str)}
            context["kept"] = True
        return page(request, "manage/manage.html", **context)

    @get("/consent/withdrawal", sync_to_thread=True)
    def withdrawal_form(
        self, *, request: AnyRequest, reads: Reads, principal: LoggedIn, plan_id: PlanId
    ) -> Page:
        """The coordinator or the family (by the owner's age: decision 0055) withdraws
        consent: a page to confirm it."""
        return page(
            request, "manage/withdraw.html", **withdrawal_context(reads, principal, plan_id)
        )

    # The manage page's forms, kept when the session has ended (kept.py); the withdrawal
    # page's, a box to tick, on a route of its own (its page is not the manage page).
    act_on_plan = acts(
        [address for address in ACTIONS if address != WITHDRAWAL_ADDRESS],
        opt=keeps_page(MANAGE_KEPT, "/plans/{plan_id}/manage"),
    )
    withdraw_consent = acts([WITHDRAWAL_ADDRESS])


__all__ = ["ManagePages"]
