"""Confirming a mobile number (SEC-OTP-06, decision 0025): SMS login codes go only to a
number the person has confirmed.

Two places ask for the code sent to the number: "my profile" (after changing one's own
number, or for a number the coordinator entered), and the page that follows a password
link that went by e-mail (`/confirm-number`), in a session that confirms the number and
logs nobody in. Each form calls the `AccountService` method its JSON route calls.
"""

from litestar import Controller, get, post
from litestar.response import Redirect

from stafett.aggregates.errors import ValidationError
from stafett.applications.accounts import CodeRejectedError, TooManyAttemptsError
from stafett.web.auth import (
    PRE_LOGIN,
    PUBLIC,
    clear_session_cookie,
    client_of,
    session_token,
)
from stafett.web.i18n import _
from stafett.web.pages.forms import CODE_LIMIT, form_of, text_field, too_many, wrong_code
from stafett.web.pages.profile import OnMyProfile, refused_profile
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import Accounts, AnyRequest, LoggedIn
from stafett.web.state import provide_accounts, provided

SAVED["mobile_code_sent"] = lambda: _(
    "We have sent a code by SMS to your mobile number. Type it under “Confirm your mobile "
    "number” to confirm the number."
)
SAVED["mobile_confirmed"] = lambda: _(
    "Your mobile number is confirmed. One-time codes by SMS go to it from now on."
)
SAVED["codes_by_sms"] = lambda: _(
    "Your mobile number is confirmed. From your next login the one-time code comes by SMS "
    "instead of e-mail."
)


class ProfileMobilePages(OnMyProfile):
    """My profile: send a code to my mobile number, and confirm the number with it."""

    path = "/profile/mobile"

    @post("/code")
    async def send_code(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        try:
            sent = await in_thread(
                accounts.send_mobile_code, principal, session_token(request) or ""
            )
        except ValidationError:
            message = _("Give a mobile number under My details first.")
        except TooManyAttemptsError as error:
            message = too_many(error)
        else:
            if sent:  # to the box where the code is typed
                return see_other("/profile", at="mobile-confirm", saved="mobile_code_sent")
            return see_other("/profile", saved="mobile_confirmed")
        return await refused_profile(
            request, accounts, principal, failed="mobile", errors={"mobile_code": message}
        )

    @post("/confirm")
    async def confirm(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        fields = await form_of(request)
        try:
            to_sms = await in_thread(
                accounts.confirm_mobile,
                principal,
                session_token(request) or "",
                text_field(fields, "mobile_code", CODE_LIMIT),
                client_of(request),
            )
        except CodeRejectedError:
            return await refused_profile(
                request, accounts, principal, failed="mobile", errors={"mobile_code": wrong_code()}
            )
        return see_other("/profile", saved="codes_by_sms" if to_sms else "mobile_confirmed")


class ConfirmNumberPages(Controller):
    """After a password link by e-mail: the code sent to the mobile number confirms it."""

    path = "/confirm-number"
    dependencies = provided(provide_accounts)

    @get("", sync_to_thread=False, opt=PUBLIC)
    def form(self, request: AnyRequest) -> Page | Redirect:
        if not session_token(request):
            return see_other("/login")
        return page(request, "login/confirm_number.html", error=None)

    @post("", opt=PRE_LOGIN)
    async def confirm(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        fields = await form_of(request)
        try:
            await in_thread(
                accounts.confirm_mobile_after_link,
                session_token(request) or "",
                text_field(fields, "code", CODE_LIMIT),
                client_of(request),
            )
        except CodeRejectedError:
            return page(request, "login/confirm_number.html", status=401, error=wrong_code())
        response = see_other("/login", saved="number_confirmed")
        clear_session_cookie(response)
        return response

    @post("/resend", opt=PRE_LOGIN)
    async def resend(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        try:
            await in_thread(accounts.resend_mobile_code, session_token(request) or "")
        except CodeRejectedError:
            return see_other("/login", saved="start_again")
        except TooManyAttemptsError as error:
            return page(request, "login/confirm_number.html", status=429, error=too_many(error))
        return see_other("/confirm-number", saved="code_sent")
