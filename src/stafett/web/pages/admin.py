"""Organisation administration: the users of the service and who may coordinate.

Only organisation administrators reach these pages (`Policy.MANAGE_USERS`, the
policy table's `manage_users` row); every change goes through
`applications/administration.py`, which asks the same row again and records
the change as a fact naming the administrator. A new user is made without a
password: an activation link goes to them to choose one. An administrator never
sets or sees a password.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter
from litestar.response import Redirect

from stafett.aggregates.errors import ConflictingValueError, DuplicateError, ValidationError
from stafett.aggregates.policy import AccountAction, account_may
from stafett.applications.accounts import (
    OtpChannel,
    Principal,
    TooManyAttemptsError,
)
from stafett.applications.administration import Administration, ResetRefusedError, UserRow
from stafett.applications.parts import PersonIn
from stafett.web.api.notices import DeadLetter, dead_letters, provide_notices
from stafett.web.auth import Policy, policy, provide_principal, session_token
from stafett.web.i18n import _
from stafett.web.pages.forms import FormError, decode, form_of, text_field
from stafett.web.pages.kept import given_back, keeps_page
from stafett.web.pages.refusals import said
from stafett.web.pages.render import SAVED, Page, in_thread, page, see_other
from stafett.web.params import Accounts, AnyRequest, LoggedIn, PathId
from stafett.web.state import NOTICES, provide_accounts, provided

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "workplace",
    "position",
    "email",
    "mobile",
)

SAVED["user_created"] = lambda: _(
    "The user is made. A link to choose a password has gone to them by e-mail, or by SMS "
    "when they have no e-mail address."
)
SAVED["user_locked"] = lambda: _("The user is locked and logged out everywhere.")
SAVED["user_unlocked"] = lambda: _("The user is unlocked and can log in again.")
SAVED["user_logged_out"] = lambda: _("The user is logged out everywhere.")
SAVED["everyone_logged_out"] = lambda: _(
    "Everyone else is logged out. They can log in again at once; you are still logged in."
)
SAVED["reset_sent"] = lambda: _("A link to choose a new password has gone to the user's e-mail.")
SAVED["authenticator_ended"] = lambda: _(
    "The app is switched off: the user's codes come by SMS again (by e-mail without a mobile "
    "number), their sessions have ended, and they have been told."
)
SAVED["coordinator_granted"] = lambda: _(
    "The user is now a coordinator and can create plans. They were logged out, and have the "
    "new role when they log in again."
)
SAVED["coordinator_revoked"] = lambda: _(
    "The user is no longer a coordinator. They were logged out, and can log in again at once."
)
SAVED["notice_retried"] = lambda: _("The notification will be sent again.")


def provide_administration(accounts: Accounts) -> Administration:
    return Administration(accounts)


Admin = NamedDependency[Administration]


def _dead_letters(request: AnyRequest, principal: Principal) -> list[DeadLetter] | None:
    """Notices given up on, when this process sends notices and the reader may see them."""
    if request.app.state.get(NOTICES) is None or not account_may(
        AccountAction.MANAGE_NOTICES, principal.roles
    ):
        return None
    return dead_letters(provide_notices(request.app.state))


USERS_PAGE = 50  # users shown at a time
MAX_SEARCH = 100  # characters of a search for users
Search = Annotated[str, QueryParameter(max_length=MAX_SEARCH)]
Side = Annotated[int, QueryParameter(ge=1, le=100_000)]


@dataclass(frozen=True, slots=True)
class UsersShown:
    """One page of the users' list: the users found by `search`, `USERS_PAGE` at a time."""

    search: str
    found: list[UserRow]
    side: int  # 1 first

    @property
    def last_side(self) -> int:
        return max(1, -(-len(self.found) // USERS_PAGE))

    @property
    def _start(self) -> int:
        """The index of the first user shown (a page past the end shows the last)."""
        return (min(self.side, self.last_side) - 1) * USERS_PAGE

    @property
    def shown(self) -> list[UserRow]:
        return self.found[self._start : self._start + USERS_PAGE]

    @property
    def first_number(self) -> int:
        return self._start + 1 if self.found else 0

    @property
    def last_number(self) -> int:
        return self._start + len(self.shown)

    def link(self, side: int) -> str:
        """The address of another page of the same search."""
        return "/admin?" + urlencode(({"q": self.search} if self.search else {}) | {"side": side})

    @property
    def kept(self) -> str:
        """What an action on a user adds to its address so that the list it returns to
        is the same search."""
        return "?" + urlencode({"q": self.search}) if self.search else ""


def users_page(
    request: AnyRequest,
    administration: Administration,
    principal: Principal,
    *,
    status: int = 200,
    refusal: str | None = None,
    everyone_unticked: bool = False,
    search: str = "",
    side: int = 1,
) -> Page:
    found = administration.users(principal, search=search)
    shown = UsersShown(search, found, side)
    return page(
        request,
        "admin/index.html",
        status=status,
        users=shown.shown,
        listing=shown,
        refusal=refusal,
        everyone_box=EVERYONE_BOX,
        everyone_unticked=everyone_unticked,
        dead_letters=_dead_letters(request, principal),
    )


# Why an action on a user is refused, by the error: the status of the users' list that
# says it, and what it says.
Refusals = Mapping[type[Exception], tuple[int, Callable[[], str]]]


def on_user(
    action: str,
    method: Callable[[Administration, Principal, UUID], object],
    saved: str,
    refusals: Refusals | None = None,
) -> HTTPRouteHandler:
    """The route of an action on one user that needs nothing but the user (lock, unlock,
    end their sessions, a password link, switch their app off): `method` of
    `Administration`, then the users' list saying `saved`; or, refused, the list again
    saying why."""
    known = dict(refusals or {})
    refused_by = tuple(known)

    async def act_on_user(
        self: Controller,
        *,
        administration: Admin,
        principal: LoggedIn,
        request: AnyRequest,
        person_id: PathId,
        q: Search = "",
    ) -> Page | Redirect:
        try:
            await in_thread(method, administration, principal, person_id)
        except refused_by as error:
            status, why = next(said for kind, said in known.items() if isinstance(error, kind))
            refused: Page = await in_thread(
                users_page,
                request,
                administration,
                principal,
                status=status,
                refusal=why(),
                search=q,
            )
            return refused
        return see_other("/admin", saved=saved, **({"q": q} if q else {}))  # the same search

    return post(f"/users/{{person_id:uuid}}/{action}")(act_on_user)


NEW_USER = "new-user"  # where the form for a new user is kept (kept.py)
EVERYONE_BOX = "confirm_everyone"  # "I understand" before everyone else is logged out


class AdminPages(Controller):
    path = "/admin"
    opt = policy(Policy.MANAGE_USERS)
    dependencies = provided(
        provide_accounts, provide_principal, administration=provide_administration
    )

    @get("", sync_to_thread=True)
    def users(
        self,
        administration: Admin,
        principal: LoggedIn,
        request: AnyRequest,
        q: Search = "",
        side: Side = 1,
    ) -> Page:
        """The users, `USERS_PAGE` at a time; with `q`, those whose username or name has it."""
        return users_page(request, administration, principal, search=q, side=side)

    @get("/users/new", sync_to_thread=True)
    def new_user_form(self, request: AnyRequest, accounts: Accounts, principal: LoggedIn) -> Page:
        """A blank form; after a login, `?kept=1`: the form as typed when the session had
        ended (kept.py)."""
        values: dict[str, Any] = {"otp_channel": "sms"}
        kept = given_back(request, accounts, principal, NEW_USER)
        if kept is not None:
            values |= {k: v for k, v in kept.fields.items() if isinstance(v, str)}
            values["is_coordinator"] = "is_coordinator" in kept.fields
        return page(request, "admin/new_user.html", values=values, errors={}, kept=kept is not None)

    @post("/users", opt=keeps_page(NEW_USER, "/admin/users/new"))
    async def create_user(
        self, administration: Admin, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        fields = await form_of(request)
        values: dict[str, Any] = {
            name: text_field(fields, name) for name in (*PERSON_FIELDS, "username", "otp_channel")
        }
        values["is_coordinator"] = "is_coordinator" in fields
        try:
            person = decode(PersonIn, {name: values[name] for name in PERSON_FIELDS})
            channel = values["otp_channel"]
            if channel not in (OtpChannel.SMS.value, OtpChannel.EMAIL.value):
                raise FormError({"otp_channel": _("Choose SMS or e-mail.")})
            details = person.ref()
            assert not isinstance(details, UUID)  # a form has no person id field
            await in_thread(
                administration.open_account,
                principal,
                username=values["username"],
                details=details,
                otp_channel=OtpChannel(channel),
                is_coordinator=bool(values["is_coordinator"]),
            )
            return see_other("/admin", saved="user_created")
        except FormError as error:
            errors = error.errors
        except ValidationError as error:
            errors = {error.field: said(error)}
        except DuplicateError:
            errors = {"username": _("The username is taken. Choose another.")}
        return page(
            request, "admin/new_user.html", status=422, values=values, errors=errors, kept=False
        )

    @post("/notifications/{notice_id:uuid}/retry", opt=policy(Policy.MANAGE_NOTICES))
    async def retry_notice(self, request: AnyRequest, notice_id: PathId) -> Redirect:
        """A notice given up on, due again (decision 0020)."""
        notices = provide_notices(request.app.state)
        if not await in_thread(notices.retry, notice_id):
            raise NotFoundException(_("No such notification."))
        return see_other("/admin", saved="notice_retried")

    lock = on_user("lock", Administration.lock, "user_locked")
    # Every login of the user ends; the account stays open.
    log_out = on_user("sessions/end", Administration.log_out, "user_logged_out")
    unlock = on_user("unlock", Administration.unlock, "user_unlocked")

    @post("/sessions/end")
    async def log_out_everyone(
        self, administration: Admin, principal: LoggedIn, request: AnyRequest
    ) -> Page | Redirect:
        """Every login of every user ends, except this one; after the "I understand" box."""
        if EVERYONE_BOX not in await form_of(request):
            return await in_thread(
                users_page, request, administration, principal, status=422, everyone_unticked=True
            )
        token = session_token(request) or ""
        await in_thread(administration.log_out_everyone, principal, token)
        return see_other("/admin", saved="everyone_logged_out")

    reset = on_user(
        "reset",
        Administration.start_reset,
        "reset_sent",
        {
            ResetRefusedError: (
                403,
                lambda: _(
                    "This user gets the one-time code by SMS or from an app, so they reset the "
                    "password themselves: “Forgotten your password?” on the login page sends a "
                    "link to their e-mail, and the code still comes to their phone. Only users "
                    "whose codes go by e-mail are reset by an administrator, because a link and "
                    "a code in the same mailbox must not be enough on their own."
                ),
            ),
            TooManyAttemptsError: (
                429,
                lambda: _(
                    "Several links have been sent to this user in the last hour. Wait a while."
                ),
            ),
        },
    )
    # A lost phone with the authenticator app: the codes go by SMS or e-mail again.
    end_authenticator = on_user(
        "authenticator",
        Administration.end_authenticator,
        "authenticator_ended",
        {
            ConflictingValueError: (
                409,
                lambda: _("This user does not get the one-time code from an app."),
            )
        },
    )

    @post("/users/{person_id:uuid}/coordinator")
    async def coordinator(
        self,
        *,
        administration: Admin,
        principal: LoggedIn,
        request: AnyRequest,
        person_id: PathId,
        q: Search = "",
    ) -> Redirect:
        grant = text_field(await form_of(request), "coordinator") == "yes"
        await in_thread(administration.set_coordinator, principal, person_id, coordinator=grant)
        saved = "coordinator_granted" if grant else "coordinator_revoked"
        return see_other("/admin", saved=saved, **({"q": q} if q else {}))
