"""Who is calling, and whether a route lets them in: deny by default.

Every route declares `opt={"policy": …}`; `check_policies` refuses to build an
app with a route that does not (SEC-AC-02). The guard reads the session cookie
on every request and asks the account service for a live session, so an ended
or expired session is refused on its next request; rights inside plans are
read from plan state by the handlers, never from the session (SEC-AC-05).
"""

from enum import Enum
from typing import Any

import anyio
import structlog
from litestar import Litestar, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from stafett.aggregates.policy import AccountAction, account_may
from stafett.applications.accounts import AccountService, Principal
from stafett.web.state import ACCOUNTS

SESSION_COOKIE = "__Host-sid"
SCHEMA_PREFIX = "/schema"
RATE_LIMITED_PREFIXES = ("/api/v1/session", "/api/v1/password-reset")
PRINCIPAL = "principal"
log = structlog.get_logger(__name__)


class Policy(Enum):
    """A route's gate. Account-level gates are rows of the policy table (`ACCOUNT_RULES`)."""

    PUBLIC = "public"  # login steps, health, password reset
    AUTHENTICATED = "authenticated"  # any logged-in person; plan rules decide the rest
    CREATE_PLAN = AccountAction.CREATE_PLAN
    SEARCH_DIRECTORY = AccountAction.SEARCH_DIRECTORY
    READ_REPORTS = AccountAction.READ_REPORTS


def policy(kind: Policy) -> dict[str, Any]:
    return {"policy": kind}


async def policy_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    kind = handler.opt.get("policy")
    if connection.url.path.startswith(SCHEMA_PREFIX) and kind is None:
        return  # the OpenAPI routes, mounted in development only (create_app)
    if not isinstance(kind, Policy):
        log.error("authz_fail", reason="route without policy", path=_route(connection))
        raise PermissionDeniedException("Ikke tillatt")
    if kind is Policy.PUBLIC:
        if connection.scope.get("method") == "POST" and connection.url.path.startswith(
            RATE_LIMITED_PREFIXES
        ):
            accounts_: AccountService = connection.app.state[ACCOUNTS]
            address = connection.client.host if connection.client else "unknown"
            await anyio.to_thread.run_sync(accounts_.note_attempt, address)
        return
    accounts: AccountService = connection.app.state[ACCOUNTS]
    token = connection.cookies.get(SESSION_COOKIE)
    principal = await anyio.to_thread.run_sync(accounts.authenticate, token)
    if principal is None:
        raise NotAuthorizedException("Du må logge inn")
    if isinstance(kind.value, AccountAction) and not account_may(kind.value, principal.roles):
        log.info("authz_fail", actor=str(principal.person_id), path=_route(connection))
        raise PermissionDeniedException("Ikke tillatt")
    connection.state[PRINCIPAL] = principal


def _route(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The route's template for logs: the raw path may hold a token (a reset link)."""
    return str(connection.scope.get("path_template", "(no route)"))


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal: Principal = request.state[PRINCIPAL]
    return principal


def session_token(request: Request[Any, Any, Any]) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def set_session_cookie(response: Response[Any], token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, path="/", secure=True, httponly=True, samesite="strict"
    )


def clear_session_cookie(response: Response[Any]) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'


def check_policies(app: Litestar) -> None:
    """Refuse to start when a route has no policy (the OpenAPI routes excepted)."""
    for route in app.routes:
        if route.path.startswith(SCHEMA_PREFIX):
            continue
        for handler in getattr(route, "route_handlers", ()):
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                continue  # litestar's own preflight answer; the guard refuses it anyway
            if not isinstance(handler.opt.get("policy"), Policy):
                msg = f"route {route.path} ({handler.handler_name}) declares no policy"
                raise RuntimeError(msg)
