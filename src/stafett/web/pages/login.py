"""Logging in, out and back in: the pages of api.md's login steps.

Each page calls the same `AccountService` method as its JSON route, so the
counters, locks, code rules and terms are the same; only the answer is a page.
Failures answer alike whatever their reason (a wrong password, an unknown name
and a locked account cannot be told apart), so the page says what the person
can do next rather than which it was.
"""

from dataclasses import replace

from litestar import Controller, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath
from litestar.response import Redirect

from stafett.aggregates.errors import NotPermittedError, ValidationError
from stafett.applications.accounts import (
    CodeRejectedError,
    LoginFailedError,
    LoginStep,
    Stage,
    TooManyAttemptsError,
)
from stafett.applications.codes import CodeSendsSpentError, OtpChannel
from stafett.applications.terms import terms
from stafett.web.api.session import _send_reset_link
from stafett.web.auth import (
    PRE_LOGIN,
    PUBLIC,
    SESSION_COOKIE,
    clear_session_cookie,
    client_of,
    session_token,
    set_session_cookie,
    set_step_cookies,
)
from stafett.web.i18n import _, current_language
from stafett.web.pages.forms import (
    CODE_LIMIT,
    FormError,
    codes_spent,
    form_of,
    new_password_of,
    text_field,
    too_many,
    wrong_code,
)
from stafett.web.pages.refusals import PASSWORD, said
from stafett.web.pages.render import Page, in_thread, local_path, page, see_other
from stafett.web.params import Accounts, AnyRequest
from stafett.web.state import provide_accounts, provided


def _next_page(step: LoginStep, after: str) -> Redirect:
    """Where a login step leads, with the session (and device) cookie it brings."""
    if step.next is Stage.OTP and step.mobile_unconfirmed:
        response = see_other("/login/code", via="sms", held="1", next=after)
    elif step.next is Stage.OTP:
        channel = step.channel.value if step.channel else "email"
        response = see_other("/login/code", via=channel, next=after)
    elif step.next is Stage.TERMS:
        response = see_other("/login/terms", next=after)
    else:
        response = see_other(local_path(after))
    set_step_cookies(response, step)
    return response


def _code_page(
    request: AnyRequest,
    *,
    via: str | None,
    after: str | None,
    held: bool = False,
    error: str | None = None,
    limit: str | None = None,
    status: int = 200,
) -> Page:
    """The code step: `via` (the channel the code went by, which the page names) and
    `after` come from the address on a GET and from the form's hidden fields after a
    POST, so a wrong code or a refused new code keeps both. `error`: the code was
    wrong; `limit`: no new code could be sent (the field is not wrong)."""
    channel = via if via in {c.value for c in OtpChannel} else OtpChannel.EMAIL.value
    return page(
        request,
        "login/code.html",
        status=status,
        channel=channel,
        held=held,
        after=local_path(after),
        error=error,
        limit=limit,
    )


