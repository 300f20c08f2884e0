"""What a parent is told when the plan's owner has reached the consent age (decision
0055), in Chromium: where the withdrawal link was, who decides now and whom to talk to;
axe on the page, screenshots at 360 and 1280 px (var/screenshots/consent-age-parent-*)."""

from dataclasses import replace

from playwright.sync_api import Page, expect

from stafett.aggregates.values import Role, local_date
from tests.browser.harness import LiveServer, axe, screenshot, sign_in


def test_a_parent_of_a_sixteen_year_old_is_told_that_the_young_person_decides(
    page: Page, live: LiveServer
) -> None:
    kari = live.new_user("kari", coordinator=True)
    anne = live.new_user("anne")
    plan_id = live.create_plan(kari)
    live.add_participant(plan_id, anne, by=kari)
    plans = live.built.plans
    owner = next(p for p in plans.get_plan(plan_id).participants if p.role is Role.OWNER)
    today = local_date(plans.clock())
    before = plans.get_person(owner.person_id).details
    sixteen = replace(before, birth_date=today.replace(year=today.year - 16))
    plans.directory.update(owner.person_id, before, sixteen, actor_id=None, at=plans.clock())

    sign_in(page, live, anne)
    page.goto(f"/plans/{plan_id}/participants")
    card = page.locator("#withdraw-heading").locator("..")
    expect(card).to_contain_text(
        "Ola Nordmann er 16 år eller eldre og bestemmer selv over samtykket"
    )
    expect(page.get_by_role("link", name="Trekk tilbake samtykke")).to_have_count(0)
    axe(page, what="the participants tab of a parent of a young person of consent age")
    screenshot(page, "consent-age-parent")
