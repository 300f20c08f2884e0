"""A password can be seen while it is typed (SEC-PWP-07), in Chromium.

Each password field of the pages is a password field, says what it is for to password
managers (`autocomplete`), takes pasting, and has a button after it that shows the
password and hides it again, by mouse or by keyboard; the password is hidden again
before the form is sent, and no draft of the tab keeps it.
"""

import re

from playwright.sync_api import Page, expect

from tests.browser.harness import LiveServer, axe, log_in, screenshot, tab_to


def test_the_login_password_is_shown_and_hidden_again_and_sent_hidden(
    page: Page, live: LiveServer
) -> None:
    kari = live.new_user("kari")
    page.goto("/login")
    field = page.locator("#f-password")
    expect(field).to_have_attribute("type", "password")
    expect(field).to_have_attribute("autocomplete", "current-password")
    assert field.get_attribute("onpaste") is None
    page.locator("#f-username").fill(kari.username)
    field.fill(kari.password)
    show = page.get_by_role("button", name="Vis passord")
    show.click()
    expect(field).to_have_attribute("type", "text")
    expect(field).to_have_value(kari.password)
    hide = page.get_by_role("button", name="Skjul passord")
    axe(page, what="the login page, the password shown")
    screenshot(page, "login-password-shown")
    hide.click()
    expect(field).to_have_attribute("type", "password")
    page.get_by_role("button", name="Vis passord").click()  # shown when sent
    page.evaluate(
        """() => document.querySelector("form[action='/login']").addEventListener("submit",
            () => sessionStorage.setItem("sent as", document.getElementById("f-password").type))"""
    )
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login/code"))
    assert page.evaluate("sessionStorage.getItem('sent as')") == "password"


def test_the_keyboard_reaches_the_button_and_it_shows_the_password(
    page: Page, live: LiveServer
) -> None:
    page.goto("/login")
    page.locator("#f-password").focus()
    page.keyboard.type("et passord")
    passed = tab_to(page, "button.password-reveal", limit=1)
    assert passed[-1]["text"] == "Vis passord"
    page.keyboard.press("Enter")
    expect(page.locator("#f-password")).to_have_attribute("type", "text")
    assert tab_to(page, "button[type=submit]", limit=1)[-1]["text"] == "Logg inn"


def test_a_shown_password_is_kept_in_no_draft(page: Page, live: LiveServer) -> None:
    """The profile's forms keep drafts in the tab; a password shown as text is not one."""
    anne = live.new_user("anne")
    log_in(page, live, anne)
    page.goto("/profile")
    field = page.locator("#f-confirm_password")  # in the details form, which keeps drafts
    page.locator("#f-confirm_password + button.password-reveal").click()
    expect(field).to_have_attribute("type", "text")
    field.fill("hemmelig-passord-456")
    page.locator("form[data-draft=my-details] input[name=workplace]").fill("Skolen i Bø")
    stored = page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")
    assert "Skolen i Bø" in stored  # the form's draft was kept
    assert "hemmelig-passord" not in stored
