"""The base of our ASGI middleware: HTTP requests are handled, other scopes pass through.

Our middleware wraps litestar's whole ASGI handler (`create_app`), not single
routes, so that unmatched requests (404, 405) go through it too.
"""

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send


class HTTPMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
