"""Without JavaScript too, a comment written while the session idles out is not lost.

A teacher's browser runs no scripts (a locked-down school computer). He opens the form
for a comment on the plan's goal and writes for longer than the idle timeout. He sends
it: the server, which can no longer save it, keeps it for him and asks him to log in;
after the login he is back on the plan with the comment open in its form, as typed, and
a note that it is not saved yet. He sends it, and it is saved once.
Screenshots at 360 and 1280 px: var/screenshots/plan-comment-kept-no-scripts-*.png.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from stafett.applications.own_account import IDLE_TIMEOUT
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import digest
from stafett.web.auth import SESSION_COOKIE
from tests.browser.conftest import OpenPage
from tests.browser.harness import LiveServer, axe, screenshot, sign_in
from tests.browser.test_drafts_after_login import comments_on, logs_in_here

WRITTEN = "Per leste høyt for klassen i dag. Han ba om å få lese igjen på fredag."


@pytest.fixture
def no_scripts(open_page: OpenPage) -> Page:
    return open_page(scripts=False)


def idles_out(page: Page, live: LiveServer) -> None:
    """The session was last used longer ago than the idle timeout (as after a long write)."""
    (token,) = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    sessions = live.built.accounts.sessions
    long_ago = to_micros(live.built.accounts.clock() - IDLE_TIMEOUT) - 1_000_000
    sessions.write(
        f"UPDATE {sessions.sessions} SET last_seen=%s WHERE token_hash=%s", long_ago, digest(token)
    )


def test_a_comment_sent_without_scripts_after_the_session_idled_out_is_kept(
    no_scripts: Page, live: LiveServer
) -> None:
    page = no_scripts
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    per = live.new_user("laerer", first_name="Per", last_name="Hansen")
    plan_id = live.create_plan(kari)
    goal_id = live.furnish_plan(plan_id, kari)["goal_id"]
    live.add_participant(plan_id, per, by=kari, role="provider", responsibility="Kontaktlærer")
    live.settle()
    before = comments_on(live, plan_id, goal_id)
    goal = f"#goal-{goal_id}"

    sign_in(page, live, per, land=False)
    page.goto(f"/plans/{plan_id}/plan")
    page.locator(goal).get_by_text("Skriv en kommentar").click()  # a link, without scripts
    page.locator(goal).locator("textarea[name=text]").fill(WRITTEN)
    idles_out(page, live)
    page.locator(goal).get_by_role("button", name="Send kommentaren").click()

    expect(page).to_have_url(re.compile(r"/login\?.*expired=1"))
    assert comments_on(live, plan_id, goal_id) == before  # nothing was saved
    logs_in_here(page, live, per)
    at_form = f"\\?kept=1#comment-goal-{goal_id}$"
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/plan{at_form}"))
    expect(page.locator(goal).locator("textarea[name=text]")).to_have_value(WRITTEN)
    expect(page.get_by_role("status").first).to_contain_text(
        "Du ble logget ut før dette ble lagret"
    )
    expect(page.locator(goal)).to_contain_text("Ikke lagret ennå")
    screenshot(page, "plan-comment-kept-no-scripts")

    page.locator(goal).get_by_role("button", name="Send kommentaren").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Kommentaren din er sendt.")
    assert comments_on(live, plan_id, goal_id) == [*before, WRITTEN]


def test_with_scripts_the_kept_form_and_the_tabs_draft_agree(page: Page, live: LiveServer) -> None:
    """With scripts, the tab keeps the draft too (drafts.js); the login returns to the form
    the server kept, and the page passes axe."""
    kari = live.new_user("koord2", first_name="Kari", coordinator=True)
    anne = live.new_user("forelder2", first_name="Anne", last_name="Nordmann")
    plan_id = live.create_plan(kari)
    goal_id = live.furnish_plan(plan_id, kari)["goal_id"]
    live.add_participant(plan_id, anne, by=kari, responsibility="Mor")
    live.settle()
    before = comments_on(live, plan_id, goal_id)
    goal = f"#goal-{goal_id}"

    sign_in(page, live, anne, land=False)
    page.goto(f"/plans/{plan_id}/plan")
    page.locator(goal).get_by_text("Skriv en kommentar").click()
    page.locator(goal).locator("textarea[name=text]").fill(WRITTEN)
    idles_out(page, live)
    page.locator(goal).get_by_role("button", name="Send kommentaren").click()

    expect(page).to_have_url(re.compile(r"/login\?.*expired=1"))
    logs_in_here(page, live, anne)
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/plan\?kept=1#comment-goal-{goal_id}$"))
    expect(page.locator(goal).locator("textarea[name=text]")).to_have_value(WRITTEN)
    axe(page, what="the plan with a form kept through the login")
    page.locator(goal).get_by_role("button", name="Send kommentaren").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Kommentaren din er sendt.")
    assert comments_on(live, plan_id, goal_id) == [*before, WRITTEN]
