"""Deny by default: every route passes the policy guard except public reads, and the app
refuses to start when a route is outside it and could change or show anything else."""

from typing import Any

import pytest
from litestar import Litestar, Router, get, post

from stafett.web.app import create_app
from stafett.web.auth import Policy, check_policies, policy, policy_guard
from tests.e2e.conftest import SECRETS


@get("/open", opt=policy(Policy.PUBLIC), sync_to_thread=False)
def open_read() -> str:
    return "ok"


@post("/open", opt=policy(Policy.PUBLIC), sync_to_thread=False)
def open_write() -> str:
    return "ok"


@get("/mine", opt=policy(Policy.AUTHENTICATED), sync_to_thread=False)
def my_read() -> str:
    return "ok"


def test_a_public_read_may_be_outside_the_guard() -> None:
    check_policies(
        Litestar([open_read, Router("/", guards=[policy_guard], route_handlers=[my_read])])
    )


@pytest.mark.parametrize("handler", [open_write, my_read], ids=["public write", "logged-in read"])
def test_anything_else_outside_the_guard_is_refused(handler: Any) -> None:
    with pytest.raises(RuntimeError, match="outside the policy guard"):
        check_policies(Litestar([handler]))


def test_in_the_app_only_health_and_static_files_are_outside_the_guard() -> None:
    unused: Any = None
    app = create_app(unused, unused, access_log=unused, secret_key=SECRETS.secret_key)
    outside = {
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if handler.http_methods != {"OPTIONS"}
        and policy_guard not in handler.resolve_guards()
        and not route.path.startswith("/schema")
    }
    assert outside == {"/health", "/static/{file_path:path}"}


# Every route anyone may call without a full login (SEC-AC-02), and why it may. A new
# public route fails the test below until it is added here, with its reason.
LOGIN_STEP = "a step of logging in; answers only about the session it makes"
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("/api/v1/session", "POST"): LOGIN_STEP,
    ("/api/v1/session/otp", "POST"): LOGIN_STEP,
    ("/api/v1/session/otp/resend", "POST"): LOGIN_STEP,
    ("/api/v1/session/terms", "POST"): LOGIN_STEP,
    ("/api/v1/session", "DELETE"): "logging out ends the session the cookie names, if any",
    ("/api/v1/password-reset", "POST"): "asking for a reset link: the same answer for any name",
    ("/api/v1/password-reset/{token:str}", "POST"): "the reset link's token is the key",
    ("/login", "GET"): LOGIN_STEP,
    ("/login", "POST"): LOGIN_STEP,
    ("/login/code", "GET"): LOGIN_STEP,
    ("/login/code", "POST"): LOGIN_STEP,
    ("/login/code/resend", "POST"): LOGIN_STEP,
    ("/login/terms", "GET"): LOGIN_STEP,
    ("/login/terms", "POST"): LOGIN_STEP,
    ("/confirm-number", "GET"): "confirming a mobile number after a link: a login step",
    ("/confirm-number", "POST"): "confirming a mobile number after a link: a login step",
    ("/confirm-number/resend", "POST"): "confirming a mobile number after a link: a login step",
    ("/logout", "POST"): "logging out ends the session the cookie names, if any",
    ("/password-reset", "GET"): "the form to ask for a reset link",
    ("/password-reset", "POST"): "asking for a reset link: the same answer for any name",
    ("/reset/{token:str}", "GET"): "the reset link's page: says only whether the link works",
    ("/reset/{token:str}", "POST"): "the reset link's token is the key",
    ("/", "GET"): "sends to the login page or to the plan list; shows nothing",
    ("/help", "GET"): "how the service works, in plain language; nothing personal",
    ("/help", "OPTIONS"): "litestar's answer to OPTIONS for the help page",
    ("/language", "POST"): "chooses the page language (a cookie); changes nothing stored",
    ("/api/v1/archive-keys", "GET"): "the public keys anyone checks a sealed record with",
    ("/health", "GET"): "for load balancers: ok or not, and lags; no plan data",
    ("/static/{file_path:path}", "GET"): "style sheets, scripts and fonts of the pages",
    ("/static/{file_path:path}", "HEAD"): "style sheets, scripts and fonts of the pages",
    ("/static/{file_path:path}", "OPTIONS"): "style sheets, scripts and fonts of the pages",
}


def test_the_routes_open_without_a_login_are_exactly_the_reviewed_ones() -> None:
    unused: Any = None
    app = create_app(
        unused, unused, access_log=unused, secret_key=SECRETS.secret_key, expose_schema=False
    )
    public = {
        (route.path, method)
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if handler.opt.get("policy") is Policy.PUBLIC
        for method in handler.http_methods
    }
    assert public == set(PUBLIC_ROUTES)
