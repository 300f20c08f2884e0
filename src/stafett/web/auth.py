"""Who is calling, and whether a route lets them in: deny by default.

Every route declares `opt={"policy": …}`; `check_policies` refuses to build an
app with a route that does not (SEC-AC-02). The guard reads the session cookie
on every request and asks the account service for a live session, so an ended
or expired session is refused on its next request; rights inside plans are
read from plan state by the handlers, never from the session (SEC-AC-05).

The same guard is the one place that refuses cross-site changes (SEC-CSRF-01):
every POST, PUT, PATCH and DELETE with a logged-in session must carry the
synchronizer token HMAC-SHA256(secret key, "csrf|" + the session's login key) in
`x-csrftoken` (a page's form sends it as its `csrf_token` field), so a token is
worth nothing with another session. It is bound to the login (a random key the
session row keeps and the server never sends), not to the session's token, because
the token changes at every authentication step (SEC-SES-02: a step-up, a password
change) and a form open in another tab must still go through after one. A request
whose `Sec-Fetch-Site` or `Origin` says it comes from another site is refused
whatever it carries. Only the steps before a session exists (login, code,
terms, password reset) are exempt from the token, as decision 0006 says.
"""

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import anyio
import structlog
from litestar import Litestar, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from stafett.aggregates.policy import AccountAction, account_may
from stafett.applications.accounts import AccountService, LoginStep, Principal
from stafett.applications.kept_forms import EndedSession
from stafett.applications.lockout import DEVICE_LIFETIME, Client
from stafett.web.state import ACCOUNTS, CSRF_KEY

SESSION_COOKIE = "__Host-sid"
DEVICE_COOKIE = "__Host-device"  # a signed "this browser has logged in here" (decision 0010)
CSRF_HEADER = "x-csrftoken"
AGENT_LIMIT = 200  # characters of a login's User-Agent kept with its session
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})  # "none": typed or bookmarked by the user
SCHEMA_PREFIX = "/schema"
# Login-type steps, counted per network address: the API's and the pages' alike.
RATE_LIMITED_PREFIXES = (
    "/api/v1/session",
    "/api/v1/password-reset",
    "/login",
    "/password-reset",
    "/reset/",
    "/confirm-number",
)
PRINCIPAL = "principal"
KEEPS_FORM = "keeps_form"  # opt: the route's form is kept when its session has ended
KEPT_AT = "kept_at"  # state: where the login returns to a form kept (_keep_form)
log = structlog.get_logger(__name__)


class Policy(Enum):
    """A route's gate. Account-level gates are rows of the policy table (`ACCOUNT_RULES`)."""

    PUBLIC = "public"  # login steps, health, password reset
    AUTHENTICATED = "authenticated"  # any logged-in person; plan rules decide the rest
    CREATE_PLAN = AccountAction.CREATE_PLAN
    SEARCH_DIRECTORY = AccountAction.SEARCH_DIRECTORY
    READ_REPORTS = AccountAction.READ_REPORTS
    MANAGE_USERS = AccountAction.MANAGE_USERS
    SEARCH_PLANS = AccountAction.SEARCH_PLANS
    MANAGE_NOTICES = AccountAction.MANAGE_NOTICES


class AccountRefusedError(PermissionDeniedException):
    """A refusal by an account-level row of the policy table (`ACCOUNT_RULES`): as every
    403 to an API client; a page says who gives that access (`pages/errors.py`)."""

    def __init__(self, action: AccountAction) -> None:
        super().__init__("Ikke tillatt")
        self.action = action


def policy(kind: Policy, *, pre_login: bool = False) -> dict[str, Any]:
    """A route's policy; `pre_login` marks a login or reset step, which needs no CSRF token.

    Those steps run before any session exists, so no token can be bound to one; they
    are covered by SameSite=Strict cookies, JSON-only bodies, the same-site check and
    the account's own limits (decision 0006).
    """
    return {"policy": kind, "pre_login": pre_login}


PUBLIC = policy(Policy.PUBLIC)
PRE_LOGIN = policy(Policy.PUBLIC, pre_login=True)  # a login or reset step


