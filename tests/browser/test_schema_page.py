"""The browsable API page at /schema in Chromium: it draws the API from the service's
own files, under the same CSP as every page (the `page` fixture fails the test on any
CSP violation or script error), and asks nothing of any other origin."""

from urllib.parse import urlsplit

from playwright.sync_api import Page, Request, expect

from tests.browser.harness import LiveServer, Watch, screenshot


def test_the_schema_page_shows_the_api_from_this_service_alone(
    page: Page, live: LiveServer, watch: Watch
) -> None:
    asked: list[str] = []

    def note(request: Request) -> None:
        asked.append(request.url)

    page.on("request", note)
    page.goto("/schema")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    expect(page.get_by_text("/api/v1/plans/{plan_id}/timeline").first).to_be_visible()
    assert page.locator(".opblock").count() > 20  # every route, not an empty frame
    screenshot(page, "schema")

    own = urlsplit(live.base_url).netloc
    elsewhere = [u for u in asked if urlsplit(u).scheme in ("http", "https")]
    elsewhere = [u for u in elsewhere if urlsplit(u).netloc != own]
    assert asked
    assert not elsewhere, elsewhere
    assert "/schema/openapi.json" in {urlsplit(u).path for u in asked}
    assert not watch.loading_errors()
