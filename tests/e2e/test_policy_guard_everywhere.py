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
