"""What the browser and the live server did during a browser test, for its failure report.

A browser test that fails under load ("the confirmation never came") leaves no trace
of whether the browser sent the form, whether the server got it, or how long either
took. The `Journal` keeps both sides on one clock:

- the browser's side from Playwright's events on each context: requests sent,
  responses, failed requests, navigations and load events;
- the server's side from `JournalApp`, a wrapper around the live app that notes each
  HTTP request as it arrives, when its response starts and when it ends.

conftest.py adds the lines of a failed test to its report (a section "browser journal"),
so a failure in CI shows them beside the assertion.
"""

import threading
import time
from dataclasses import dataclass, field

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from playwright.sync_api import BrowserContext, Frame, Page, Request, Response

KEPT = 2_000  # lines a journal keeps (the newest)


@dataclass
class Journal:
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, who: str, text: str) -> None:
        line = f"{time.monotonic() - self.started:9.3f} {who:<8} {text}"
        with self._lock:
            self.lines.append(line)
            del self.lines[:-KEPT]

    def mark(self) -> int:
        """Where the journal is now: `since(mark)` gives what came after."""
        with self._lock:
            return len(self.lines)

    def since(self, mark: int) -> str:
        with self._lock:
            return "\n".join(self.lines[mark:])

    def follow(self, context: BrowserContext, who: str) -> None:
        """Note what the browser does in `context` (one person's browser: `who`)."""

        def request(r: Request) -> None:
            self.note(who, f"→ {r.method} {_path(r.url)} ({r.resource_type})")

        def response(r: Response) -> None:
            self.note(who, f"← {r.status} {r.request.method} {_path(r.url)}")

        def failed(r: Request) -> None:
            self.note(who, f"✗ {r.method} {_path(r.url)}: {r.failure}")

        def page(p: Page) -> None:
            def navigated(frame: Frame) -> None:
                if frame.parent_frame is None:
                    self.note(who, f"navigated to {_path(frame.url)}")

            p.on("framenavigated", navigated)
            p.on("domcontentloaded", lambda _: self.note(who, "DOMContentLoaded"))
            p.on("load", lambda _: self.note(who, "load"))
            p.on("crash", lambda _: self.note(who, "the page crashed"))

        context.on("request", request)
        context.on("response", response)
        context.on("requestfailed", failed)
        context.on("page", page)


def _path(url: str) -> str:
    """The URL without scheme and host, its query cut short (it may be long)."""
    rest = url.split("//", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path if len(path) <= 120 else path[:117] + "..."


class JournalApp:
    """The live app, with each HTTP request's arrival, response status and end noted."""

    def __init__(self, app: ASGIApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        journal = self.journal
        what = f"{scope['method']} {scope['path']}"
        journal.note("server", f"got {what}")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                journal.note("server", f"answers {message['status']} to {what}")
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException as error:
            journal.note("server", f"raised {type(error).__name__} in {what}")
            raise
        journal.note("server", f"done {what}")
