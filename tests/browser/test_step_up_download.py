"""The PDF asked for with a one-time code grown old (decision 0031): the step-up page,
then the plan tab that offers the PDF, saying to press it again; the file comes at that
press. Before, the confirmed code sent the file while the step-up page stayed on the
screen with the code still in it, and "Back without doing it" asked for a code again.
Screenshots: var/screenshots/step-up-download-ready-*.png."""

import re

from playwright.sync_api import Page, expect

from tests.browser.harness import LiveServer, axe, screenshot, sign_in
from tests.browser.test_step_up_returns import code_gets_old

READY = "Trykk «Skriv ut / last ned PDF» igjen for å få filen."


def test_the_pdf_after_a_step_up_is_one_press_away_on_the_plan_tab(
    page: Page, live: LiveServer
) -> None:
    kari = live.new_user("nedlaster", first_name="Kari", coordinator=True)
    plan_id = live.create_plan(kari)
    live.settle()
    sign_in(page, live, kari)
    code_gets_old(page, live)

    page.goto(f"/plans/{plan_id}/plan")
    page.get_by_role("link", name="Skriv ut / last ned PDF").click()
    expect(page).to_have_url(re.compile(r"/step-up\?next="))
    back = page.get_by_role("link", name="Tilbake uten å gjøre det")
    expect(back).to_have_attribute("href", f"/plans/{plan_id}/plan")

    page.get_by_role("button", name="Send meg en kode").click()
    page.locator("#f-code").fill(live.latest_code(kari))
    page.get_by_role("button", name="Fortsett").click()
    expect(page).to_have_url(re.compile(rf"/plans/{plan_id}/plan\?saved=download_ready$"))
    expect(page.locator("[data-confirmation]")).to_contain_text(READY)
    axe(page, what="the plan tab after a step-up for the PDF")
    screenshot(page, "step-up-download-ready")

    with page.expect_download() as download:
        page.get_by_role("link", name="Skriv ut / last ned PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
