"""A long word or a pasted link in what people write wraps inside its card, on a phone
and on a wide screen, instead of running past the card's edge, where it was cut off and
could be neither read nor copied."""

from playwright.sync_api import Page

from stafett.aggregates.values import CommentTarget
from stafett.applications.commands import PostComment, SetGoal
from stafett.applications.parts import CommentOn
from tests.browser.harness import LiveServer, screenshot, sign_in

LINK = "https://www.udir.no/laring-og-trivsel/lareplanverket/" + "a" * 80
TITLE = "Ola_mestrer_lesing_av_kapittelbøker_på_egen_hånd_før_jul_og_leser_høyt_hjemme"


def test_long_words_wrap_inside_their_card(page: Page, live: LiveServer) -> None:
    kari = live.new_user("kari", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    plans = live.built.plans
    goal = plans.handle(plan_id, SetGoal(title=TITLE, description=LINK), by=kari.person_id)
    assert goal.created_id is not None
    on = CommentOn(kind=CommentTarget.GOAL, id=goal.created_id)
    plans.handle(plan_id, PostComment(on=on, text=f"Se {LINK}"), by=kari.person_id)
    live.settle()
    sign_in(page, live, kari)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"/plans/{plan_id}/plan?comments=goal-{goal.created_id}")
        card = page.locator(f"#goal-{goal.created_id}")
        overflowing = card.evaluate(
            """(card) => [card, ...card.querySelectorAll('*')]
                .filter((el) => el.scrollWidth > el.clientWidth + 1
                    && getComputedStyle(el).overflowX !== 'auto')
                .map((el) => el.tagName + '.' + el.className)"""
        )
        assert overflowing == [], (width, overflowing)
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= width, (width, page_width)
    screenshot(page, "long-words")
