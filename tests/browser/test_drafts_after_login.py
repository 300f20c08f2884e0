"""Nothing typed is lost when the session ends while a person writes (issue 10, item 9),
and what one person typed is never shown to the next on the same computer.

A parent opens the form for a comment on the plan's goal and writes. Meanwhile her
session ends (as after 15 idle minutes away). She sends the comment: the page asks her to
log in again and says her text is kept; after the login she is back on the plan with her
text in the form, and sent, it is saved once. Then, on the same tab, she writes again and
leaves without sending; her session ends, and another member of the plan group logs in
there: the same form is empty for him, and nothing she typed is left in the tab.
Screenshots at 360 and 1280 px: var/screenshots/plan-comment-kept-*.png.
"""

import re
from uuid import UUID

from playwright.sync_api import Page, expect

from stafett.aggregates.values import CommentTarget
from stafett.web.auth import SESSION_COOKIE
from tests.browser.harness import LiveServer, User, axe, code_in, screenshot, sign_in

KEPT = "Ola har lest hver kveld denne uka, også i helgen. Vi tar med boka på møtet."
LEFT = "Utkast som ikke ble sendt: Ola var lei seg på tirsdag."


def session_ends(page: Page, live: LiveServer) -> None:
    """The session ends on the server, as after the idle timeout; the tab does not know."""
    (token,) = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    live.built.accounts.logout(token)


def logs_in_here(page: Page, live: LiveServer, user: User) -> None:
    """The login form the tab shows, filled in and sent, with the code from the outbox."""
    before = len(live.inbox(user))
    page.locator("#f-username").fill(user.username)
    page.locator("#f-password").fill(user.password)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login/code"))
    page.locator("#f-code").fill(code_in(live.message(user, before + 1)))
    page.locator("form[action='/login/code'] button[type=submit]").click()
    page.wait_for_load_state()
    if "/login/terms" in page.url:
        page.locator("button[name=answer][value=yes]").click()


def a_plan_to_comment_on(
    live: LiveServer, prefix: str, *members: tuple[User, str]
) -> tuple[UUID, UUID]:
    """A coordinator's plan with a goal and `members` (a user and their role) in its group,
    the plan list caught up: (the plan's id, the goal's)."""
    kari = live.new_user(f"{prefix}koordinator", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    goal_id = live.furnish_plan(plan_id, kari)["goal_id"]
    for member, role in members:
        live.add_participant(plan_id, member, by=kari, role=role)
    live.settle()
    return plan_id, goal_id


def writes_a_comment(
    page: Page, live: LiveServer, writer: User, on: tuple[UUID, UUID], text: str
) -> None:
    """`writer`, signed in, opens the form for a comment on the goal `on` (the plan's id and
    the goal's) and writes `text`."""
    plan_id, goal_id = on
    goal = f"#goal-{goal_id}"
    sign_in(page, live, writer, land=False)
    page.goto(f"/plans/{plan_id}/plan")
    page.locator(goal).get_by_text("Skriv en kommentar").click()  # without scripts: a link
    page.locator(goal).locator("textarea[name=text]").fill(text)


def comments_on(live: LiveServer, plan_id: UUID, goal_id: UUID) -> list[str]:
    return [
        c.text
        for c in live.built.plans.get_plan(plan_id).comments
        if c.on_kind is CommentTarget.GOAL and c.on_id == goal_id
    ]


def test_a_comment_written_as_the_session_ends_is_kept_through_the_login(
    page: Page, live: LiveServer
) -> None:
    anne = live.new_user("forelder", first_name="Anne", last_name="Nordmann")
    per = live.new_user("laerer", first_name="Per", last_name="Hansen")
    plan_id, goal_id = a_plan_to_comment_on(live, "", (anne, "relative"), (per, "provider"))
    before = comments_on(live, plan_id, goal_id)
    goal = f"#goal-{goal_id}"

    writes_a_comment(page, live, anne, (plan_id, goal_id), KEPT)
    session_ends(page, live)
    page.locator(goal).get_by_role("button", name="Send kommentaren").click()

    expect(page).to_have_url(re.compile(r"/login\?.*expired=1"))
    expect(page.get_by_role("status")).to_contain_text("det du skrev, er tatt vare på")
    assert comments_on(live, plan_id, goal_id) == before  # nothing was saved
    logs_in_here(page, live, anne)
    at_form = f"\\?open=comment-goal-{goal_id}#comment-goal-{goal_id}$"
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/plan{at_form}"))
    expect(page.locator(goal).locator("textarea[name=text]")).to_have_value(KEPT)
    axe(page, what="the plan with the comment kept through the login")
    screenshot(page, "plan-comment-kept")

    page.locator(goal).get_by_role("button", name="Send kommentaren").click()
    expect(page.locator("[data-confirmation]")).to_have_text("Kommentaren din er sendt.")
    assert comments_on(live, plan_id, goal_id) == [*before, KEPT]

    # She writes again, leaves without sending, and her session ends; Per logs in here.
    page.goto(f"/plans/{plan_id}/plan?open=comment-goal-{goal_id}")
    expect(page.locator(goal).locator("textarea[name=text]")).to_have_value("")  # sent: gone
    page.locator(goal).locator("textarea[name=text]").fill(LEFT)
    session_ends(page, live)
    page.goto(f"/plans/{plan_id}/plan?open=comment-goal-{goal_id}")
    expect(page).to_have_url(re.compile(r"/login"))
    logs_in_here(page, live, per)
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/plan\?open=comment-goal-{goal_id}"))
    expect(page.locator(goal).locator("textarea[name=text]")).to_have_value("")
    kept = page.evaluate(
        "() => Object.keys(sessionStorage).map(k => k + '=' + sessionStorage.getItem(k))"
    )
    assert not [entry for entry in kept if "Ola var lei seg" in entry], kept
    assert comments_on(live, plan_id, goal_id) == [*before, KEPT]
