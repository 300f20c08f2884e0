"""Without JavaScript too, a comment written while the session idles out is not lost.

A teacher's browser runs no scripts (a locked-down school computer). He opens the form
for a comment on the plan's goal and writes for longer than the idle timeout. He sends
it: the server, which can no longer save it, keeps it for him and asks him to log in;
after the login he is back on the plan with the comment open in its form, as typed, and
a note that it is not saved yet. He sends it, and it is saved once.
Screenshots at 360 and 1280 px: var/screenshots/plan-comment-kept-no-scripts-*.png.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

from stafett.applications.own_account import IDLE_TIMEOUT
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import digest
from stafett.web.auth import SESSION_COOKIE
from tests.browser.conftest import OpenPage
from tests.browser.harness import LiveServer, axe, screenshot
from tests.browser.test_drafts_after_login import (
    a_plan_to_comment_on,
    comments_on,
    logs_in_here,
    writes_a_comment,
)

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


@contextmanager
def kept_through_the_login(page: Page, live: LiveServer, prefix: str) -> Iterator[str]:
    """A member of a plan writes a comment on its goal, idles out and sends it; after the
    login she is back at the form with her text (yields the goal's selector), and sent
    again, it is saved once."""
    member = live.new_user(f"{prefix}laerer", first_name="Per", last_name="Hansen")
    plan_id, goal_id = a_plan_to_comment_on(live, prefix, (member, "provider"))
    before = comments_on(live, plan_id, goal_id)
    goal = f"#goal-{goal_id}"
    writes_a_comment(page, live, member, (plan_id, goal_id), WRITTEN)
    idles_out(page, live)
    page.locator(goal).get_by_role("button", name="Send kommentaren").click()
    expect(page).to_have_url(re.compile(r"/login\?.*expired=1"))
    assert comments_on(live, plan_id, goal_id) == before  # nothing was saved
    logs_in_here(page, live, member)
    at_form = f"\\?kept=1#comment-goal-{goal_id}$"
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/plan{at_form}"))
    expect(page.locator(goal).locator("textarea[name=text]")).to_have_value(WRITTEN)
    yield goal
    page.locator(goal).get_by_role("button", name="Send kommentaren").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Kommentaren din er sendt.")
    assert comments_on(live, plan_id, goal_id) == [*before, WRITTEN]


def test_a_comment_sent_without_scripts_after_the_session_idled_out_is_kept(
    no_scripts: Page, live: LiveServer
) -> None:
    page = no_scripts
    with kept_through_the_login(page, live, "uten") as goal:
        expect(page.get_by_role("status").first).to_contain_text(
            "Du ble logget ut før dette ble lagret"
        )
        expect(page.locator(goal)).to_contain_text("Ikke lagret ennå")
        screenshot(page, "plan-comment-kept-no-scripts")


def test_with_scripts_the_kept_form_and_the_tabs_draft_agree(page: Page, live: LiveServer) -> None:
    """With scripts, the tab keeps the draft too (drafts.js); the login returns to the form
    the server kept (drafts.js leaves it be), and the page passes axe."""
    with kept_through_the_login(page, live, "med"):
        axe(page, what="the plan with a form kept through the login")


def test_two_tabs_without_scripts_get_both_their_comments_back(
    no_scripts: Page, live: LiveServer
) -> None:
    """He writes a comment on the goal in one tab and on the activity in another, idles
    out, and sends both; after the login both forms are open with his text, the page says
    there are two, and each is saved once. Screenshots: plan-two-forms-kept-*.png."""
    first = no_scripts
    member = live.new_user("tofaner", first_name="Per", last_name="Hansen")
    kari = live.new_user("tofanerkoordinator", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    items = live.furnish_plan(plan_id, kari)
    live.add_participant(plan_id, member, by=kari, role="provider")
    live.settle()
    goal, activity = f"#goal-{items['goal_id']}", f"#activity-{items['activity_id']}"
    writes_a_comment(first, live, member, (plan_id, items["goal_id"]), WRITTEN)
    second = first.context.new_page()
    second.goto(f"/plans/{plan_id}/plan")
    second.locator(activity).get_by_text("Skriv en kommentar").click()
    on_activity = "Lesekvarteret går fint, men han vil lese høyt."
    second.locator(activity).locator("textarea[name=text]").fill(on_activity)
    idles_out(first, live)
    first.locator(goal).get_by_role("button", name="Send kommentaren").click()
    second.locator(activity).get_by_role("button", name="Send kommentaren").click()
    expect(second).to_have_url(re.compile(r"/login\?.*expired=1"))
    logs_in_here(second, live, member)
    expect(second).to_have_url(re.compile(rf"/plans/{plan_id}/plan\?kept=1#comment-activity-"))
    expect(second.get_by_role("status").first).to_contain_text("Du sendte 2 skjemaer")
    expect(second.locator(goal).locator("textarea[name=text]")).to_have_value(WRITTEN)
    expect(second.locator(activity).locator("textarea[name=text]")).to_have_value(on_activity)
    screenshot(second, "plan-two-forms-kept")
    second.locator(goal).get_by_role("button", name="Send kommentaren").click()
    expect(second.locator("[data-confirmation]")).to_have_text("Kommentaren din er sendt.")
    assert comments_on(live, plan_id, items["goal_id"])[-1] == WRITTEN
