"""The messages about an account, on both stores: a new account's first password is
welcomed (the reset warning is for resets), and codes and links speak the account's
language, or bokmål when it has chosen none (as the plan's notices)."""

import re

from stafett.aggregates.person import PersonDetails
from stafett.applications.codes import OtpChannel
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_plan_api import Group, group, log_in
from tests.leakcheck import remember

NEW_PASSWORD = "sju blå elefanter danser tango"
remember(NEW_PASSWORD)
MOBILE = "+4790000001"
__all__ = ["group"]
SMS_LIMIT = 160  # one SMS: every letter we write is in the GSM alphabet


def link_token(message: dict[str, str]) -> str:
    found = re.search(r"/reset/([A-Za-z0-9_-]+)", message["body"])
    assert found is not None, message
    remember(found.group(1))
    return found.group(1)


def new_account(web: Web, username: str = "siri") -> str:
    """A new account with SMS codes and a mobile number only: its activation link goes by
    SMS; answers the link's token."""
    details = PersonDetails(first_name="Siri", last_name="Helsesøster", mobile=MOBILE)
    person_id = web.accounts.create_account(
        username=username, password=None, details=details, otp_channel=OtpChannel.SMS
    )
    web.accounts.send_activation_link(person_id, username, details, OtpChannel.SMS)
    return link_token(web.messages()[-1])


def reset_token(web: Web) -> str:
    sent = web.client.post("/api/v1/password-reset", json={"username": "kari"})
    assert sent.status_code == 202
    return link_token(web.messages()[-1])


def choose(web: Web, token: str) -> None:
    fields = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    chosen = web.submit(f"/reset/{token}", fields, token=False)
    assert chosen.status_code == 303, chosen.text


def test_a_first_password_is_welcomed_with_the_username_not_warned_about(web: Web) -> None:
    token = new_account(web)
    form = web.client.get(f"/reset/{token}")
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", form.text, re.S)
    assert heading is not None
    assert heading.group(1).strip() == "Velg passord"
    assert "Brukernavnet ditt, som du logger inn med: <strong>siri</strong>" in form.text
    assert "Nytt passord" not in form.text

    before = len(web.messages())
    choose(web, token)
    told = web.messages()[before:]
    assert [(m["channel"], m["to"]) for m in told] == [("sms", MOBILE)]
    assert "Kontoen din i Stafett er klar" in told[0]["body"]
    assert "brukernavnet siri" in told[0]["body"]
    assert "satt på nytt" not in told[0]["body"]
    assert "med en gang" not in told[0]["body"]


def test_a_reset_is_still_warned_about_and_its_page_asks_for_a_new_password(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)  # codes by SMS, so links by e-mail
    token = reset_token(web)
    form = web.client.get(f"/reset/{token}")
    assert "Velg nytt passord" in form.text
    assert "Brukernavnet ditt" not in form.text
    refused = web.submit(f"/reset/{token}", {"new_password": "kort"}, token=False)
    assert refused.status_code == 422
    assert "Velg nytt passord" in refused.text  # the page shown again is the same page

    before = len(web.messages())
    choose(web, token)
    told = web.messages()[before:]
    assert {m["channel"] for m in told} == {"sms", "email"}
    assert all("satt på nytt" in m["body"] for m in told)
    assert not any("er klar" in m["body"] for m in told)


def test_codes_and_links_speak_english_to_an_account_that_chose_it(web: Web) -> None:
    kari = web.create_user("kari", channel=OtpChannel.SMS)
    web.accounts.set_language(kari, "en")
    remember(PASSWORD)
    web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    code = web.messages()[-1]
    assert code["body"].startswith("Your one-time code for Stafett is ")
    assert "Engangskoden" not in code["body"]

    web.client.cookies.clear()
    reset_token(web)
    link = web.messages()[-1]
    assert link["channel"] == "email"
    assert link["subject"] == "New password for Stafett"
    assert "The link works once, for 30 minutes: " in link["body"]
    assert "Lenken" not in link["body"]


def test_an_account_without_a_language_gets_bokmal_as_the_plans_notices_do(web: Web) -> None:
    """One rule for the language of a message to a person (decision 0020's): English for
    an account that chose it, else bokmål."""
    web.create_user("kari", channel=OtpChannel.SMS)
    remember(PASSWORD)
    web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    code = web.messages()[-1]
    assert code["body"].startswith("Engangskoden din til Stafett er ")
    assert "Your one-time code" not in code["body"]
    assert len(code["body"]) <= SMS_LIMIT
    assert code["subject"] == "Engangskode til Stafett"

    web.client.cookies.clear()
    reset_token(web)
    link = web.messages()[-1]
    assert link["subject"] == "Nytt passord i Stafett"
    assert "Du (eller noen andre) ba om" in link["body"]
    assert "You (or someone else) asked" not in link["body"]
    assert link["body"].count("/reset/") == 1


def test_a_confirmation_code_speaks_bokmal_to_an_account_that_chose_it(web: Web) -> None:
    kari = web.create_user("kari", channel=OtpChannel.SMS)
    web.accounts.set_language(kari, "nb")
    web.login("kari")
    change = {"mobile": "+4790000009", "current_password": PASSWORD}
    assert web.client.patch("/api/v1/me", json=change, headers=web.csrf_headers()).is_success
    sent = web.messages()[-1]
    assert sent["body"].startswith("Kode for å bekrefte mobilnummeret ditt i Stafett: ")
    assert "\n" not in sent["body"]  # one language


def test_notices_about_an_account_speak_its_language_whoever_changed_it(
    web: Web, group: Group
) -> None:
    """Every notice to a person about their account (SEC-OTP-09's warnings too) goes
    through one rule: the account's language, else bokmål."""
    per = web.accounts.accounts.by_username("per")
    assert per is not None
    web.accounts.set_language(per.person_id, "en")
    before = len(web.messages())
    moved = {"mobile": "+4790000077"}
    changed = web.client.patch(
        group.url(f"/participants/{group.provider}"), json=moved, headers=group.headers
    )
    assert changed.status_code == 200, changed.text
    told = web.messages()[before:]
    assert told, "per is told at the addresses he had"
    assert all(m["subject"] == "Your contact details in Stafett are changed" for m in told)
    assert all(m["body"].startswith("Your e-mail address or mobile number") for m in told)

    headers = log_in(web, "per")
    before = len(web.messages())
    own = {"email": "per@example.org", "current_password": PASSWORD}
    assert web.client.patch("/api/v1/me", json=own, headers=headers).status_code == 200
    told = [m for m in web.messages()[before:] if "contact" in m["subject"]]
    assert told
    assert all(m["body"].startswith("The mobile number or e-mail address") for m in told)

    web.accounts.set_language(per.person_id, "nb")  # the same notice, in bokmål
    before = len(web.messages())
    back = {"email": "per@example.no", "current_password": PASSWORD}
    assert web.client.patch("/api/v1/me", json=back, headers=headers).status_code == 200
    told = web.messages()[before:]
    assert told
    assert all(m["subject"] == "Kontaktopplysningene dine i Stafett er endret" for m in told)
    assert all(m["body"].startswith("Mobilnummeret eller e-postadressen") for m in told)
