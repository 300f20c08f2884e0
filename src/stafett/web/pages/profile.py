"""My profile ("Detaljer" in the guide): my details, how I log in, my password, my sessions.

Each form calls the `AccountService` method its JSON route calls (`PATCH
/api/v1/me`, `PUT /api/v1/me/password`, `POST /api/v1/me/totp` and its
confirmation), so the rules are the service's: a new mobile number or e-mail
address needs the password, a new code channel must have somewhere to go, a
wrong password counts as at login. The details form sends every field; what it
changes are the fields edited since it was filled in (`person_edits.py`, decision
0037), and an emptied one of those is cleared (unlike a plan form, where empty means
"left out"). Passwords are never shown again on a refused form.
"""

from collections.abc import Callable, Collection
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import msgspec
import segno
from litestar import Controller, get, post
from litestar.response import Redirect

from stafett.aggregates.errors import NotPermittedError, Refusal, ValidationError
from stafett.applications.accounts import (
    AccountService,
    CodeRejectedError,
    OtpChannel,
    Principal,
    TooManyAttemptsError,
)
from stafett.applications.own_account import NoSuchSessionError
from stafett.applications.parts import PersonChange
from stafett.applications.step_up import StepUpRequiredError
from stafett.web.auth import (
    Policy,
    clear_session_cookie,
    client_of,
    policy,
    provide_principal,
    session_token,
    set_session_cookie,
)
from stafett.web.i18n import _
from stafett.web.pages.forms import (
    CODE_LIMIT,
    FormError,
    form_of,
    new_password_of,
    text_field,
    too_many,
)
from stafett.web.pages.kept import given_back, keeps_page
from stafett.web.pages.person_edits import (
    LABELS,
    SHOWN,
    edits_of,
    form_values,
    shown_field,
    typed_values,
)
from stafett.web.pages.refusals import PASSWORD, Own, explain, said
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import Accounts, AnyRequest, LoggedIn, SessionHandle
from stafett.web.state import provide_accounts, provided

T = TypeVar("T")
SAVED["details_saved"] = lambda: _("Your details are saved.")
SAVED["channel_changed"] = lambda: _("From your next login the code comes the new way.")
SAVED["authenticator_on"] = lambda: _(
    "The authenticator app is set up. From your next login the code comes from the app."
)
SAVED["password_changed"] = lambda: _(
    "Your new password is saved. You are logged out everywhere else."
)
SAVED["logged_out_everywhere"] = lambda: _("You are logged out everywhere, here too.")
SAVED["session_ended"] = lambda: _("That login has ended. It must log in again to be used.")
SAVED["session_gone"] = lambda: _("That login had ended already.")

# The details form's labels where they differ from the participant page's.
OWN_LABELS = LABELS | {
    "street_address": lambda: _("Street address"),
    "hide_mobile": lambda: _("Hide my mobile number from others"),
    "hide_phone": lambda: _("Hide my phone number from others"),
    "restrict_search": lambda: _("Restrict search: others cannot find me by name"),
}


def change_of(fields: dict[str, Any], edited: Collection[str]) -> PersonChange:
    """The edited fields of the details form as a change: an emptied one clears the field."""
    typed = typed_values(fields)
    given: dict[str, Any] = {name: typed[name] for name in edited}
    if "birth_date" in given:
        given["birth_date"] = str(given["birth_date"]).strip() or None
    try:
        return msgspec.convert(given, PersonChange, strict=False)
    except msgspec.ValidationError as error:
        raise FormError(dict([explain(error, YOURS)])) from None


# My profile speaks to the person about their own codes.
YOURS: Own = {
    Refusal.NEEDS_MOBILE_FOR_SMS: lambda e: _(
        "Your codes come by SMS, so you need a mobile number."
    ),
    Refusal.NEEDS_EMAIL_FOR_EMAIL_CODES: lambda e: _(
        "Your codes come by e-mail, so you need an e-mail address."
    ),
}


def detail_message(error: ValidationError) -> tuple[str, str]:
    """(form field, message) for a refusal of the details or the code channel."""
    if error.field == "current_password":
        return "confirm_password", _(
            "Type your password to change your mobile number or e-mail address."
        )
    return error.field, said(error, YOURS)


PASSWORD_REFUSALS = (NotPermittedError, TooManyAttemptsError)


def password_refusal(error: NotPermittedError | TooManyAttemptsError) -> str:
    """Why the password that confirms a change was refused: wrong, or tried too often."""
    if isinstance(error, TooManyAttemptsError):
        return too_many(error)
    return _("The password is wrong.")


