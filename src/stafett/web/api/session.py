"""Login, logout, password change and reset, who-am-I and my details (api.md: Login)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.background_tasks import BackgroundTask
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from stafett.aggregates.person import PersonDetails
from stafett.applications.accounts import AccountService, LoginStep, Stage
from stafett.applications.input import Body, Secret
from stafett.applications.parts import PersonChange
from stafett.web.auth import (
    CSRF_HEADER,
    PRE_LOGIN,
    PUBLIC,
    Policy,
    clear_session_cookie,
    client_of,
    csrf_token_of,
    policy,
    session_token,
    set_session_cookie,
    set_step_cookies,
)
from stafett.web.contract import no_body
from stafett.web.params import Accounts, AnyRequest, LoggedIn, SessionHandle

log = structlog.get_logger(__name__)


class LoginBody(Body):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Secret


class CodeBody(Body):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=12)]


class TermsBody(Body):
    accept: bool


class ResetRequestBody(Body):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class NewPasswordBody(Body):
    new_password: Secret


class PasswordChangeBody(Body):
    current_password: Secret
    new_password: Secret


class TotpEnrolBody(Body):
    current_password: Secret


class MyDetailsChange(PersonChange, kw_only=True):
    """Some of my directory details; a new mobile number or e-mail address (where codes
    and reset links go) also needs `current_password`."""

    current_password: Secret | msgspec.UnsetType = msgspec.UNSET


LOGGED_IN_ONLY = policy(Policy.AUTHENTICATED)
# A reset link's token as `new_token` makes it (URL-safe base64 of 32 bytes); the schema
# says so, and any other path segment is refused before it is looked up.
ResetToken = Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9_-]{16,128}$")]


def my_action(path: str) -> post:
    """A logged-in person's POST about their own session or account, answering 204."""
    return post(path, sync_to_thread=True, opt=LOGGED_IN_ONLY, status_code=HTTP_204_NO_CONTENT)


NextName = Literal["otp", "terms", "done"]


class NextStep(msgspec.Struct, omit_defaults=True):
    next: NextName
    channel: Literal["sms", "email", "totp"] | None = None
    # True when no SMS code went out: the mobile number is not confirmed (decision 0025).
    mobile_unconfirmed: bool = False


class Csrf(msgspec.Struct):
    header: str
    token: str


class Me(msgspec.Struct):
    person_id: UUID
    username: str
    name: str
    roles: list[str]
    csrf: Csrf


class TotpEnrolment(msgspec.Struct):
    otpauth_uri: str


class SessionOut(msgspec.Struct):
    """One of my logins that still works; `handle` names it to end it."""

    handle: str
    started_at: datetime
    last_seen: datetime
    current: bool
    browser: str = ""  # as the login's User-Agent names them ("" when it does not)
    system: str = ""


def _send_reset_link(accounts: AccountService, username: str) -> None:
    """After the answer: a failure here has no caller left, so it is logged (without a trace,
    whose frames would hold the username) and the person can simply ask again."""
    try:
        accounts.request_reset(username)
    except Exception as error:
        log.error("password_reset_failed", error=type(error).__name__)


def _step(step: LoginStep) -> Response[NextStep]:
    names: dict[Stage, NextName] = {Stage.OTP: "otp", Stage.TERMS: "terms", Stage.DONE: "done"}
    body = NextStep(
        next=names[step.next],
        channel=step.channel.value if step.channel else None,
        mobile_unconfirmed=step.mobile_unconfirmed,
    )
    response = Response(body, status_code=200)
    set_step_cookies(response, step)
    return response


def _renewed(token: str | None) -> Response[None]:
    """204, with the session's new cookie after an authentication step (SEC-SES-02), or
    the cookie cleared when the session ended meanwhile."""
    response = Response(None, status_code=HTTP_204_NO_CONTENT)
    if token is None:
        clear_session_cookie(response)
    else:
        set_session_cookie(response, token)
    return response


