"""The login pages in Chromium: every step a person takes, by mouse and by keyboard.

Codes and links come from the outbox, as the person would read them in an SMS or
an e-mail. Each error state is checked with axe too; the page fixture fails any
test whose pages break the CSP, throw a script error or run a payload.
"""

import re
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from stafett.applications.accounts import OtpChannel
from stafett.applications.terms import terms
from tests.browser.harness import (
    LiveServer,
    Watch,
    axe,
    code_in,
    link_in,
    log_in,
    screenshot,
    submit_code,
    submit_password,
    tab_to,
)
from tests.browser.xss import CORPUS, Payload, assert_inert, shown_verbatim
from tests.leakcheck import remember

NEW_PASSWORD = "sju søvnige sjøløver synger"
remember(NEW_PASSWORD)
ERROR = ".ds-alert[data-color=danger]"
CONFIRMATION = ".ds-alert[data-color=success]"


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def a_wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def test_a_first_login_takes_the_password_a_code_and_the_terms_in_full(
    page: Page, live: LiveServer
) -> None:
    kari = live.new_user("kari")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("h1")).to_have_text("Logg inn i Stafett")

    submit_password(page, kari)
    expect(page).to_have_url(re.compile(r"/login/code\?via=email"))
    expect(page.locator("h1")).to_have_text("Engangskode")
    expect(page.locator("main")).to_contain_text("e-postadressen din")
    axe(page, what="the code page")

    submit_code(page, live.latest_code(kari))
    expect(page).to_have_url(re.compile(r"/login/terms"))
    agreement = terms("nb")
    expect(page.locator("h1")).to_have_text(agreement.title)
    main = page.locator("main")
    expect(main).to_contain_text(f"Versjon {agreement.version}")
    expect(main).to_contain_text(agreement.preamble)
    rules = page.locator("ul.terms > li")
    expect(rules).to_have_text(list(agreement.rules))
    expect(main).to_contain_text(agreement.question)
    axe(page, what="the terms")

    page.get_by_role("button", name="Ja, jeg godtar").click()
    page.wait_for_url("**/plans")
    assert path_of(page) == "/plans"
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["__Host-sid"]
    remember(session["value"])
    remember(cookies["__Host-device"]["value"])
    assert session["secure"]
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    assert session["path"] == "/"
    assert not session["domain"].startswith(".")  # host-only, as __Host- demands
    page.goto("/")  # the address people type leads to their plans now
    assert path_of(page) == "/plans"


def test_a_later_login_asks_for_no_terms(page: Page, live: LiveServer) -> None:
    per = live.new_user("per")
    log_in(page, live, per)
    page.context.clear_cookies()
    before = len(live.inbox(per))
    submit_password(page, per)
    submit_code(page, code_in(live.message(per, before + 1)))
    page.wait_for_url("**/plans")


def test_a_wrong_password_is_said_in_norwegian_and_the_username_kept(
    page: Page, live: LiveServer
) -> None:
    ola = live.new_user("ola")
    submit_password(page, ola, password="ikke passordet mitt")
    alert = page.locator(ERROR)
    expect(alert).to_contain_text("Feil brukernavn eller passord.")
    expect(alert).to_have_attribute("role", "alert")
    expect(page.locator("#f-username")).to_have_value(ola.username)
    expect(page.locator("#f-password")).to_have_value("")
    assert live.inbox(ola) == []  # no code for a wrong password
    axe(page, what="the login page with its error")
    screenshot(page, "login-wrong-password")


def test_a_wrong_code_is_said_and_a_new_code_replaces_it(page: Page, live: LiveServer) -> None:
    siri = live.new_user("siri")
    submit_password(page, siri)
    first = code_in(live.message(siri, 1))
    submit_code(page, a_wrong_code(first))
    expect(page.locator(ERROR)).to_contain_text("Koden er feil eller utløpt")
    expect(page).to_have_url(re.compile(r"/login/code"))
    field = page.locator("#f-code")  # the message is the field's description
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#" + str(field.get_attribute("aria-describedby")))).to_contain_text(
        "Koden er feil eller utløpt"
    )
    axe(page, what="the code page with its error")
    screenshot(page, "login-code-wrong")

    page.get_by_role("button", name="Send ny kode").click()
    expect(page.locator(CONFIRMATION)).to_contain_text("En ny kode er på vei.")
    second = code_in(live.message(siri, 2))
    submit_code(page, first)  # the earlier code no longer works
    expect(page.locator(ERROR)).to_contain_text("Koden er feil eller utløpt")
    submit_code(page, second)
    page.get_by_role("button", name="Ja, jeg godtar").click()
    page.wait_for_url("**/plans")


def test_declining_the_terms_logs_nobody_in(page: Page, live: LiveServer) -> None:
    geir = live.new_user("geir")
    submit_password(page, geir)
    submit_code(page, code_in(live.message(geir, 1)))
    page.get_by_role("button", name="Nei").click()
    said = page.locator("[data-confirmation]")
    expect(said).to_contain_text("Du takket nei til vilkårene")
    expect(said).to_have_attribute("data-color", "info")  # said, not celebrated
    assert path_of(page) == "/login"
    assert "__Host-sid" not in {c["name"] for c in page.context.cookies()}
    axe(page, what="the login page after declining")
    screenshot(page, "login-terms-declined")


