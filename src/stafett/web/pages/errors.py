"""What a page shows when something is refused or fails: a page, never a trace.

The statuses come from the web's one error table (`web/errors.py`), so a page
and the JSON API refuse alike; only the wording is the page's. A request
without a live session goes to the login page, which brings the person back; an
action that needs a fresh one-time code goes to the step-up page, which brings the
person back to the form, kept as typed (`pages/kept.py`, decision 0031).

A refusal by the guard (an account-level page) or the router (no such address) comes
before the page router's `before_request`: the page is still made as the person's
others are, in their language and with their header, the session looked up without
a write.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import structlog
from litestar import Response
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.types import ExceptionHandlersMap

from stafett.aggregates.policy import AccountAction
from stafett.applications.accounts import AccountService
from stafett.applications.step_up import StepUpRequiredError
from stafett.persistence.outage import DATABASE_UNAVAILABLE
from stafett.web.auth import KEPT_AT, PRINCIPAL, AccountRefusedError, session_token
from stafett.web.errors import ERROR_TABLE
from stafett.web.i18n import _
from stafett.web.pages.render import choose_page_language, page
from stafett.web.pages.step_up import STEP_UP_RETURNS
from stafett.web.params import AnyRequest
from stafett.web.state import ACCOUNTS

log = structlog.get_logger(__name__)


def status_of(exc: Exception) -> int:
    """The error table's status for `exc` (an HTTP error's own); 500 for one it does not know."""
    if isinstance(exc, HTTPException):
        return exc.status_code
    return _known_status(exc) or 500


def _known_status(exc: Exception) -> int | None:
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls][0]
    return None


def message_of(status: int) -> tuple[str, str]:
    """(title, what to do) for a refused page."""
    if status == 403:
        return _("Not allowed"), _("You do not have access to this. Ask the plan's coordinator.")
    if status == 404:
        return _("Not found"), _("The page or plan does not exist, or you are not in its group.")
    if status == 405:
        return _("Nothing to show here"), _(
            "This address sends a form; it shows no page. Go back to the page and fill in "
            "the form there."
        )
    if status == 409:
        return _("Not possible now"), _("The plan has changed or is closed. Open it again.")
    if status in (400, 413, 415, 422):
        return _("Could not be read"), _("Something in the form could not be read. Try again.")
    if status == 429:
        return _("Too many attempts"), _("Wait a little and try again.")
    if status == 503:
        return _("Temporarily unavailable"), _("Try again in a moment.")
    return _("Something went wrong"), _("Something went wrong. Try again later.")


def _administrators_only() -> str:
    return _(
        "Only your organisation's administrators have access to this. Ask an administrator "
        "if you need it."
    )


# Who gives the access an account-level row of the policy table refused (a 403 inside a
# plan keeps "ask the plan's coordinator").
ACCOUNT_ADVICE: dict[AccountAction, Callable[[], str]] = {
    AccountAction.CREATE_PLAN: lambda: _(
        "Only coordinators create plans. An administrator in your organisation can make "
        "you a coordinator."
    ),
    AccountAction.READ_REPORTS: _administrators_only,
    AccountAction.MANAGE_USERS: _administrators_only,
    AccountAction.MANAGE_NOTICES: _administrators_only,
}


def advice_of(exc: Exception, status: int) -> tuple[str, str]:
    """(title, what to do) for the refusal `exc`: as `message_of`, but an account-level
    refusal says who can give that access."""
    title, advice = message_of(status)
    if isinstance(exc, AccountRefusedError):
        advice = ACCOUNT_ADVICE.get(exc.action, _no_account_access)()
    return title, advice


def _no_account_access() -> str:
    return _(
        "Your account does not have access to this. Ask an administrator in your organisation."
    )


def page_error(request: AnyRequest, exc: Exception) -> Response[Any]:
    if isinstance(exc, StepUpRequiredError):
        return _go(request, _step_up(request, exc))
    if isinstance(exc, NotAuthorizedException):
        # A form sent after the session ended: its page (drafts.js) keeps the text and
        # brings the person back to it after the login (`expired=1`).
        # Without scripts too: a form worth keeping is kept on the server for its writer
        # (pages/kept.py), and the login returns to the page that gives it back.
        target = request.state.get(KEPT_AT) or (
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        expired = "&expired=1" if request.method != "GET" else ""
        return _go(request, f"/login?next={quote(target, safe='')}{expired}")
    status = status_of(exc)
    path = request.scope.get("path_template", "(no route)")
    if not isinstance(exc, HTTPException) and _known_status(exc) is None:
        log.exception("unhandled_error", path=path)  # the unexpected, with its trace
    elif status >= 500:
        # A known failure (the access log or the database unavailable): its class only,
        # no trace, whose frames' variables would include the session's token.
        log.warning("page_unavailable", path=path, status=status, error=type(exc).__name__)
    _as_their_page(request, status)
    title, advice = advice_of(exc, status)
    headers = {"Retry-After": "5"} if status == 503 else None
    template = page(request, "error.html", status=status, title=title, advice=advice)
    if headers:
        template.headers.update(headers)
    return template


def _go(request: AnyRequest, path: str) -> Response[Any]:
    """To another page of ours: a 303. A form sent by htmx would follow the 303 inside
    the page and swap in the login form where the plan was; it gets htmx's client
    redirect instead, and the browser itself goes there."""
    if request.headers.get("hx-request") == "true":
        return ClientRedirect(path)
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _step_up(request: AnyRequest, exc: StepUpRequiredError) -> str:
    """The step-up page, and where it returns: after a form, the page that gives the form
    back as typed (its route's keeper kept it: `kept.keep_for_step_up`), with what waits
    for the code (`waiting`); after a page asked for, that page. A form no route keeps
    goes back to the plan list: the browser names no page (`Referrer-Policy:
    no-referrer`), and every form whose action needs a code is kept."""
    kept = request.state.get(KEPT_AT)
    if isinstance(kept, str):
        waiting = quote(exc.action or "form", safe="")
        return f"/step-up?next={quote(kept, safe='')}&waiting={waiting}"
    back = "/plans"
    returns = request.route_handler.opt.get(STEP_UP_RETURNS)
    if request.method == "GET" and isinstance(returns, str):  # a download: its page
        back = returns.format(**request.path_params)
    elif request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/step-up?next={quote(back, safe='')}"


def _as_their_page(request: AnyRequest, status: int) -> None:
    """The refusal's page as the person's other pages are: their header (the session
    looked up without a write: `AccountService.seen`) and their language. Not after a
    failure (5xx), when the database may be what failed: then the cookie's language."""
    token = session_token(request)
    if token and request.state.get(PRINCIPAL) is None and status < 500:
        accounts: AccountService = request.app.state[ACCOUNTS]
        try:
            principal = accounts.seen(token)
        except DATABASE_UNAVAILABLE:
            principal = None
        if principal is not None:
            request.state[PRINCIPAL] = principal
    choose_page_language(request)


def exception_handlers() -> ExceptionHandlersMap:
    """Every class the error table knows, HTTP errors and the rest: each to a page.

    `ClientException` too: the app maps it to a problem (JSON), and litestar picks the
    handler of the nearest class in an exception's MRO before a farther one, whatever the
    layer, so without it a refusal by the guard (401, 403) would answer JSON, not a page."""
    handlers: ExceptionHandlersMap = {}
    for cls in (*ERROR_TABLE, ClientException, HTTPException, Exception):
        handlers[cls] = page_error
    return handlers
