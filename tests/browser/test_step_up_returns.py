"""Closing a plan waits for a fresh one-time code, and nothing typed is lost (decision 0031).

The coordinator logged in more than five minutes ago. She writes why the plan is closed
and presses "Avslutt planen": the step-up page says the closing waits for a code and is
not done yet. She asks for a code (the page says it is sent: a notice, not a saved
write, so the tab keeps her draft) and types it; she is back on the manage page with
her reason in the form and a line saying to press the button again. Pressed, the plan
is closed with her reason. Screenshots at 360 and 1280 px:
var/screenshots/step-up-waiting-*.png and step-up-form-given-back-*.png.
"""

import re

from playwright.sync_api import Page, expect

from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import digest
from stafett.web.auth import SESSION_COOKIE
from tests.browser.harness import LiveServer, axe, screenshot, sign_in

REASON = "Familien har flyttet til en annen kommune. Skolen sender mappen videre."


def code_gets_old(page: Page, live: LiveServer) -> None:
    """The session's last one-time code was accepted more than five minutes ago."""
    (token,) = [c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    sessions = live.built.accounts.sessions
    long_ago = to_micros(live.built.accounts.clock()) - 6 * 60 * 1_000_000
    sessions.write(
        f"UPDATE {sessions.sessions} SET code_at=%s WHERE token_hash=%s", long_ago, digest(token)
    )


def test_closing_a_plan_comes_back_to_the_form_after_the_code(page: Page, live: LiveServer) -> None:
    kari = live.new_user("stegkoordinator", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    live.settle()
    sign_in(page, live, kari)
    code_gets_old(page, live)

    page.goto(f"/plans/{plan_id}/manage")
    close = page.locator(f"form[action='/plans/{plan_id}/manage/close']")
    close.locator("textarea[name=reason]").fill(REASON)
    close.locator("input[name=confirm_close]").check()
    close.get_by_role("button", name="Avslutt planen").click()

    expect(page).to_have_url(re.compile(r"/step-up\?next=.*&waiting=ClosePlan"))
    waiting = page.get_by_role("status").first
    expect(waiting).to_contain_text("Du holder på å avslutte planen.")
    expect(waiting).to_contain_text("Det er ikke gjort ennå")
    draft = f"stafett:draft:/plans/{plan_id}/manage/close#close"
    assert REASON in (page.evaluate("(k) => sessionStorage.getItem(k)", draft) or "")

    page.get_by_role("button", name="Send meg en kode").click()
    expect(page.locator("[data-confirmation]")).to_contain_text("Vi har sendt deg en ny")
    # The code sent is no saved write: the tab keeps the draft of the form that waits.
    assert REASON in (page.evaluate("(k) => sessionStorage.getItem(k)", draft) or "")
    axe(page, what="the step-up page with an action waiting")
    screenshot(page, "step-up-waiting")

    page.locator("#f-code").fill(live.latest_code(kari))
    page.get_by_role("button", name="Fortsett").click()
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/manage\?kept=1&stepped_up=1$"))
    expect(page.get_by_role("status").first).to_contain_text("Dette er ikke gjort ennå")
    close = page.locator(f"form[action='/plans/{plan_id}/manage/close']")
    expect(close.locator("textarea[name=reason]")).to_have_value(REASON)
    assert live.built.plans.get_plan(plan_id).status.value == "open"
    axe(page, what="the manage page with the form given back after a step-up")
    screenshot(page, "step-up-form-given-back")

    close.locator("input[name=confirm_close]").check()
    close.get_by_role("button", name="Avslutt planen").click()
    expect(page.locator("[data-confirmation]")).to_contain_text("Planen er avsluttet")
    state = live.built.plans.get_plan(plan_id)
    assert (state.status.value, state.closed_reason) == ("closed", REASON)
    # The write confirmed ends the draft.
    assert page.evaluate("(k) => sessionStorage.getItem(k)", draft) is None
