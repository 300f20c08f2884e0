"""Step-up (SEC-SES-08, decision 0031): the page that asks for a fresh one-time code
before an action that needs one, then goes back to where the person was.

A refused action (`StepUpRequiredError`, from the one rule in `applications/step_up.py`)
comes here from `pages/errors.py` with the page to go back to: after a form, the page
that gives it back as typed (`pages/kept.py`), and what waits for the code (`waiting`,
the refused action's name, said by `WAITING`). Each form calls the `AccountService`
method its JSON route calls.
"""

from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar import Controller, get, post
from litestar.response import Redirect

from stafett.aggregates.errors import ConflictingValueError, ValidationError
from stafett.applications.accounts import CodeRejectedError, OtpChannel, TooManyAttemptsError
from stafett.applications.input import Body, ShortText
from stafett.applications.own_account import CHANGE_CONTACT
from stafett.web.auth import (
    Policy,
    client_of,
    policy,
    provide_principal,
    session_token,
    set_session_cookie,
)
from stafett.web.i18n import _
from stafett.web.pages.forms import FormError, decode, form_of, too_many, wrong_code
from stafett.web.pages.render import SAVED, Page, in_thread, local_path, notice, page, see_other
from stafett.web.params import Accounts, AnyRequest, LoggedIn
from stafett.web.state import provide_accounts, provided

# A notice, not a write: the tab keeps the draft of the form that waits (drafts.js).
SAVED["step_up_code_sent"] = lambda: notice(
    _("We have sent you a new one-time code. It lasts 5 minutes.")
)

# What waits for the code, by the refused action's name (`StepUpRequiredError.action`).
WAITING: dict[str, Callable[[], str]] = {
    "ClosePlan": lambda: _("You are closing the plan."),
    "AcceptBaton": lambda: _("You are accepting the baton."),
    "AddParticipant": lambda: _("You are adding a participant to the plan group."),
    "ChangeParticipant": lambda: _("You are changing a participant's rights or role."),
    CHANGE_CONTACT: lambda: _("You are changing your mobile number or e-mail address."),
}


SENT = "form"  # a form waits whose action `WAITING` has no words for

STEP_UP_RETURNS = "step_up_returns"
"""A route's option: the page the step-up returns to (a template of the route's path
parameters) when the refused request is a download, which is no page to come back to:
the file would arrive while the step-up page stayed on the screen, and "Back without
doing it" would ask for the code again."""
PLAN_DOWNLOAD = {STEP_UP_RETURNS: "/plans/{plan_id}/plan?saved=download_ready"}
SAVED["download_ready"] = lambda: notice(
    _(
        "It is confirmed that it is you. Press \u201cPrint / download PDF\u201d again to get "
        "the file."
    )
)


def without_confirmation(path: str) -> str:
    """`path` without its `saved` parameter: the page to go back to without doing it
    says nothing was done."""
    address, _query_mark, query = path.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "saved"]
    return f"{address}?{urlencode(kept)}" if kept else address


def waiting_of(value: str | None) -> str:
    """What waits, as the page passes it on: an action's name it knows, else "form" for
    any other value ("" when nothing waits: the page asked for comes back after it)."""
    return value if value in WAITING else (SENT if value else "")


def waiting_text(waiting: str) -> str | None:
    """What the page says waits for the code (None: nothing waits)."""
    if not waiting:
        return None
    return WAITING.get(waiting, lambda: _("What you sent is waiting for the code."))()


class StepUpForm(Body):
    """The step-up page's forms: where to go back to, what waits, and (to confirm) the code."""

    next: ShortText
    waiting: Annotated[str, msgspec.Meta(max_length=40)] = ""
    code: Annotated[str, msgspec.Meta(max_length=12)] = ""


async def _posted(request: AnyRequest) -> StepUpForm:
    """The form as the edge's rules read it (`decode`); a form that is not ours (a field
    missing or unknown, a control character) is refused whole with the page's 422, so it
    neither sends a code nor goes anywhere."""
    try:
        return decode(StepUpForm, await form_of(request))
    except FormError as error:
        raise ValidationError(next(iter(error.errors), "form"), "could not be read") from None


class StepUpPages(Controller):
    path = "/step-up"
    opt = policy(Policy.AUTHENTICATED)
    dependencies = provided(provide_accounts, provide_principal)

    async def _form(
        self,
        request: AnyRequest,
        accounts: Accounts,
        principal: LoggedIn,
        after: str,
        waiting: str = "",
        *,
        status: int = 200,
        error: str | None = None,
    ) -> Page:
        mine = await in_thread(accounts.my_account, principal)
        return page(
            request,
            "login/step_up.html",
            status=status,
            after=after,
            back=without_confirmation(after),
            waiting=waiting,
            waiting_text=waiting_text(waiting),
            app=mine.otp_channel is OtpChannel.TOTP,
            error=error,
        )

    @get("")
    async def form(self, accounts: Accounts, principal: LoggedIn, request: AnyRequest) -> Page:
        after = local_path(request.query_params.get("next"))
        waiting = waiting_of(request.query_params.get("waiting"))
        return await self._form(request, accounts, principal, after, waiting)

    @post("/code")
    async def send_code(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        form = await _posted(request)
        after, waiting = local_path(form.next), waiting_of(form.waiting)
        try:
            await in_thread(accounts.send_step_up_code, principal, session_token(request) or "")
        except TooManyAttemptsError as error:
            return await self._form(
                request, accounts, principal, after, waiting, status=429, error=too_many(error)
            )
        except ConflictingValueError:
            message = _("Your mobile number is not confirmed. Confirm it under My profile.")
            return await self._form(
                request, accounts, principal, after, waiting, status=409, error=message
            )
        waits = {"waiting": waiting} if waiting else {}
        return see_other("/step-up", next=after, saved="step_up_code_sent", **waits)

    @post("")
    async def confirm(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        form = await _posted(request)
        after, waiting = local_path(form.next), waiting_of(form.waiting)
        try:
            renewed = await in_thread(
                accounts.step_up,
                principal,
                session_token(request) or "",
                form.code,
                client_of(request),
            )
        except CodeRejectedError:
            return await self._form(
                request, accounts, principal, after, waiting, status=401, error=wrong_code()
            )
        response = see_other(after)
        set_session_cookie(response, renewed)  # a new session token (SEC-SES-02)
        return response