def test_a_forgotten_password_is_set_anew_through_the_link_in_the_email(
    page: Page, live: LiveServer
) -> None:
    helga = live.new_user("helga", channel=OtpChannel.SMS)  # codes by SMS, links by e-mail
    page.goto("/login")
    page.get_by_role("link", name="Glemt passord?").click()
    expect(page).to_have_url(re.compile(r"/password-reset$"))
    page.locator("#f-username").fill(helga.username)
    page.get_by_role("button", name="Send meg en lenke").click()
    expect(page.locator("[role=status]")).to_contain_text("Hvis brukernavnet finnes")
    axe(page, what="the reset request, sent")
    screenshot(page, "password-reset-sent")

    link = link_in(live.message(helga, 1, address=helga.email))
    assert link.startswith(live.base_url + "/reset/")
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Velg nytt passord")
    page.locator("#f-new_password").fill(NEW_PASSWORD)
    page.locator("#f-new_password_again").fill(NEW_PASSWORD + " ikke likt")
    page.get_by_role("button", name="Lagre det nye passordet").click()
    expect(page.locator("#f-new_password_again-error")).to_have_text(
        "De to passordene er ulike. Skriv dem på nytt."
    )
    expect(page.locator(".ds-error-summary")).to_be_visible()
    axe(page, what="the new-password page with its error")
    screenshot(page, "reset-new-password-mismatch")

    page.locator("#f-new_password").fill(NEW_PASSWORD)
    page.locator("#f-new_password_again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Lagre det nye passordet").click()
    expect(page.locator(CONFIRMATION)).to_contain_text("Det nye passordet ditt er lagret.")
    assert path_of(page) == "/login"

    submit_password(page, helga)  # the old one
    expect(page.locator(ERROR)).to_contain_text("Feil brukernavn eller passord.")
    texts = len(live.inbox(helga))  # the SMS saying the password was changed, among them
    submit_password(page, helga, password=NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/login/code\?via=sms"))
    expect(page.locator("main")).to_contain_text("SMS")
    submit_code(page, code_in(live.message(helga, texts + 1)))
    page.get_by_role("button", name="Ja, jeg godtar").click()
    page.wait_for_url("**/plans")


def test_the_language_switch_is_remembered_until_switched_back(page: Page) -> None:
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "nb"
    english = page.get_by_role("button", name="English")
    expect(english).to_have_attribute("lang", "en")
    english.click()
    expect(page.locator("h1")).to_have_text("Log in to Stafett")
    assert page.locator("html").get_attribute("lang") == "en"
    assert path_of(page) == "/login"
    axe(page, what="the login page in English")
    screenshot(page, "login-en")

    page.goto("/password-reset")  # another page, later: still English
    expect(page.locator("h1")).to_have_text("Forgotten password")
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_role("button", name="Norsk (bokmål)").click()
    expect(page.locator("h1")).to_have_text("Glemt passord")
    assert path_of(page) == "/password-reset"
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "nb"


# ---------------------------------------------------------------- the keyboard only


def type_and_enter(page: Page, text: str) -> None:
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_a_keyboard_alone_logs_in(page: Page, live: LiveServer) -> None:
    """Tab and Enter only: the skip link comes first, every field is reached, focus shows."""
    anne = live.new_user("anne")
    page.goto("/login")
    first = tab_to(page, "a.ds-skip-link", limit=1)
    assert first[0]["text"] == "Hopp til hovedinnholdet"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, "#f-username", limit=1)  # the skip link leads straight to the first field
    page.keyboard.type(anne.username)
    tab_to(page, "#f-password", limit=1)
    page.keyboard.type(anne.password)
    assert tab_to(page, "button.password-reveal", limit=1)[-1]["text"] == "Vis passord"
    assert tab_to(page, "form[action='/login'] button[type=submit]", limit=1)[-1]["text"] == (
        "Logg inn"
    )
    assert tab_to(page, "a[href='/password-reset']", limit=1)[-1]["text"] == "Glemt passord?"
    page.keyboard.press("Shift+Tab")  # back on "Logg inn"
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/login/code"))
    tab_to(page, "#f-code")
    type_and_enter(page, code_in(live.message(anne, 1)))

    expect(page).to_have_url(re.compile(r"/login/terms"))
    tab_to(page, "button[name=answer][value=yes]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/plans")


# ---------------------------------------------------------------- stored XSS


@pytest.mark.parametrize("payload", CORPUS, ids=[p.name for p in CORPUS])
def test_typed_text_comes_back_inert_on_the_login_page(
    page: Page, live: LiveServer, watch: Watch, payload: Payload
) -> None:
    """The username is shown again after a failed login; `next` rides in a hidden field."""
    answer = page.goto("/login?next=" + quote("/" + payload.text, safe=""))
    assert answer is not None
    after = "/" + payload.text
    if answer.status == 422:  # a query with a text-direction override is refused
        assert_inert(page, watch)
        page.goto("/login")
        after = "/plans"
    else:
        assert answer.status == 200
    assert_inert(page, watch)
    page.locator("#f-username").fill(payload.text)
    page.locator("#f-password").fill("ikke passordet mitt")
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator(ERROR)).to_be_visible()
    assert_inert(page, watch)
    assert shown_verbatim(page, payload.text)
    assert page.locator("input[name=next]").input_value() == after
    page.locator("#f-username").focus()  # an injected autofocus/onfocus would fire now
    assert_inert(page, watch)
