"""Reads served on the event loop, their access-log entries committed in groups (decision 0035).

A read route declared `sync_to_thread=False` runs on the event loop: no hop to a
worker thread and back, and no worker threads taking the interpreter's lock from
each other (with 32 connections, the hops and the lock cost more than the reads).
Such a read must not commit its access-log entry itself, which would stop the loop
for the commit: `ReadsOnTheLoopMiddleware` lets the request's entries wait
(`reads_on_the_loop`), and the app's `after_request` hook,
`record_reads_before_answering`, awaits their commit, in a group with the other
requests' entries, before the answer is made. A commit that fails raises
`AccessLogUnavailableError` there: the answer is the 503 and carries nothing.

A read in a worker thread (`sync_to_thread=True`) commits its entry itself, as before.
`check_after_request` refuses to start an app where a route would answer without
the hook (litestar uses the closest layer's `after_request` only).
"""

from typing import Any

from litestar import Litestar, Response
from litestar.types import HTTPScope, Receive, Send

from stafett.applications.access_log import commit_reads_of_the_loop, reads_on_the_loop
from stafett.web.middleware import HTTPMiddleware


class ReadsOnTheLoopMiddleware(HTTPMiddleware):
    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        with reads_on_the_loop():
            await self.app(scope, receive, send)


async def record_reads_before_answering(response: Response[Any]) -> Response[Any]:
    """The app's `after_request`: the reads of this request are durable before it answers."""
    await commit_reads_of_the_loop()
    return response


def check_after_request(app: Litestar) -> None:
    """Refuse to start when a route's closest `after_request` is not the app's hook."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            hooks = [
                layer.after_request
                for layer in handler.ownership_layers
                if getattr(layer, "after_request", None)
            ]
            if not hooks or hooks[-1] is not app.after_request:
                msg = f"route {route.path} ({handler.handler_name}) answers without recording"
                raise RuntimeError(msg)
