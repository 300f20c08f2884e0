"""What a page shows when something is refused or fails: a page, never a trace.

The statuses come from the web's one error table (`web/errors.py`), so a page
and the JSON API refuse alike; only the wording is the page's. A request
without a live session goes to the login page, which brings the person back.
"""

from typing import Any
from urllib.parse import quote, urlsplit

import structlog
from litestar import Response
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.types import ExceptionHandlersMap

from stafett.applications.step_up import StepUpRequiredError
from stafett.web.auth import KEPT_AT
from stafett.web.errors import ERROR_TABLE
from stafett.web.i18n import _
from stafett.web.pages.render import local_path, page
from stafett.web.params import AnyRequest

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
    if status == 409:
        return _("Not possible now"), _("The plan has changed or is closed. Open it again.")
    if status in (400, 413, 415, 422):
        return _("Could not be read"), _("Something in the form could not be read. Try again.")
    if status == 429:
        return _("Too many attempts"), _("Wait a little and try again.")
    if status == 503:
        return _("Temporarily unavailable"), _("Try again in a moment.")
    return _("Something went wrong"), _("Something went wrong. Try again later.")


def page_error(request: AnyRequest, exc: Exception) -> Response[Any]:
    if isinstance(exc, StepUpRequiredError):
        return _go(request, f"/step-up?next={quote(_return_to(request), safe='')}")
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
    title, advice = message_of(status)
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


def _return_to(request: AnyRequest) -> str:
    """Where a step-up goes back to: the page asked for, or after a form the page that
    sent it (its own address, as the browser tells it), where the person does it again."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    own = f"{request.url.scheme}://{request.url.netloc}"
    if referer.path and f"{referer.scheme}://{referer.netloc}" == own:
        return local_path(referer.path + (f"?{referer.query}" if referer.query else ""))
    return "/plans"


def exception_handlers() -> ExceptionHandlersMap:
    """Every class the error table knows, HTTP errors and the rest: each to a page.

    `ClientException` too: the app maps it to a problem (JSON), and litestar picks the
    handler of the nearest class in an exception's MRO before a farther one, whatever the
    layer, so without it a refusal by the guard (401, 403) would answer JSON, not a page."""
    handlers: ExceptionHandlersMap = {}
    for cls in (*ERROR_TABLE, ClientException, HTTPException, Exception):
        handlers[cls] = page_error
    return handlers
