"""The confirmation of a write is in view where the page opens after it.

Adding a goal opens the plan tab at the new goal (`#goal-…`), a comment shows its list:
on a phone both are far below the confirmation at the top of the page, which said
"Målet er lagt til." where nobody saw it. It now stays at the top of the screen (sticky),
and the new item is not hidden under it. Screenshot (the screen, not the page):
var/screenshots/goal-added-in-view-360.png.
"""

from playwright.sync_api import Page, expect

from tests.browser.harness import SCREENSHOTS, LiveServer, sign_in


def in_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    height = page.evaluate("window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_the_goal_added_and_its_confirmation_are_both_in_view(page: Page, live: LiveServer) -> None:
    kari = live.new_user("kari", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    live.furnish_plan(plan_id, kari)  # a plan long enough that the new goal is far down
    live.settle()
    sign_in(page, live, kari)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/plans/{plan_id}/plan")
    page.locator("#goal-new summary").click()
    page.locator("#goal-new-title").fill("Tuva sykler til skolen")
    page.locator("#goal-new button[type=submit]").click()

    confirmation = page.locator("[data-confirmation]")
    expect(confirmation).to_have_text("Målet er lagt til.")
    assert page.evaluate("window.scrollY") > 300  # opened at the new goal, far down
    assert in_view(page, "[data-confirmation]")
    goal = page.locator("#goals article", has_text="Tuva sykler til skolen")
    heading = goal.locator("h3").first
    box = heading.bounding_box()
    banner = confirmation.bounding_box()
    assert box is not None
    assert banner is not None
    assert box["y"] >= banner["y"] + banner["height"]  # not under the confirmation
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "goal-added-in-view-360.png")  # what the phone shows