class SessionController(Controller):
    path = "/api/v1"
    tags = ["session"]  # noqa: RUF012

    @post("/session", sync_to_thread=True, opt=PRE_LOGIN, status_code=HTTP_200_OK)
    def log_in(
        self,
        accounts: Accounts,
        request: AnyRequest,
        data: JSONBody[LoginBody],
    ) -> Response[NextStep]:
        """Password step: answers which channel the one-time code went to."""
        return _step(accounts.begin_login(data.username, data.password, client_of(request)))

    @post("/session/otp", sync_to_thread=True, opt=PRE_LOGIN, status_code=HTTP_200_OK)
    def one_time_code(
        self,
        accounts: Accounts,
        request: AnyRequest,
        data: JSONBody[CodeBody],
    ) -> Response[NextStep]:
        """Code step: the session id changes, and the browser gets a device cookie."""
        token = session_token(request) or ""
        return _step(accounts.verify_code(token, data.code, client_of(request)))

    @post("/session/otp/resend", sync_to_thread=True, opt=PRE_LOGIN, status_code=HTTP_200_OK)
    def resend_code(self, accounts: Accounts, request: AnyRequest) -> Response[NextStep]:
        """A new code; the earlier one stops working."""
        return _step(accounts.resend_code(session_token(request) or ""))

    @post("/session/terms", sync_to_thread=True, opt=PRE_LOGIN, status_code=HTTP_200_OK)
    def terms(
        self,
        accounts: Accounts,
        request: AnyRequest,
        data: JSONBody[TermsBody],
    ) -> Response[NextStep]:
        """Terms of use, once (and again when they change); declining ends the session."""
        step = accounts.answer_terms(session_token(request) or "", accept=data.accept)
        if step is None:
            response = Response(NextStep(next="done"), status_code=200)
            clear_session_cookie(response)
            return response
        return _step(step)

    @delete("/session", sync_to_thread=True, opt=PUBLIC, status_code=204)
    def log_out(self, accounts: Accounts, request: AnyRequest) -> Response[None]:
        """Ends the session server-side and tells the browser to forget it.

        Public, so that a half-finished login can be abandoned; a full session needs
        the CSRF token here too (the guard checks it), or any site could log us out."""
        accounts.logout(session_token(request))
        response = Response(None, status_code=HTTP_204_NO_CONTENT)
        clear_session_cookie(response)
        return response

    @post(
        "/password-reset",
        sync_to_thread=False,
        opt=PRE_LOGIN,
        status_code=HTTP_202_ACCEPTED,
        responses={HTTP_202_ACCEPTED: no_body("Accepted, whether or not the user exists")},
    )
    def request_reset(
        self, accounts: Accounts, data: JSONBody[ResetRequestBody]
    ) -> Response[bytes]:
        """Always 202: whether the user exists is not revealed.

        The lookup and the e-mail happen after the answer has gone out, so the
        answer takes the same time for known and unknown names (SEC-REC-01).
        """
        return Response(
            b"",
            status_code=HTTP_202_ACCEPTED,
            background=BackgroundTask(_send_reset_link, accounts, data.username),
        )

    @post(
        "/password-reset/{token:str}",
        sync_to_thread=True,
        opt=PRE_LOGIN,
        status_code=HTTP_204_NO_CONTENT,
    )
    def complete_reset(
        self,
        accounts: Accounts,
        token: ResetToken,
        data: JSONBody[NewPasswordBody],
    ) -> None:
        """Sets the new password; the next login still asks for a one-time code."""
        accounts.complete_reset(token, data.new_password)

    @put(
        "/me/password",
        sync_to_thread=True,
        opt=LOGGED_IN_ONLY,
        status_code=HTTP_204_NO_CONTENT,
    )
    def change_password(
        self,
        accounts: Accounts,
        principal: LoggedIn,
        request: AnyRequest,
        data: JSONBody[PasswordChangeBody],
    ) -> Response[None]:
        """Needs the current password; the user's other sessions end, and this one goes on
        under a new session cookie (its CSRF token stays)."""
        renewed = accounts.change_password(
            principal,
            session_token(request) or "",
            client_of(request),
            current=data.current_password,
            new=data.new_password,
        )
        return _renewed(renewed)

    @get("/me", sync_to_thread=False, opt=LOGGED_IN_ONLY)
    def me(self, principal: LoggedIn, request: AnyRequest) -> Me:
        """Who is logged in, and the CSRF token to send with every change."""
        return Me(
            person_id=principal.person_id,
            username=principal.username,
            name=principal.name,
            roles=list(principal.roles),
            csrf=Csrf(header=CSRF_HEADER, token=csrf_token_of(request)),
        )

    @get("/me/details", sync_to_thread=True, opt=LOGGED_IN_ONLY)
    def my_details(self, accounts: Accounts, principal: LoggedIn) -> PersonDetails:
        """My details in the person directory, as I can see and correct them."""
        return accounts.my_account(principal).details

    @patch("/me", sync_to_thread=True, opt=LOGGED_IN_ONLY)
    def change_my_details(
        self,
        accounts: Accounts,
        principal: LoggedIn,
        request: AnyRequest,
        data: JSONBody[MyDetailsChange],
    ) -> PersonDetails:
        """Correct my details and number visibility; answers them as saved."""
        password = data.current_password
        return accounts.change_details(
            principal,
            client_of(request),
            data,
            current_password=None if isinstance(password, msgspec.UnsetType) else password,
            token=session_token(request),
        ).details

    @my_action("/me/mobile/code")
    def send_mobile_code(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> None:
        """A code to my mobile number to confirm it (SMS login codes go only to a confirmed
        number); nothing is sent when it is confirmed already. A new mobile number set with
        `PATCH /me` gets one at once."""
        accounts.send_mobile_code(principal, session_token(request) or "")

    @my_action("/me/mobile/confirm")
    def confirm_mobile(
        self,
        accounts: Accounts,
        principal: LoggedIn,
        request: AnyRequest,
        data: JSONBody[CodeBody],
    ) -> None:
        """My mobile number is confirmed by the code sent to it; a wrong one: 401."""
        accounts.confirm_mobile(
            principal, session_token(request) or "", data.code, client_of(request)
        )

    @post("/me/totp", sync_to_thread=True, opt=LOGGED_IN_ONLY)
    def enrol_totp(
        self,
        accounts: Accounts,
        principal: LoggedIn,
        request: AnyRequest,
        data: JSONBody[TotpEnrolBody],
    ) -> TotpEnrolment:
        """Start using an authenticator app: needs the current password; scan this URI as a
        QR code, then confirm with a code from the app. Until then login is unchanged."""
        return TotpEnrolment(
            otpauth_uri=accounts.enrol_totp(
                principal, client_of(request), current_password=data.current_password
            )
        )

    @my_action("/me/totp/confirm")
    def confirm_totp(
        self,
        accounts: Accounts,
        principal: LoggedIn,
        data: JSONBody[CodeBody],
    ) -> None:
        """The new app becomes the login factor; the person is told on every channel."""
        accounts.confirm_totp(principal, data.code)

    @get("/me/sessions", sync_to_thread=True, opt=LOGGED_IN_ONLY)
    def my_sessions(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> list[SessionOut]:
        """My logins that still work: this one (`current`) first, then the most recently
        used."""
        return [
            SessionOut(s.handle, s.started_at, s.last_seen, s.current, s.browser, s.system)
            for s in accounts.live_sessions(principal, session_token(request))
        ]

    @delete("/me/sessions/{handle:str}", sync_to_thread=True, opt=LOGGED_IN_ONLY, status_code=204)
    def end_my_session(
        self, accounts: Accounts, principal: LoggedIn, handle: SessionHandle
    ) -> None:
        """End one of my logins (SEC-SES-07), after a fresh one-time code (401 with
        `step_up_required` otherwise); 404 when no login of mine has that handle."""
        accounts.end_session(principal, handle)

    # ------------------------------------------------ step-up (SEC-SES-08)

    @my_action("/session/step-up/code")
    def send_step_up_code(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> None:
        """A one-time code for the step-up, by SMS or e-mail as at login (nothing is sent
        to someone who uses an authenticator app: its code is typed as it is)."""
        accounts.send_step_up_code(principal, session_token(request) or "")

    @my_action("/session/step-up")
    def step_up(
        self,
        accounts: Accounts,
        principal: LoggedIn,
        request: AnyRequest,
        data: JSONBody[CodeBody],
    ) -> Response[None]:
        """A fresh one-time code: for five minutes this session may export, close, seal
        and grant rights (those answer 401 with `step_up_required` otherwise). The session
        goes on under a new session cookie (SEC-SES-02); its CSRF token stays."""
        token = session_token(request) or ""
        return _renewed(accounts.step_up(principal, token, data.code, client_of(request)))