async def policy_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    kind = handler.opt.get("policy")
    if kind is Policy.PUBLIC and connection.scope.get("method") not in UNSAFE_METHODS:
        return  # a public read: no session to look up, no token or counter to check
    if connection.url.path.startswith(SCHEMA_PREFIX) and kind is None:
        return  # the OpenAPI routes, mounted in development only (create_app)
    if not isinstance(kind, Policy):
        log.error("authz_fail", reason="route without policy", path=_route(connection))
        raise PermissionDeniedException("Ikke tillatt")
    unsafe = connection.scope.get("method") in UNSAFE_METHODS
    if unsafe:
        _refuse_cross_site(connection)
    accounts: AccountService = connection.app.state[ACCOUNTS]
    token = connection.cookies.get(SESSION_COOKIE)
    needs_csrf = unsafe and not handler.opt.get("pre_login", False)
    if kind is Policy.PUBLIC:
        if connection.scope.get("method") == "POST" and connection.url.path.startswith(
            RATE_LIMITED_PREFIXES
        ):
            address = connection.client.host if connection.client else "unknown"
            await anyio.to_thread.run_sync(accounts.note_attempt, address)
        if needs_csrf and token:  # logout: a full session must prove the page is ours
            full = await anyio.to_thread.run_sync(accounts.authenticate, token)
            if full is not None:
                await _check_csrf(connection, full)
        if unsafe and _is_form(connection):
            _require_browser_origin(connection)
        return
    # On the loop (decision 0035): a session lookup is a read by its key, and a hop to a
    # worker thread and back costs more than it under load.
    found = accounts.session_of(token)
    keeper = handler.opt.get(KEEPS_FORM)
    if isinstance(found, EndedSession) and needs_csrf and keeper is not None:
        await _keep_form(connection, found, keeper)
    if not isinstance(found, Principal):
        raise NotAuthorizedException("Du må logge inn")
    principal = found
    if needs_csrf:
        await _check_csrf(connection, principal)
    if isinstance(kind.value, AccountAction) and not account_may(kind.value, principal.roles):
        log.info("authz_fail", actor=str(principal.person_id), path=_route(connection))
        raise AccountRefusedError(kind.value)
    connection.state[PRINCIPAL] = principal


async def _keep_form(
    connection: ASGIConnection[Any, Any, Any, Any],
    ended: EndedSession,
    keeper: Callable[[Any, EndedSession], Awaitable[str]],
) -> None:
    """A form sent just after its session ended, with that session's own CSRF token: the
    route's `keeper` keeps it for its writer (`pages/kept.py`), and the login page will
    return to where it answers (`KEPT_AT`). Any other form (without a token, or with
    another session's) is not kept, and is refused as every other."""
    presented = await _presented_token(connection)
    expected = csrf_token(connection.app.state[CSRF_KEY], ended.login_key)
    if expected and presented and hmac.compare_digest(presented.encode(), expected.encode()):
        connection.state[KEPT_AT] = await keeper(connection, ended)


def _route(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The route's template for logs: the raw path may hold a token (a reset link)."""
    return str(connection.scope.get("path_template", "(no route)"))


def csrf_token(secret: bytes, login_key: str) -> str:
    """The synchronizer token of one login (its `login_key`, random, known only to the
    server): useless with any other session, kept by this one through its token's
    changes. No key, no token: "" matches nothing (`_check_csrf`)."""
    if not login_key:
        return ""
    return hmac.new(secret, b"csrf|" + login_key.encode(), hashlib.sha256).hexdigest()


def csrf_token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The CSRF token for the logged-in session the request carries ("" without one).

    A route behind a login has the session's principal already; a public page (help,
    the login page) looks the session up only when the request carries a cookie."""
    principal = connection.state.get(PRINCIPAL)
    if isinstance(principal, Principal):
        return csrf_token(connection.app.state[CSRF_KEY], principal.login_key)
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return ""
    accounts: AccountService = connection.app.state[ACCOUNTS]
    login_key = accounts.login_key(token)
    return "" if login_key is None else csrf_token(connection.app.state[CSRF_KEY], login_key)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSRF_FIELD = "csrf_token"


def _is_form(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.headers.get("content-type", "").lower().startswith(FORM_TYPES)


async def _presented_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token in the header, else in the form's field (the form is parsed once and
    kept by litestar for the handler)."""
    presented = connection.headers.get(CSRF_HEADER, "")
    if presented or not _is_form(connection) or not isinstance(connection, Request):
        return presented
    value = (await connection.form()).get(CSRF_FIELD, "")
    return value if isinstance(value, str) else ""


