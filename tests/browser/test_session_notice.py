"""Two minutes before a quiet session ends, the page says so and lets the person stay
(SEC-SES-04), in Chromium with its clock run forward: the server's session is not
touched by the clock, only by the button's request."""

import re

from playwright.sync_api import Page, expect

from stafett.applications.own_account import IDLE_TIMEOUT, SESSION_TOUCH_EVERY
from tests.browser.harness import LiveServer, axe, log_in, screenshot

NOTICE = ".session-notice"


def test_a_quiet_session_warns_two_minutes_before_it_ends_and_the_person_may_stay(
    page: Page, live: LiveServer
) -> None:
    kari = live.new_user("kari")
    log_in(page, live, kari)
    page.clock.install()
    page.goto("/plans")
    idle = int(page.locator("body").get_attribute("data-session-idle") or "0")
    assert idle == (IDLE_TIMEOUT - SESSION_TOUCH_EVERY).total_seconds()

    page.clock.run_for((idle - 125) * 1000)
    expect(page.locator(NOTICE)).to_have_count(0)
    page.clock.run_for(10_000)
    notice = page.locator(NOTICE)
    expect(notice).to_contain_text("Du blir logget ut om 2 minutter")
    axe(page, what="the notice before a quiet session ends")
    screenshot(page, "session-ending")
    with page.expect_response(re.compile(r"/api/v1/me$")) as asked:
        page.get_by_role("button", name="Hold meg innlogget").click()
    assert asked.value.status == 200
    expect(page.locator(NOTICE)).to_have_count(0)

    page.clock.run_for((idle - 125) * 1000)  # the count began again at the button
    expect(page.locator(NOTICE)).to_have_count(0)
    page.clock.run_for(10_000)
    expect(page.locator(NOTICE)).to_contain_text("Du blir logget ut om 2 minutter")
    page.clock.run_for(120_000)
    ended = page.locator(NOTICE)
    expect(ended).to_contain_text("Du er logget ut")
    expect(ended.get_by_role("link", name="Logg inn igjen")).to_have_attribute(
        "href", "/login?next=/plans"
    )
    axe(page, what="the notice after a quiet session ended")
    screenshot(page, "session-ended")


def test_pages_without_a_login_count_nothing(page: Page, live: LiveServer) -> None:
    page.clock.install()
    page.goto("/login")
    assert page.locator("body").get_attribute("data-session-idle") is None
    page.clock.run_for(60 * 60 * 1000)
    expect(page.locator(NOTICE)).to_have_count(0)
