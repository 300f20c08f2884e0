"""Security headers on every HTTP response (SEC-HDR-01..06).

`SecurityHeadersMiddleware` is a plain ASGI middleware, not a litestar
`ASGIMiddleware`: litestar builds its middleware stack per route, after routing,
so middleware passed to `Litestar(middleware=[...])` never sees the 404 for an
unknown path or the 405 for a wrong method. `create_app` therefore wraps the
whole ASGI handler (`app.asgi_handler`), which also holds litestar's exception
handling, so problem-details answers and 500s pass through here as well.

Each response gets a fresh 128-bit CSP nonce. It is chosen before the request
reaches the app and kept in `scope["state"]["csp_nonce"]` (`request.state` in a
handler, `csp_nonce(request.scope)` anywhere), so templates can put it on
their `<script nonce=…>` tags.

The OpenAPI schema: `/schema/openapi.json`, and a browsable page at `/schema` that
loads Swagger UI from this service's own static files (`web/schema_page.py`), so
the same CSP as every other path holds there too. The schema and the pages' static
files (`/static`) hold no personal data, so only there is `Cache-Control` left to
the handler.
"""

import base64
import json
import secrets
from collections.abc import Iterable
from typing import Any

from litestar.types import HTTPScope, Message, Receive, Scope, Send

from stafett.web.middleware import HTTPMiddleware

CSP_NONCE = "csp_nonce"
SCHEMA_PREFIX = "/schema"
STATIC_PREFIX = "/static"

_FIXED_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"x-frame-options", b"DENY"),
)
_NO_STORE = (b"cache-control", b"no-store")
# Headers that would name the software and its version (SEC-HDR-06).
_REMOVED = frozenset({b"server", b"x-powered-by"})

_FALLBACK_BODY = json.dumps(
    {
        "status": 500,
        "title": "Noe gikk galt",
        "detail": "Noe gikk galt. Prøv igjen senere.",
    },
    ensure_ascii=False,
).encode()


def new_nonce() -> str:
    """128 random bits, base64-encoded, for one response's CSP."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def content_security_policy(nonce: str) -> str:
    return (
        "default-src 'none'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        "font-src 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'; "
        "base-uri 'none'; "
        "object-src 'none'"
    )


def csp_nonce(scope: Scope) -> str:
    """The nonce of the response being built for this request."""
    nonce: str = scope["state"][CSP_NONCE]
    return nonce


def is_schema_path(path: str) -> bool:
    return path == SCHEMA_PREFIX or path.startswith(SCHEMA_PREFIX + "/")


def is_static_path(path: str) -> bool:
    """The pages' style sheets and scripts: public, the same for everyone."""
    return path.startswith(STATIC_PREFIX + "/")


def security_headers(nonce: str, *, cacheable: bool) -> list[tuple[bytes, bytes]]:
    """The headers this middleware sets, replacing any of the same name."""
    headers = [(b"content-security-policy", content_security_policy(nonce).encode("ascii"))]
    headers.extend(_FIXED_HEADERS)
    if not cacheable:
        headers.append(_NO_STORE)
    return headers


def _replaced(*, cacheable: bool) -> frozenset[bytes]:
    """What `merge_headers` drops from a handler's answer: its copies of the headers we
    set (as `security_headers` makes them) and the revealing ones."""
    return frozenset({name for name, _ in security_headers("", cacheable=cacheable)} | _REMOVED)


_REPLACED = {cacheable: _replaced(cacheable=cacheable) for cacheable in (False, True)}


def merge_headers(
    existing: Iterable[tuple[bytes, bytes]], ours: list[tuple[bytes, bytes]], *, cacheable: bool
) -> list[tuple[bytes, bytes]]:
    """Drop the handler's copies of our headers and the revealing ones, then add ours
    (`ours`: `security_headers(…, cacheable=cacheable)`)."""
    replaced = _REPLACED[cacheable]
    kept = [(name, value) for name, value in existing if name.lower() not in replaced]
    return kept + ours


class SecurityHeadersMiddleware(HTTPMiddleware):
    """Adds the security headers to every HTTP response; other scopes pass through."""

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        nonce = new_nonce()
        state: dict[str, Any] = scope.setdefault("state", {})
        state[CSP_NONCE] = nonce
        path = scope["path"]
        cacheable = is_schema_path(path) or is_static_path(path)
        ours = security_headers(nonce, cacheable=cacheable)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                existing = message.get("headers", ())
                message["headers"] = merge_headers(existing, ours, cacheable=cacheable)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Litestar answers errors itself; this is for a failure in that
            # machinery, so that even then the client gets no bare answer.
            if not started:
                await _send_fallback_error(send, ours)
            raise


async def _send_fallback_error(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/problem+json; charset=utf-8"),
                (b"content-length", str(len(_FALLBACK_BODY)).encode("ascii")),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": _FALLBACK_BODY, "more_body": False})
