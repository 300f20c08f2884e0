"""Step-up (SEC-SES-08, decision 0026): the page that asks for a fresh one-time code
before an action that needs one, then goes back to where the person was.

A refused action (`StepUpRequiredError`, from the one rule in `applications/step_up.py`)
comes here from `pages/errors.py` with the page to go back to. Each form calls the
`AccountService` method its JSON route calls.
"""

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.response import Redirect

from stafett.aggregates.errors import ConflictingValueError, ValidationError
from stafett.applications.accounts import CodeRejectedError, OtpChannel, TooManyAttemptsError
from stafett.applications.input import Body, ShortText
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
from stafett.web.pages.render import SAVED, Page, in_thread, local_path, page, see_other
from stafett.web.params import Accounts, AnyRequest, LoggedIn
from stafett.web.state import provide_accounts, provided

SAVED["step_up_code_sent"] = lambda: _("We have sent you a new one-time code. It lasts 5 minutes.")


class StepUpForm(Body):
    """The step-up page's forms: where to go back to, and (to confirm) the code."""

    next: ShortText
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
            app=mine.otp_channel is OtpChannel.TOTP,
            error=error,
        )

    @get("")
    async def form(self, accounts: Accounts, principal: LoggedIn, request: AnyRequest) -> Page:
        after = local_path(request.query_params.get("next"))
        return await self._form(request, accounts, principal, after)

    @post("/code")
    async def send_code(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        after = local_path((await _posted(request)).next)
        try:
            await in_thread(accounts.send_step_up_code, principal, session_token(request) or "")
        except TooManyAttemptsError as error:
            return await self._form(
                request, accounts, principal, after, status=429, error=too_many(error)
            )
        except ConflictingValueError:
            message = _("Your mobile number is not confirmed. Confirm it under My profile.")
            return await self._form(request, accounts, principal, after, status=409, error=message)
        return see_other("/step-up", next=after, saved="step_up_code_sent")

    @post("")
    async def confirm(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        form = await _posted(request)
        after = local_path(form.next)
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
                request, accounts, principal, after, status=401, error=wrong_code()
            )
        response = see_other(after)
        set_session_cookie(response, renewed)  # a new session token (SEC-SES-02)
        return response