class LoginPages(Controller):
    path = "/"
    dependencies = provided(provide_accounts)

    @get("/", sync_to_thread=False, opt=PUBLIC)
    def home(self, accounts: Accounts, request: AnyRequest) -> Redirect:
        """The address people type: their plans, or the login page."""
        logged_in = accounts.authenticate(request.cookies.get(SESSION_COOKIE))
        return see_other("/plans" if logged_in else "/login")

    @get("/login", sync_to_thread=False, opt=PUBLIC)
    def login_form(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        after = local_path(request.query_params.get("next"))
        if accounts.authenticate(request.cookies.get(SESSION_COOKIE)) is not None:
            return see_other(after)
        return page(
            request,
            "login/password.html",
            after=after,
            username="",
            error=None,
            expired=request.query_params.get("expired") == "1",
        )

    @post("/login", opt=PRE_LOGIN)
    async def login(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        fields = await form_of(request)
        username, after = text_field(fields, "username"), local_path(text_field(fields, "next"))
        error, status = None, 200
        try:
            step = await in_thread(
                accounts.begin_login,
                username,
                text_field(fields, "password"),
                replace(client_of(request), language=current_language()),  # the code's words
            )
            return _next_page(step, after)
        except LoginFailedError:
            error, status = (
                _(
                    "Wrong username or password. After many failed attempts, logging in is "
                    "stopped for a while: wait and try again, or ask an administrator in the "
                    "municipality to unlock the account."
                ),
                401,
            )
        except CodeSendsSpentError as spent:  # the password was right; no code could go
            error, status = codes_spent(spent, new_login=True), 429
        except TooManyAttemptsError as refused:
            error, status = too_many(refused), 429
        return page(
            request,
            "login/password.html",
            status=status,
            after=after,
            username=username,
            error=error,
            expired=False,
        )

    @get("/login/code", sync_to_thread=False, opt=PUBLIC)
    def code_form(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        if not session_token(request):
            return see_other("/login")
        query = request.query_params
        if accounts.seen(request.cookies.get(SESSION_COOKIE)) is not None:  # reads, writes nothing
            return see_other(local_path(query.get("next")))  # logged in: Back to a step done
        return _code_page(
            request,
            via=query.get("via"),
            after=query.get("next"),
            held=query.get("held") == "1",
        )

    @post("/login/code", opt=PRE_LOGIN)
    async def code(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        fields = await form_of(request)
        after = local_path(text_field(fields, "next"))
        try:
            step = await in_thread(
                accounts.verify_code,
                session_token(request) or "",
                text_field(fields, "code", CODE_LIMIT),
                client_of(request),
            )
            return _next_page(step, after)
        except CodeRejectedError:
            error, status = wrong_code(), 401
        except TooManyAttemptsError as refused:
            error, status = too_many(refused), 429
        via = text_field(fields, "via")
        return _code_page(request, via=via, after=after, error=error, status=status)

    @post("/login/code/resend", opt=PRE_LOGIN)
    async def resend(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        fields = await form_of(request)
        after = local_path(text_field(fields, "next"))
        try:
            step = await in_thread(
                accounts.resend_code, session_token(request) or "", current_language()
            )
        except CodeRejectedError:  # the login ended or took too long
            return see_other("/login", saved="start_again")
        except TooManyAttemptsError as refused:  # the login goes on with the code it has
            via = text_field(fields, "via")
            return _code_page(request, via=via, after=after, limit=too_many(refused), status=429)
        if step.mobile_unconfirmed:
            return see_other("/login/code", via="sms", held="1", next=after)
        channel = step.channel.value if step.channel else "email"
        return see_other("/login/code", via=channel, next=after, saved="code_sent")

    @get("/login/terms", sync_to_thread=False, opt=PUBLIC)
    def terms_form(self, accounts: Accounts, request: AnyRequest) -> Page | Redirect:
        if not session_token(request):
            return see_other("/login")
        if accounts.seen(request.cookies.get(SESSION_COOKIE)) is not None:
            return see_other(local_path(request.query_params.get("next")))
        return page(
            request,
            "login/terms.html",
            terms=terms(current_language()),
            after=local_path(request.query_params.get("next")),
        )

    @post("/login/terms", opt=PRE_LOGIN)
    async def answer_terms(self, accounts: Accounts, request: AnyRequest) -> Redirect:
        fields = await form_of(request)
        accept = text_field(fields, "answer") == "yes"
        try:
            step = await in_thread(
                lambda: accounts.answer_terms(session_token(request) or "", accept=accept)
            )
        except CodeRejectedError:
            return see_other("/login", saved="start_again")
        if step is None:
            response = see_other("/login", saved="terms_declined")
            clear_session_cookie(response)
            return response
        return _next_page(step, text_field(fields, "next"))

    @post("/logout", opt=PUBLIC)
    async def logout(self, accounts: Accounts, request: AnyRequest) -> Redirect:
        """Public, so a half-finished login can be abandoned; a full session's form
        carries its CSRF token (the guard checks it)."""
        await in_thread(accounts.logout, session_token(request))
        response = see_other("/login", saved="logged_out")
        clear_session_cookie(response)
        return response

    @get("/password-reset", sync_to_thread=False, opt=PUBLIC)
    def reset_form(self, request: AnyRequest) -> Page:
        return page(request, "login/reset_request.html", sent=False)

    @post("/password-reset", opt=PRE_LOGIN)
    async def request_reset(self, accounts: Accounts, request: AnyRequest) -> Page:
        """The same answer whether or not the name exists; the link goes after it."""
        fields = await form_of(request)
        username = text_field(fields, "username").strip()[:200]
        answer = page(request, "login/reset_request.html", sent=True)
        if username:
            answer.background = BackgroundTask(_send_reset_link, accounts, username)
        return answer

    @get("/reset/{token:str}", opt=PUBLIC)
    async def new_password_form(
        self, accounts: Accounts, request: AnyRequest, token: FromPath[str]
    ) -> Page:
        """The form, or straight away that the link is used or expired: not after the
        new password has been typed twice. Looking leaves the link as it is."""
        return await _password_page(accounts, request, token, errors={})

    @post("/reset/{token:str}", opt=PRE_LOGIN)
    async def new_password(
        self, accounts: Accounts, request: AnyRequest, token: FromPath[str]
    ) -> Page | Redirect:
        fields = await form_of(request)
        try:
            new = new_password_of(fields)
            confirming = await in_thread(
                lambda: accounts.complete_reset(token, new, then_confirm=True)
            )
        except FormError as error:
            errors = error.errors
        except NotPermittedError:  # used or expired since the form was opened
            return _spent_link_page(request)
        except ValidationError as error:  # the same refusals as the JSON route
            errors = {"new_password": said(error, PASSWORD)}
        else:
            if confirming is None:
                return see_other("/login", saved="password_set")
            # The codes go by SMS to a number not confirmed: a code went to it, and a
            # session that only confirms it (decision 0025).
            response = see_other("/confirm-number")
            set_session_cookie(response, confirming)
            return response
        return await _password_page(accounts, request, token, errors=errors, status=422)


async def _password_page(
    accounts: Accounts,
    request: AnyRequest,
    token: str,
    *,
    errors: dict[str, str],
    status: int = 200,
) -> Page:
    """The page of a live link: "Choose your password" with the username for a new account's
    first, "Choose a new password" for a reset; a link used or expired says so (410)."""
    link = await in_thread(accounts.live_link, token)
    if link is None:
        return _spent_link_page(request)
    return page(
        request,
        "login/reset_password.html",
        status=status,
        token=token,
        errors=errors,
        first=link.first,
        username=link.username,
    )


def _spent_link_page(request: AnyRequest) -> Page:
    """A link used or expired: said at once, with the ways to a new one (410)."""
    return page(
        request, "login/reset_password.html", status=410, token=None, errors={}, first=False
    )
