"""Going back after a save does not offer to save it again.

A goal, a comment or a message saved and confirmed, then the browser's Back button:
the page is fetched again (no-store), and Chromium would fill the form in with what was
typed before it was sent, under a fresh one-time token (decision 0038), so one more
press saved it twice. The forms that add to a plan say `autocomplete="off"`, which
tells the browser not to restore their fields; a draft not yet sent is still kept by
drafts.js (its own store, emptied once a page confirms the write).
"""

from playwright.sync_api import Page, expect

from tests.browser.harness import LiveServer, sign_in

CONFIRMATION = "[data-confirmation]"


def test_back_after_adding_a_goal_shows_an_empty_form(page: Page, live: LiveServer) -> None:
    kari = live.new_user("kari", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari, short_name="Tilbake", owner_first="Tuva")
    live.settle()
    sign_in(page, live, kari)
    page.goto(f"/plans/{plan_id}/plan")
    page.locator("#goal-new summary").click()
    page.locator("#goal-new-title").fill("Tuva sykler til skolen")
    page.locator("#goal-new-description").fill("Med hjelm.")
    page.locator("#goal-new button[type=submit]").click()
    expect(page.locator(CONFIRMATION)).to_have_text("Målet er lagt til.")

    page.go_back()
    page.wait_for_load_state("load")
    expect(page.locator("#goal-new-title")).to_have_value("")
    expect(page.locator("#goal-new-description")).to_have_value("")
    goals = live.built.plans.get_plan(plan_id).goals
    assert [g.title for g in goals] == ["Tuva sykler til skolen"]
