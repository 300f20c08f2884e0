""" "Bytt bilde" in a real browser: the coordinator chooses a file for a participant,
the photo shows upright with the person's name as its text (loaded under the CSP,
with the session cookie), a file that is no photo is named next to the field, and
"Slett bilde" takes it away. Screenshots at 360 and 1280 px:
var/screenshots/participant-photo-*.png and participant-photo-refused-*.png.
"""

from pathlib import Path

from playwright.sync_api import Page, expect

from stafett.aggregates.values import Rights
from tests.browser.harness import LiveServer, axe, screenshot, sign_in
from tests.images import TEXT_FILE, portrait_jpeg


def test_the_coordinator_changes_a_participant_s_photo(
    page: Page, live: LiveServer, tmp_path: Path
) -> None:
    kari = live.new_user("koordinator", first_name="Kari", coordinator=True)
    anne = live.new_user("forelder", first_name="Anne", last_name="Nordmann")
    plan_id = live.create_plan(kari)
    anne_pid = live.add_participant(plan_id, anne, by=kari, rights=Rights(), responsibility="Mor")
    live.settle()
    photo_file = tmp_path / "IMG_2041.jpg"
    photo_file.write_bytes(portrait_jpeg())
    not_a_photo = tmp_path / "ferie.jpg"
    not_a_photo.write_bytes(TEXT_FILE)
    details = f"/plans/{plan_id}/participants/{anne_pid}"

    sign_in(page, live, kari, land=False)
    page.goto(details)
    expect(page.get_by_text("Ikke noe bilde ennå.")).to_be_visible()
    page.get_by_label("Velg et bilde").set_input_files(photo_file)
    page.get_by_role("button", name="Legg til bildet").click()

    expect(page.get_by_text("Bildet er lagret.")).to_be_visible()
    photo = page.get_by_role("img", name="Anne Nordmann")
    expect(photo).to_be_visible()
    size = photo.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert size == [True, 384, 512]  # loaded, upright, at most 512 px
    expect(page.get_by_role("button", name="Slett bilde")).to_be_visible()
    axe(page, what="participant details with a photo")
    screenshot(page, "participant-photo")

    page.get_by_label("Velg et nytt bilde").set_input_files(not_a_photo)
    page.get_by_role("button", name="Bytt bilde").click()
    message = page.locator("#f-photo-error")
    expect(message).to_have_text(
        "Filen er ikke et bilde vi kan bruke. Velg et bilde i JPEG, PNG eller WebP."
    )
    expect(page.get_by_label("Velg et nytt bilde")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("img", name="Anne Nordmann")).to_be_visible()  # the old one stays
    axe(page, what="participant details with a refused photo")
    screenshot(page, "participant-photo-refused")

    page.get_by_role("button", name="Slett bilde").click()
    expect(page.get_by_text("Bildet er slettet.")).to_be_visible()
    expect(page.get_by_role("img", name="Anne Nordmann")).to_have_count(0)
