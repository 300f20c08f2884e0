"""Fixtures of the browser tests: a Chromium and a live Stafett per test module, a fresh
browser context (cookies, storage) per test.

A failed test's report has a section "browser journal": what each browser sent and got
and what the live server received and answered, on one clock (`journal.py`).

Per module, not per run: while Playwright's sync API is started, its asyncio loop
counts as running in the main thread, and `asyncio.run` in any later test of the
same pytest run (tests/e2e) would fail. A launch costs well under a second.

- `live`: the running app and its setup helpers (`harness.LiveServer`).
- `page`: a page at 1280×800 in a new context whose base URL is the live app,
  in Norwegian (nb-NO, Europe/Oslo), with the XSS canary installed and a `Watch`
  on it. After the test, the watch must be clean: no CSP violation, no script
  error, no dialog, no canary call — every test checks that without asking.
- `open_page`: another page in another new context (a second person), same watch.

Under pytest-xdist (`make test`) each module's tests run on one worker, in order, with
the one Chromium and live server the module starts (tests/parallel.py).

Chromium is Debian's (`/usr/bin/chromium`, or `STAFETT_CHROMIUM`): Playwright
cannot download its own here. Without it the tests fail, never skip: `make test`
installs it.
"""

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.harness import LiveServer, Watch, flush, live_server
from tests.browser.journal import Journal
from tests.browser.xss import BINDING, CANARY

CHROMIUM = Path(os.environ.get("STAFETT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--font-render-hinting=none",  # the same glyph widths run after run, for screenshots
]
VIEWPORT = {"width": 1280, "height": 800}
JOURNAL = pytest.StashKey[tuple[Journal, int]]()


class OpenPage(Protocol):
    """Opens a page in a new browser context; `scripts=False`: a browser without JavaScript."""

    def __call__(self, *, scripts: bool = True) -> Page: ...


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not at {CHROMIUM}. The browser tests need Debian's chromium: "
            "run `make test` (it installs it) or `apt-get install chromium`. "
            "`playwright install` cannot download a browser here.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed browser test's report shows its journal."""
    report: pytest.TestReport = yield
    if report.failed and JOURNAL in item.stash:
        journal, mark = item.stash[JOURNAL]
        report.sections.append(("browser journal", journal.since(mark)))
    return report


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, live: LiveServer, watch: Watch
) -> Iterator[OpenPage]:
    """Opens a page in a new browser context (a person of their own) for the test."""
    contexts: list[BrowserContext] = []
    request.node.stash[JOURNAL] = (live.journal, live.journal.mark())

    def opened(*, scripts: bool = True) -> Page:
        context = browser.new_context(
            base_url=live.base_url,
            viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="nb-NO",
            timezone_id="Europe/Oslo",
            java_script_enabled=scripts,
        )
        context.set_default_timeout(10_000)
        context.expose_function(BINDING, watch.on_xss)
        context.add_init_script(CANARY)
        context.on("console", watch.on_console)
        context.on("weberror", lambda error: watch.on_error(error.error))
        context.on("dialog", watch.on_dialog)
        live.journal.follow(context, f"browser{len(contexts) + 1}")
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        for page in context.pages:
            flush(page)
        context.close()
    watch.check()


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    return open_page()
