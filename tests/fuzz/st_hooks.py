"""Schemathesis hooks for the fuzz run (loaded by `st run` through SCHEMATHESIS_HOOKS).

A change made with a session carries the session's CSRF token, as every client of
ours sends it (`GET /api/v1/me` → `csrf.token`). The token is HMAC-SHA256(secret
key, "csrf|" + session token) (`web/auth.py`), so for the session cookie a case
carries, the hook adds the token a client would have read from `/me`; a case
without a session cookie is left alone, so `ignored_auth` still sees what a request
without credentials gets.
"""

import hmac
import os
from typing import Any

import schemathesis

from stafett.web.auth import CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS, csrf_token

SECRET = os.environ["STAFETT_FUZZ_SECRET_KEY"].encode()


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
    expected = csrf_token(SECRET, token)
    presented = case.headers.get(CSRF_HEADER) if case.headers else None
    if presented is None or not hmac.compare_digest(presented, expected):
        case.headers = {**(case.headers or {}), CSRF_HEADER: expected}