async def with_password(
    fields: dict[str, Any], field: str, method: Callable[..., T], *args: Any
) -> T:
    """`method(*args)` in a worker thread, confirmed by the password typed in `field`; a
    refused password as a `FormError` on that field."""
    try:
        return await in_thread(method, *args, current_password=text_field(fields, field))
    except PASSWORD_REFUSALS as error:
        raise FormError({field: password_refusal(error)}) from None


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (presentation attributes only, no `style`)."""
    svg: str = segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title=_("QR code for your authenticator app")
    )
    return svg


def secret_of(uri: str) -> str:
    """The key in the URI, in groups of four, for typing into an app by hand."""
    secret = parse_qs(urlsplit(uri).query).get("secret", [""])[0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def authenticator_page(
    request: AnyRequest,
    uri: str | None,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Page:
    """Setting up an authenticator app: the QR code and key of a new `uri`; without one
    (a refused code) only the code field, as the key is not shown twice."""
    return page(
        request,
        "profile/authenticator.html",
        status=status,
        qr=None if uri is None else qr_svg(uri),
        secret=None if uri is None else secret_of(uri),
        uri=uri,
        errors=errors or {},
    )


def profile_page(
    request: AnyRequest,
    accounts: AccountService,
    principal: Principal,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    failed: str = "",
    photo_errors: dict[str, str] | None = None,
    shown: str | None = None,
    kept: bool = False,
) -> Page:
    """My profile; a refused form's messages and values (the photo's from `pages/photo.py`);
    `kept`: the details are a form given back after the login (kept.py)."""
    mine = accounts.my_account(principal)
    return page(
        request,
        "profile/index.html",
        status=status,
        mine=mine,
        values=values if values is not None else form_values(mine.details),
        shown=shown if shown is not None else shown_field(mine.details),
        sessions=accounts.live_sessions(principal, session_token(request)),
        errors=errors or {},
        failed=failed,
        photo_errors=photo_errors or {},
        kept=kept,
    )


async def refused_profile(
    request: AnyRequest,
    accounts: AccountService,
    principal: Principal,
    *,
    failed: str,
    errors: dict[str, str],
    values: dict[str, Any] | None = None,
    status: int = 422,
    shown: str | None = None,
) -> Page:
    """The profile again, with the refused form's messages (and values, and the details
    form's `shown` field read with them)."""
    refused: Page = await in_thread(
        profile_page,
        request,
        accounts,
        principal,
        status=status,
        errors=errors,
        values=values,
        failed=failed,
        shown=shown,
    )
    return refused


MY_DETAILS = "my-details"  # where one's own details form is kept (kept.py)


class OnMyProfile(Controller):
    """The pages of My profile: the logged-in person's own account (`accounts`)."""

    path = "/profile"
    opt = policy(Policy.AUTHENTICATED)
    dependencies = provided(provide_accounts, provide_principal)


