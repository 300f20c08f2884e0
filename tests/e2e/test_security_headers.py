"""Security headers on every response, errors included (SEC-HDR-01..06)."""

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from litestar import Litestar, Request, Response, get
from litestar.testing import TestClient
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from stafett.applications.plans import PlanApplication
from stafett.bootstrap import build_access_log, build_accounts
from stafett.settings import Settings
from stafett.web.app import create_app
from stafett.web.auth import Policy, policy
from stafett.web.headers import (
    CSP_NONCE,
    SecurityHeadersMiddleware,
    merge_headers,
    security_headers,
)
from stafett.web.logging import RequestLogMiddleware
from tests.e2e.conftest import SECRETS

EXPECTED = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "x-frame-options": "DENY",
}
EXPECTED_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}


def as_wired(app: Litestar) -> Litestar:
    """For small test apps, what create_app does: wrap the whole handler (404, 405 too)."""
    app.asgi_handler = RequestLogMiddleware(SecurityHeadersMiddleware(app.asgi_handler))
    return app


@get("/boom", sync_to_thread=False, opt=policy(Policy.PUBLIC), include_in_schema=False)
def boom() -> None:
    raise RuntimeError("failed in /work/main/src/stafett/secret_module.py")


@pytest.fixture
def client(plans: PlanApplication, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    settings = Settings(
        database_url="unused",
        outbox_dir=tmp_path / "outbox",
        secrets=SECRETS,
        fast_password_hashing=True,
    )
    app = create_app(
        plans,
        build_accounts(settings, plans),
        access_log=build_access_log(plans),
        secret_key=SECRETS.secret_key,
    )
    app.register(boom)
    with TestClient(app, base_url="https://stafett.test") as client:
        yield client


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in directives, f"{name} appears twice"
        directives[name] = values
    return directives


def assert_security_headers(response: Any, *, cacheable: bool = False) -> None:
    headers = response.headers
    for name, value in EXPECTED.items():
        assert headers.get_list(name) == [value], name
    assert "server" not in headers
    assert "x-powered-by" not in headers
    if cacheable:
        assert "no-store" not in headers.get("cache-control", "")
    else:
        assert headers.get_list("cache-control") == ["no-store"]
    [csp] = headers.get_list("content-security-policy")
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = csp_directives(csp)
    script_src = directives.pop("script-src")
    assert directives == EXPECTED_CSP
    assert script_src[0] == "'self'"
    assert len(script_src) == 2
    assert script_src[1].startswith("'nonce-")
    assert script_src[1].endswith("'")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/health", None, 200),
        ("GET", "/no/such/page", None, 404),
        ("DELETE", "/health", None, 405),
        ("POST", "/api/v1/session", {}, 422),
        ("GET", "/api/v1/me", None, 401),
        ("GET", "/boom", None, 500),
    ],
)
def test_every_response_carries_the_security_headers_once(
    client: TestClient[Litestar], method: str, path: str, body: object, status: int
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == status
    assert_security_headers(response)


def test_problem_details_answers_carry_the_security_headers(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/me")
    assert response.headers["content-type"].startswith("application/problem+json")
    assert_security_headers(response)


def test_the_nonce_is_128_random_bits_and_new_for_each_response(
    client: TestClient[Litestar],
) -> None:
    nonces = set()
    for _ in range(2):
        csp = csp_directives(client.get("/health").headers["content-security-policy"])
        nonce = csp["script-src"][1].removeprefix("'nonce-").removesuffix("'")
        assert len(base64.b64decode(nonce, validate=True)) == 16
        nonces.add(nonce)
    assert len(nonces) == 2


def test_the_openapi_schema_may_be_cached_but_keeps_the_strict_policy(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert_security_headers(response, cacheable=True)


def test_a_forced_error_answers_without_a_trace_or_file_paths(
    client: TestClient[Litestar],
) -> None:
    response = client.get("/boom")
    assert response.status_code == 500
    for leak in ("Traceback", "RuntimeError", ".py", "/work", "secret_module", 'File "'):
        assert leak not in response.text


@get("/own-headers", sync_to_thread=False)
def own_headers() -> Response[str]:
    return Response(
        "x",
        headers={
            "Cache-Control": "public, max-age=600",
            "X-Frame-Options": "SAMEORIGIN",
            "Content-Security-Policy": "default-src *",
            "Server": "litestar/2.25",
            "X-Powered-By": "python",
        },
    )


@get("/nonce", sync_to_thread=False)
def nonce_in_state(request: Request[Any, Any, Any]) -> str:
    nonce: str = request.state[CSP_NONCE]
    return nonce


@pytest.fixture
def small_client() -> Iterator[TestClient[Litestar]]:
    app = Litestar([own_headers, nonce_in_state], logging_config=None)
    with TestClient(as_wired(app), base_url="https://stafett.test") as client:
        yield client


def test_headers_a_handler_set_are_replaced_not_duplicated(
    small_client: TestClient[Litestar],
) -> None:
    response = small_client.get("/own-headers")
    assert_security_headers(response)


def test_handlers_and_templates_see_the_nonce_of_their_own_response(
    small_client: TestClient[Litestar],
) -> None:
    response = small_client.get("/nonce")
    assert f"'nonce-{response.text}'" in response.headers["content-security-policy"]


def http_scope(path: str = "/anything") -> Scope:
    return cast(Scope, {"type": "http", "method": "GET", "path": path, "headers": [], "state": {}})


async def no_body() -> ReceiveMessage:
    return cast(ReceiveMessage, {"type": "http.request", "body": b"", "more_body": False})


def test_a_failure_outside_litestar_still_answers_500_with_the_headers() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("/work/main/src/stafett/web/app.py")

    sent: list[Any] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def main() -> None:
        middleware: ASGIApp = SecurityHeadersMiddleware(broken)
        with pytest.raises(RuntimeError):
            await middleware(http_scope(), no_body, send)

    anyio.run(main)
    start, body = sent
    assert start["status"] == 500
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    assert headers["cache-control"] == "no-store"
    assert "'nonce-" in headers["content-security-policy"]
    assert all(headers[name] == value for name, value in EXPECTED.items())
    assert b"Traceback" not in body["body"]
    assert b".py" not in body["body"]


def test_other_scope_types_pass_through_untouched() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def send(message: Message) -> None:
        raise AssertionError("nothing to send")

    scope = cast(Scope, {"type": "websocket", "path": "/ws", "headers": []})
    middleware: ASGIApp = SecurityHeadersMiddleware(app)
    anyio.run(middleware, scope, no_body, send)
    assert seen == [scope]
    assert "state" not in scope


def test_a_cacheable_answer_keeps_its_own_cache_control_and_others_get_no_store() -> None:
    own = [(b"cache-control", b"max-age=600"), (b"server", b"uvicorn"), (b"etag", b'"1"')]
    for cacheable, expected in ((True, [b"max-age=600"]), (False, [b"no-store"])):
        merged = merge_headers(own, security_headers("n", cacheable=cacheable), cacheable=cacheable)
        assert [v for n, v in merged if n == b"cache-control"] == expected
        assert (b"etag", b'"1"') in merged
        assert all(n != b"server" for n, _ in merged)
