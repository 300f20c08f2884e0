"""What a parent is told when the plan's owner has reached the consent age (decision
0055), in Chromium: where the withdrawal link was, who decides now and whom to talk to;
and what the coordinator is told when the owner came of age after the consent was given
(decision 0056). axe on each page, screenshots at 360 and 1280 px
(var/screenshots/consent-age-parent-*, consent-came-of-age-*)."""

from dataclasses import replace
from datetime import timedelta

from playwright.sync_api import Page, expect

from stafett.aggregates.values import Role, local_date
from stafett.applications.commands import RenewConsent
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


def test_the_coordinator_is_told_that_the_owner_came_of_age_after_the_consent(
    page: Page, live: LiveServer
) -> None:
    """Decision 0056: the parents' consent was given 40 days ago, and Ola turned 16 since;
    the coordinator's home tab says Ola now decides and links to the consent form."""
    kari = live.new_user("kari", coordinator=True)
    plan_id = live.create_plan(kari)
    plans = live.built.plans
    today = local_date(plans.clock())
    plans.handle(
        plan_id,
        RenewConsent(
            given_by="Anne Nordmann (mor)",
            given_on=today - timedelta(days=40),
            expires_on=today + timedelta(days=300),
            scope="Full deling i plangruppen",
        ),
        by=kari.person_id,
    )
    owner = next(p for p in plans.get_plan(plan_id).participants if p.role is Role.OWNER)
    birthday = today - timedelta(days=10)
    born = birthday.replace(year=birthday.year - 16, day=min(birthday.day, 28))
    before = plans.get_person(owner.person_id).details
    plans.directory.update(
        owner.person_id, before, replace(before, birth_date=born), actor_id=None, at=plans.clock()
    )

    sign_in(page, live, kari)
    page.goto(f"/plans/{plan_id}/")
    card = page.locator("#came-of-age-heading").locator("..")
    expect(card).to_contain_text("Ola Nordmann bestemmer nå selv over samtykket")
    expect(card).to_contain_text("før Ola Nordmann fylte 16 år")
    axe(page, what="the coordinator's home tab after the owner came of age")
    screenshot(page, "consent-came-of-age-home")
    card.get_by_role("link", name="Skriv ned det nye samtykket").click()
    expect(page.locator("#f-given_on")).to_have_value(today.isoformat())
    expect(page.locator("#consent-now-heading").locator("..")).to_contain_text(
        "Fra 16 år bestemmer Ola Nordmann selv over samtykket"
    )
    screenshot(page, "consent-came-of-age-manage")
