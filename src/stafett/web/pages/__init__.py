"""The web client: server-rendered pages over the same services as the JSON API.

`page_routes()` gives the page controllers and the language switch as one litestar
router, `static_routes()` the static files. Pages keep no rules: each calls the application
service the matching API route calls, and refusals come from the same error table
(`pages/errors.py`). Forms post `application/x-www-form-urlencoded` (a photo form:
`multipart/form-data`) with the session's CSRF token as `csrf_token` (the guard in
`web/auth.py` checks it).
"""

from pathlib import Path

import anyio
from litestar import Router, post
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from stafett.web import i18n
from stafett.web.auth import Policy, policy, session_token
from stafett.web.pages.admin import AdminPages
from stafett.web.pages.baton import BatonPages
from stafett.web.pages.errors import exception_handlers
from stafett.web.pages.forms import form_of
from stafett.web.pages.help import HelpPages
from stafett.web.pages.login import LoginPages
from stafett.web.pages.manage import ManagePages
from stafett.web.pages.mobile import ConfirmNumberPages, ProfileMobilePages
from stafett.web.pages.notice_choices import NoticeChoicePages
from stafett.web.pages.participants import ParticipantPages
from stafett.web.pages.photo import ParticipantPhotoPages, ProfilePhotoPages
from stafett.web.pages.plan import PlanPages
from stafett.web.pages.plan_history import PlanHistoryPages
from stafett.web.pages.plan_list import NewPlanPages, PlanListPages
from stafett.web.pages.profile import ProfilePages
from stafett.web.pages.removal import RemovalPages
from stafett.web.pages.render import LANGUAGE_COOKIE, choose_page_language, local_path, see_other
from stafett.web.pages.step_up import StepUpPages
from stafett.web.params import Accounts, AnyRequest
from stafett.web.state import provide_accounts, provided

STATIC = Path(__file__).parent.parent / "static"
YEAR = 365 * 86_400


NOT_PAGES = ("/api/", "/schema", "/health", "/static/")


def is_page_path(path: str) -> bool:
    """Whether an address belongs to the pages (whose refusals are pages, not problems)."""
    return not path.startswith(NOT_PAGES)


async def choose_language(request: AnyRequest) -> None:
    """The page's language: the person's choice, else the browser's cookie, else bokmål
    (a refusal's page, made before this runs, chooses it alike: `pages/errors.py`)."""
    choose_page_language(request)


@post(
    "/language",
    opt=policy(Policy.PUBLIC),
    dependencies=provided(provide_accounts),
)
async def switch_language(request: AnyRequest, accounts: Accounts) -> Redirect:
    """Remembered in the browser, and on the account when someone is logged in."""
    fields = await form_of(request)
    chosen = i18n.chosen(str(fields.get("language", "")))
    principal = await anyio.to_thread.run_sync(accounts.authenticate, session_token(request))
    if principal is not None:
        await anyio.to_thread.run_sync(accounts.set_language, principal.person_id, chosen)
    response = see_other(local_path(str(fields.get("back", "")), default="/"))
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=YEAR,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


def static_routes() -> Router:
    """The pages' static files (public reads: outside the policy guard, `check_policies`)."""
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        opt=policy(Policy.PUBLIC),
        include_in_schema=False,
        send_as_attachment=False,
    )


def page_routes() -> Router:
    return Router(
        path="/",
        route_handlers=[
            LoginPages,
            PlanListPages,
            NewPlanPages,
            PlanPages,
            PlanHistoryPages,
            ParticipantPages,
            NoticeChoicePages,
            RemovalPages,
            ParticipantPhotoPages,
            ProfilePhotoPages,
            ManagePages,
            BatonPages,
            ProfilePages,
            ProfileMobilePages,
            ConfirmNumberPages,
            StepUpPages,
            AdminPages,
            HelpPages,
            switch_language,
        ],
        before_request=choose_language,
        exception_handlers=exception_handlers(),
        include_in_schema=False,
    )