class ProfilePages(OnMyProfile):
    @get("", sync_to_thread=True)
    def profile(self, accounts: Accounts, principal: LoggedIn, request: AnyRequest) -> Page:
        kept = given_back(request, accounts, principal, MY_DETAILS)
        if kept is None:
            return profile_page(request, accounts, principal)
        # After a login: my details as typed when the session had ended (kept.py), against
        # what the form showed then, so that a save still meets a change made since.
        edits = edits_of(kept.fields, accounts.my_account(principal).details)
        shown = kept.fields.get(SHOWN)
        return profile_page(
            request,
            accounts,
            principal,
            values=edits.refill,
            shown=shown if isinstance(shown, str) else None,
            kept=True,
        )

    @post("/details", opt=keeps_page(MY_DETAILS, "/profile", "details"))
    async def save_details(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        fields = await form_of(request)
        password = text_field(fields, "confirm_password") or None
        before = await in_thread(accounts.my_account, principal)
        edits = edits_of(fields, before.details)
        if edits.clashes:  # nothing is saved: the person sees the other change first
            return await refused_profile(
                request,
                accounts,
                principal,
                failed="details",
                errors=edits.messages(OWN_LABELS),
                values=edits.refill,
                status=409,
                shown=edits.shown,
            )
        if not edits.edited:
            return see_other("/profile", saved="details_saved")
        try:
            person = await in_thread(
                lambda: accounts.change_details(
                    principal,
                    client_of(request),
                    change_of(fields, edits.edited),
                    current_password=password,
                    token=session_token(request),
                )
            )
            if person.details.mobile and person.details.mobile != before.details.mobile:
                after = await in_thread(accounts.my_account, principal)
                if not after.mobile_confirmed:  # a code went to the new number
                    # to the box where the code is typed, far below the details form
                    return see_other("/profile", at="mobile-confirm", saved="mobile_code_sent")
            return see_other("/profile", saved="details_saved")
        except FormError as error:
            errors = error.errors
        except ValidationError as error:
            errors = dict([detail_message(error)])
        except PASSWORD_REFUSALS as error:
            errors = {"confirm_password": password_refusal(error)}
        return await refused_profile(
            request,
            accounts,
            principal,
            failed="details",
            errors=errors,
            values=edits.refill,
            shown=edits.shown,
        )

    @post("/channel")
    async def change_channel(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        fields = await form_of(request)
        chosen = text_field(fields, "otp_channel")
        try:
            if chosen not in (OtpChannel.SMS.value, OtpChannel.EMAIL.value):
                raise FormError({"otp_channel": _("Choose SMS or e-mail.")})
            await with_password(
                fields,
                "channel_password",
                accounts.set_otp_channel,
                principal,
                client_of(request),
                OtpChannel(chosen),
            )
            return see_other("/profile", saved="channel_changed")
        except FormError as error:
            errors = error.errors
        except ValidationError as error:
            errors = {"otp_channel": detail_message(error)[1]}
        return await refused_profile(request, accounts, principal, failed="channel", errors=errors)

    @post("/authenticator")
    async def start_authenticator(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page:
        fields = await form_of(request)
        try:
            uri = await with_password(
                fields, "app_password", accounts.enrol_totp, principal, client_of(request)
            )
        except FormError as error:
            return await refused_profile(
                request, accounts, principal, failed="authenticator", errors=error.errors
            )
        return authenticator_page(request, uri)

    @post("/authenticator/confirm")
    async def confirm_authenticator(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        fields = await form_of(request)
        try:
            await in_thread(
                accounts.confirm_totp, principal, text_field(fields, "code", CODE_LIMIT)
            )
            return see_other("/profile", saved="authenticator_on")
        except CodeRejectedError:
            message = _(
                "The code is not right. Type the code the app shows now, or start again "
                "from My profile."
            )
        return authenticator_page(request, None, status=422, errors={"code": message})

    @post("/password")
    async def change_password(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        fields = await form_of(request)
        try:
            new = new_password_of(fields)
            renewed = await in_thread(
                accounts.change_password,
                principal,
                session_token(request) or "",
                client_of(request),
                current=text_field(fields, "current_password"),
                new=new,
            )
            response = see_other("/profile", saved="password_changed")
            if renewed is None:  # this session ended meanwhile
                clear_session_cookie(response)
            else:  # a new session token (SEC-SES-02)
                set_session_cookie(response, renewed)
            return response
        except FormError as error:
            errors = error.errors
        except NotPermittedError:
            errors = {"current_password": _("The current password is wrong.")}
        except TooManyAttemptsError as error:
            errors = {"current_password": too_many(error)}
        except ValidationError as error:
            errors = {"new_password": said(error, PASSWORD)}
        return await refused_profile(request, accounts, principal, failed="password", errors=errors)

    @post("/sessions/{handle:str}/end")
    async def log_out_one(
        self, accounts: Accounts, principal: LoggedIn, handle: SessionHandle
    ) -> Redirect:
        """One of my logins ends (SEC-SES-07), after a fresh one-time code: without one,
        to the step-up page, and back here to do it again."""
        try:
            await in_thread(accounts.end_session, principal, handle)
        except StepUpRequiredError:
            return see_other("/step-up", next="/profile")
        except NoSuchSessionError:
            return see_other("/profile", saved="session_gone")
        return see_other("/profile", saved="session_ended")

    @post("/sessions/end")
    async def log_out_everywhere(
        self, accounts: Accounts, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        """Every session of mine ends, this one too: back to the login page."""
        fields = await form_of(request)
        try:
            await with_password(
                fields,
                "sessions_password",
                accounts.end_all_sessions,
                principal,
                client_of(request),
            )
        except FormError as error:
            return await refused_profile(
                request, accounts, principal, failed="sessions", errors=error.errors
            )
        response = see_other("/login", saved="logged_out_everywhere")
        clear_session_cookie(response)
        return response
