"""Two people correcting one person at once, in a real browser (decision 0037).

The coordinator opens a parent's details; meanwhile the parent corrects her place and
position on her profile. The coordinator changes the place too, and the workplace:
the form comes back with the parent's place named at the field and her position shown,
nothing saved; sent again, the coordinator's values are saved and the parent's position
stays. Screenshots at 360 and 1280 px: var/screenshots/participant-details-clash-*.png.
"""

from dataclasses import replace

from playwright.sync_api import Page, expect

from stafett.aggregates.values import Rights
from tests.browser.harness import LiveServer, axe, screenshot, sign_in


def test_a_details_form_meets_the_persons_own_change(page: Page, live: LiveServer) -> None:
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    anne = live.new_user("forelder", first_name="Anne", last_name="Nordmann")
    plan_id = live.create_plan(kari)
    anne_pid = live.add_participant(plan_id, anne, by=kari, rights=Rights(), responsibility="Mor")
    live.settle()
    directory = live.built.plans.directory

    sign_in(page, live, kari, land=False)
    page.goto(f"/plans/{plan_id}/participants/{anne_pid}")
    form = page.locator("form[data-draft=details]")
    expect(form.locator("input[name=place]")).to_have_value("")
    seen = directory.get(anne.person_id).details
    own = replace(seen, place="Bø i Telemark", position="Lærer")
    directory.update(
        anne.person_id, seen, own, actor_id=anne.person_id, at=live.built.plans.clock()
    )

    form.locator("input[name=place]").fill("Oslo")
    form.locator("input[name=workplace]").fill("Solbakken skole")
    form.get_by_role("button", name="Lagre").click()

    message = page.locator("#f-place-error")
    expect(message).to_contain_text(
        "Noen andre endret «Poststed» mens du skrev; nå står det «Bø i Telemark»"
    )
    expect(page.locator("form[data-draft=details] input[name=place]")).to_have_value("Oslo")
    expect(page.locator("form[data-draft=details] input[name=position]")).to_have_value("Lærer")
    expect(page.locator(".ds-error-summary")).to_be_visible()
    assert directory.get(anne.person_id).details.place == "Bø i Telemark"
    axe(page, what="participant details after a clash")
    screenshot(page, "participant-details-clash")

    page.locator("form[data-draft=details]").get_by_role("button", name="Lagre").click()
    expect(page.locator("[data-confirmation]")).to_be_visible()
    now = directory.get(anne.person_id).details
    assert (now.place, now.workplace, now.position) == ("Oslo", "Solbakken skole", "Lærer")
