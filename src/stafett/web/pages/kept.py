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
"""

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import anyio

from stafett.applications.accounts import AccountService
from stafett.applications.kept_forms import EndedSession, KeptForm
from stafett.applications.principal import Principal
from stafett.web.auth import KEEPS_FORM
from stafett.web.pages.forms import form_of
from stafett.web.pages.plan_forms import FORM_KEY, Failed, typed
from stafett.web.params import AnyRequest
from stafett.web.state import ACCOUNTS

KeyOf = Callable[[Mapping[str, Any], Mapping[str, Any]], str]
"""The key of a route's form on the plan page, from its fields and the path's parameters."""

KEPT = "kept"  # the query parameter of the page a kept form is given back on


def _plan_place(plan_id: UUID) -> str:
    return f"plan:{plan_id}"


async def _keep(request: AnyRequest, ended: EndedSession, place: str, key: str) -> None:
    fields = await form_of(request)
    accounts: AccountService = request.app.state[ACCOUNTS]
    await anyio.to_thread.run_sync(accounts.keep_form, ended, place, key, typed(fields))


def keeps(key_of: KeyOf) -> dict[str, Any]:
    """The `opt` of a plan form's route whose form is kept when its session has ended."""

    async def keep(request: AnyRequest, ended: EndedSession) -> str:
        plan_id: UUID = request.path_params["plan_id"]
        key = key_of(await form_of(request), request.path_params)
        await _keep(request, ended, _plan_place(plan_id), key)
        return f"/plans/{plan_id}/plan?{KEPT}=1#{key}"

    return {KEEPS_FORM: keep}


def keeps_page(place: str, back: str, anchor: str = "") -> dict[str, Any]:
    """The `opt` of a page's form route whose form is kept when its session has ended:
    kept under `place`, given back on the page at `back` (at `#anchor`). Both may name
    the route's path parameters (`"/plans/{plan_id}/participants/new"`)."""

    async def keep(request: AnyRequest, ended: EndedSession) -> str:
        params = request.path_params
        await _keep(request, ended, place.format(**params), "")
        return f"{back.format(**params)}?{KEPT}=1" + (f"#{anchor}" if anchor else "")

    return {KEEPS_FORM: keep}


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