def _require_browser_origin(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """A form posted before login carries no token, so it must say where it comes from:
    every browser sends `Origin` or `Sec-Fetch-Site` with a form (and one from another
    site has already been refused). A form without either is not from a page of ours."""
    if (
        connection.headers.get("origin") is None
        and connection.headers.get("sec-fetch-site") is None
    ):
        log.warning("malicious_csrf", reason="form without origin", path=_route(connection))
        raise PermissionDeniedException("Ikke tillatt")


async def _check_csrf(connection: ASGIConnection[Any, Any, Any, Any], principal: Principal) -> None:
    presented = await _presented_token(connection)
    key = connection.app.state[CSRF_KEY]
    expected = csrf_token(key, principal.login_key)
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        await _discard_uploads(connection)
        log.warning(
            "malicious_csrf",
            reason="missing token" if not presented else "wrong token",
            path=_route(connection),
        )
        raise PermissionDeniedException("Ikke tillatt")


async def _discard_uploads(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Close the files of a refused multipart form (a photo): its handler, which would
    close them, never runs."""
    if isinstance(connection, Request) and _is_form(connection):
        for _name, value in (await connection.form()).multi_items():
            if isinstance(value, UploadFile):
                await value.close()


def _refuse_cross_site(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """A change asked for by another site's page: refused before any other work.

    `Sec-Fetch-Site` is set by the browser and cannot be forged by a page, so where it
    is present it decides. Only without it does `Origin` decide; then an opaque
    `Origin: null` counts as another site. (Chromium sends `null` with a same-origin
    form under our `Referrer-Policy: no-referrer`, together with
    `Sec-Fetch-Site: same-origin`.)
    """
    fetch_site = connection.headers.get("sec-fetch-site")
    origin = connection.headers.get("origin")
    if fetch_site is not None:
        cross = fetch_site.lower() not in SAME_SITE_FETCHES
    else:
        cross = origin is not None and origin.lower() not in _own_origins(connection)
    if cross:
        log.warning(
            "malicious_csrf",
            reason="cross-site request",
            sec_fetch_site=fetch_site,
            path=_route(connection),
        )
        raise PermissionDeniedException("Ikke tillatt")


def _own_origins(connection: ASGIConnection[Any, Any, Any, Any]) -> set[str]:
    """This request's own origin, and the public URL's (behind a proxy terminating TLS)."""
    url = connection.url
    origins = {f"{url.scheme}://{url.netloc}".lower()}
    accounts: AccountService = connection.app.state[ACCOUNTS]
    public = urlsplit(accounts.public_url)
    if public.scheme and public.netloc:
        origins.add(f"{public.scheme}://{public.netloc}".lower())
    return origins


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal: Principal = request.state[PRINCIPAL]
    return principal


def session_token(request: Request[Any, Any, Any]) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def set_session_cookie(response: Response[Any], token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict"
    )


def client_of(request: Request[Any, Any, Any]) -> Client:
    """The network address and the device token of the caller, for the login counters."""
    address = request.client.host if request.client else "unknown"
    agent = request.headers.get("user-agent", "")[:AGENT_LIMIT]
    return Client(address=address, device=request.cookies.get(DEVICE_COOKIE), agent=agent)


def set_device_cookie(response: Response[Any], token: str) -> None:
    """Kept across logouts on purpose: it grants nothing, it only selects the counter."""
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def set_step_cookies(response: Response[Any], step: LoginStep) -> None:
    """A login step's session cookie, and the device cookie when the step brings one."""
    set_session_cookie(response, step.token)
    if step.device is not None:
        set_device_cookie(response, step.device)


def clear_session_cookie(response: Response[Any]) -> None:
    """Expire the cookie with the attributes it was set with: browsers ignore a
    `__Host-` cookie set without Secure, so a bare deletion would leave it in place."""
    response.set_cookie(
        SESSION_COOKIE, "", max_age=0, path="/", secure=True, httponly=True, samesite="strict"
    )
    # Not "cookies": that would also wipe the device cookie, which must outlive the
    # session so that others' failures never lock this browser out (decision 0010).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'


def check_policies(app: Litestar) -> None:
    """Refuse to start when a route has no policy (the OpenAPI routes excepted), or is
    served without the policy guard though it is more than a public read."""
    for route in app.routes:
        if route.path.startswith(SCHEMA_PREFIX):
            continue
        for handler in getattr(route, "route_handlers", ()):
            methods = set(getattr(handler, "http_methods", ()))
            if methods == {"OPTIONS"}:
                continue  # litestar's preflight: refused by the guard, else it names the methods
            kind = handler.opt.get("policy")
            if not isinstance(kind, Policy):
                msg = f"route {route.path} ({handler.handler_name}) declares no policy"
                raise RuntimeError(msg)
            public_read = kind is Policy.PUBLIC and not methods & UNSAFE_METHODS
            if policy_guard not in handler.resolve_guards() and not public_read:
                msg = f"route {route.path} ({handler.handler_name}) is outside the policy guard"
                raise RuntimeError(msg)
