"""A comment sent with a double click is posted once, and the page says it was sent,
with no conflict over the person's own comment.

(htmx queues a second click's request until the first is answered and drops it once the
answer has replaced the form; Chromium without htmx, tried by hand, sent the form once
too. A second request that did arrive would carry the form's one-time token, already
kept with the first one's comment: it would save nothing and go where the first went,
decision 0038, tested in tests/e2e/test_pages_plan.py.)
"""

from playwright.sync_api import Page, expect

from stafett.aggregates.values import CommentTarget
from tests.browser.harness import LiveServer, sign_in


def test_a_double_click_posts_one_comment(page: Page, live: LiveServer) -> None:
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    items = live.furnish_plan(plan_id, kari)
    live.settle()
    minutes_id = items["minutes_id"]

    sign_in(page, live, kari, land=False)
    page.goto(f"/plans/{plan_id}/plan")
    minutes = page.locator(f"#minutes-{minutes_id}")
    minutes.get_by_text("Skriv en kommentar").click()
    minutes.locator("textarea[name=text]").fill("Bra møte, takk for sist.")
    minutes.get_by_role("button", name="Send kommentaren").dblclick()

    expect(page.locator("[data-confirmation]")).to_have_text("Kommentaren din er sendt.")
    listed = page.locator(f"#comment-minutes-{minutes_id}-list")
    expect(listed).to_contain_text("Bra møte, takk for sist.")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Noen endret planen mens du skrev")).to_have_count(0)
    on_minutes = [
        c
        for c in live.built.plans.get_plan(plan_id).comments
        if c.on_kind is CommentTarget.MINUTES and c.on_id == minutes_id
    ]
    assert [c.text for c in on_minutes] == ["Bra møte, takk for sist."]
