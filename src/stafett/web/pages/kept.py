"""A plan form sent after its session ended is kept, and shown back after the login.

Without JavaScript nothing else could keep it: the browser follows the way to the login
page and forgets what it sent (`drafts.js` keeps it in the tab where scripts run). A
route of the plan page marks itself with `keeps(key_of)`; when the guard finds its
session just ended and the form carries that session's CSRF token, it calls the route's
keeper (`web/auth.py`), which keeps the fields for their writer
(`applications/kept_forms.py`) and answers where the login returns to: the plan page,
`?kept=1`, at the form. That page takes the form back (`taken_back`) and shows it open,
as typed, to be checked and saved.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from uuid import UUID

import anyio

from stafett.applications.accounts import AccountService
from stafett.applications.kept_forms import EndedSession
from stafett.applications.principal import Principal
from stafett.web.auth import KEEPS_FORM
from stafett.web.pages.forms import form_of
from stafett.web.pages.plan_forms import FORM_KEY, Failed, typed
from stafett.web.params import AnyRequest
from stafett.web.state import ACCOUNTS

KeyOf = Callable[[Mapping[str, Any], Mapping[str, Any]], str]
"""The key of a route's form on the plan page, from its fields and the path's parameters."""

Keeper = Callable[[AnyRequest, EndedSession], Awaitable[str]]


def keeps(key_of: KeyOf) -> dict[str, Any]:
    """The `opt` of a plan form's route whose form is kept when its session has ended."""

    async def keep(request: AnyRequest, ended: EndedSession) -> str:
        fields = await form_of(request)
        plan_id: UUID = request.path_params["plan_id"]
        key = key_of(fields, request.path_params)
        accounts: AccountService = request.app.state[ACCOUNTS]
        await anyio.to_thread.run_sync(accounts.keep_form, ended, plan_id, key, typed(fields))
        return f"/plans/{plan_id}/plan?kept=1#{key}"

    return {KEEPS_FORM: keep}


def taken_back(accounts: AccountService, principal: Principal, plan_id: UUID) -> Failed | None:
    """The form `principal` sent to the plan after their session ended, as a form to
    check and send again (once: it is taken out of the store)."""
    kept = accounts.take_kept_form(principal, plan_id)
    if kept is None or not FORM_KEY.fullmatch(kept.key):
        return None
    return Failed(kept.key, kept.fields, {}, kept=True)
