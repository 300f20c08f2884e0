"""Schemathesis hooks for the fuzz run (loaded by `st run` through SCHEMATHESIS_HOOKS).

A change made with a session carries the session's CSRF token, as every client of
ours sends it: read from `GET /api/v1/me` (`csrf.token`). The token is bound to the
session's login, which only the server knows (`web/auth.py`), so for the session
cookie a case carries, the hook asks `/me` once, as a client would, and adds the
token; a case without a session cookie, or with one `/me` does not know (ended, or
false), is left alone, so `ignored_auth` still sees what a request without valid
credentials gets.
"""

import hmac
import os
from typing import Any

import httpx
import schemathesis

from stafett.web.auth import CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS

BASE_URL = os.environ["STAFETT_FUZZ_BASE_URL"]
_tokens: dict[str, str | None] = {}  # session cookie → its CSRF token (None: not a session)


def _csrf_of(session: str) -> str | None:
    if session not in _tokens:
        answer = httpx.get(
            f"{BASE_URL}/api/v1/me", headers={"cookie": f"{SESSION_COOKIE}={session}"}
        )
        _tokens[session] = answer.json()["csrf"]["token"] if answer.status_code == 200 else None
    return _tokens[session]


def _session_of(case: Any, kwargs: dict[str, Any]) -> str | None:
    for cookies in (kwargs.get("cookies"), case.cookies):
        if cookies and isinstance(cookies.get(SESSION_COOKIE), str):
            token: str = cookies[SESSION_COOKIE]
            return token
    return None


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    token = _session_of(case, kwargs)
    if token is None or case.method.upper() not in UNSAFE_METHODS:
        return
    expected = _csrf_of(token)
    if expected is None:
        return
    presented = case.headers.get(CSRF_HEADER) if case.headers else None
    if presented is None or not hmac.compare_digest(presented, expected):
        case.headers = {**(case.headers or {}), CSRF_HEADER: expected}
