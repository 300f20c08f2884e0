"""A form sent after its session ended is kept, and shown back after the login.

Without JavaScript nothing else could keep it: the browser follows the way to the login
page and forgets what it sent (`drafts.js` keeps it in the tab where scripts run). A
route whose form is worth keeping marks itself: a plan form with `keeps(key_of)`, a
form of another page with `keeps_page(place, back)`. When the guard finds the session
just ended and the form carries that session's CSRF token, it calls the route's keeper
(`web/auth.py`), which keeps the fields for their writer (`applications/kept_forms.py`)
and answers where the login returns to, with `?kept=1`. That page takes the form back
(`taken_back` for the plan page, `given_back` for the others) and shows it as typed, to
be checked and saved.

The same keeper keeps a logged-in person's form whose action waits for a step-up's code
(decision 0031, `keep_for_step_up`): the step-up page returns to where it answers, with
`&stepped_up=1`, and the page says the action is not done yet.
"""

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import anyio
from litestar import Request
from litestar.enums import ScopeType
from litestar.types import Scope

from stafett.applications.accounts import AccountService
from stafett.applications.kept_forms import EndedSession, KeptForm
from stafett.applications.principal import Principal
from stafett.applications.step_up import StepUpRequiredError
from stafett.persistence.outage import DATABASE_UNAVAILABLE
from stafett.web.auth import KEEPS_FORM, KEPT_AT, PRINCIPAL, UNSAFE_METHODS
from stafett.web.pages.forms import form_of
from stafett.web.pages.plan_forms import FORM_KEY, Failed, typed
from stafett.web.pages.render import STEPPED_UP
from stafett.web.params import AnyRequest
from stafett.web.state import ACCOUNTS

KeyOf = Callable[[Mapping[str, Any], Mapping[str, Any]], str]
"""The key of a route's form on the plan page, from its fields and the path's parameters."""

KEPT = "kept"  # the query parameter of the page a kept form is given back on
Whose = EndedSession | Principal  # an ended session's person, or one logged in (a step-up)


def _plan_place(plan_id: UUID) -> str:
    return f"plan:{plan_id}"


def _back(path: str, anchor: str, whose: Whose) -> str:
    """Where the form is given back: `path?kept=1`, after a step-up `&stepped_up=1`."""
    stepped_up = f"&{STEPPED_UP}=1" if isinstance(whose, Principal) else ""
    return f"{path}?{KEPT}=1{stepped_up}" + (f"#{anchor}" if anchor else "")


async def _keep(request: AnyRequest, whose: Whose, place: str, key: str) -> None:
    fields = await form_of(request)
    accounts: AccountService = request.app.state[ACCOUNTS]
    await anyio.to_thread.run_sync(accounts.keep_form, whose, place, key, typed(fields))


def keeps(key_of: KeyOf) -> dict[str, Any]:
    """The `opt` of a plan form's route whose form is kept when its session has ended
    (or its action waits for a step-up)."""

    async def keep(request: AnyRequest, whose: Whose) -> str:
        plan_id: UUID = request.path_params["plan_id"]
        key = key_of(await form_of(request), request.path_params)
        await _keep(request, whose, _plan_place(plan_id), key)
        return _back(f"/plans/{plan_id}/plan", key, whose)

    return {KEEPS_FORM: keep}


def keeps_page(place: str, back: str, anchor: str = "") -> dict[str, Any]:
    """The `opt` of a page's form route whose form is kept when its session has ended (or
    its action waits for a step-up): kept under `place`, given back on the page at `back`
    (at `#anchor`). Both may name the route's path parameters
    (`"/plans/{plan_id}/participants/new"`)."""

    async def keep(request: AnyRequest, whose: Whose) -> str:
        params = request.path_params
        await _keep(request, whose, place.format(**params), "")
        return _back(back.format(**params), anchor, whose)

    return {KEEPS_FORM: keep}


async def keep_for_step_up(exc: BaseException, scope: Scope) -> None:
    """The app's `after_exception` hook: a form whose action needs a fresh one-time code
    (`StepUpRequiredError`) is kept for the logged-in person by its route's keeper, and
    the step-up page returns to where it is given back (`KEPT_AT`, read by the sync
    `page_error`), so that nothing typed is lost and the person presses the button
    again (decision 0031). litestar runs this before the exception's handler, in the
    request's task; the form is the one the route read (litestar keeps it in the scope,
    and the guard checked its CSRF token). Nothing else is kept: a route without a
    keeper, a request without a logged-in person, an API request."""
    if not isinstance(exc, StepUpRequiredError) or scope["type"] != ScopeType.HTTP:
        return
    handler = scope.get("route_handler")
    keeper = handler.opt.get(KEEPS_FORM) if handler is not None else None
    request: AnyRequest = Request(scope)
    principal = request.state.get(PRINCIPAL)
    if keeper is None or request.method not in UNSAFE_METHODS:
        return
    if not isinstance(principal, Principal):
        return
    try:
        request.state[KEPT_AT] = await keeper(request, principal)
    except DATABASE_UNAVAILABLE:
        return  # not kept: the step-up page answers 503 then, as every page does


def taken_back(accounts: AccountService, principal: Principal, plan_id: UUID) -> list[Failed]:
    """The forms `principal` sent to the plan after their session ended, each as a form
    to check and send again, the oldest first (once: they are taken out of the store)."""
    kept = accounts.take_kept_forms(principal, _plan_place(plan_id))
    return [Failed(k.key, k.fields, {}, kept=True) for k in kept if FORM_KEY.fullmatch(k.key)]


def given_back(
    request: AnyRequest, accounts: AccountService, principal: Principal, place: str
) -> KeptForm | None:
    """On a page asked for with `?kept=1`: the form `principal` sent to `place` after
    their session ended (once). None on any other visit."""
    if request.query_params.get(KEPT) != "1":
        return None
    return accounts.take_kept_form(principal, place)
