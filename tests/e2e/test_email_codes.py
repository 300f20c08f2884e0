"""SEC-OTP-07, decision 0045: e-mail codes are for people without a mobile number.

Where a code channel is chosen (my profile, an administrator's new user, a coordinator
giving a participant a login, the operator's `stafett users create`: tests/e2e/test_cli.py),
e-mail is refused for a person who has a mobile number, with a message next to the field,
and nothing changes. A person without one still gets e-mail codes. Accounts that had
e-mail codes before keep them (the tests' users are made so) until they confirm a mobile
number, which moves their codes to SMS.
"""

from typing import Any
from uuid import UUID

from stafett.aggregates.person import PersonDetails
from stafett.applications.codes import OtpChannel
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_activation import add_new_person
from tests.e2e.test_login_channels import enrol, log_in_with_app
from tests.e2e.test_pages_admin import NEW_USER, admin
from tests.e2e.test_pages_admin import post as admin_post
from tests.e2e.test_pages_participants import Plan, form_on, plan
from tests.e2e.test_pages_profile import error_of, logged_in, post
from tests.e2e.test_plan_api import Group, group, log_in

__all__ = ["admin", "group", "plan"]  # the fixtures, imported for this module's tests

REFUSED = "Koder på e-post er for dem som ikke har mobilnummer."


def _channel(web: Web, username: str) -> str:
    account = web.accounts.accounts.by_username(username)
    assert account is not None
    return account.otp_channel


def test_with_a_mobile_number_i_cannot_switch_my_codes_to_e_mail(web: Web) -> None:
    logged_in(web, channel=OtpChannel.SMS)  # and a confirmed mobile number
    page = web.client.get("/profile").text
    assert 'value="email"' not in page  # not offered
    assert REFUSED in page

    refused = post(web, "/profile/channel", {"otp_channel": "email", "channel_password": PASSWORD})

    assert refused.status_code == 422
    assert error_of(refused.text, "otp_channel").startswith(REFUSED)
    assert _channel(web, "kari") == "sms"


def test_an_account_with_e_mail_codes_from_before_keeps_them(web: Web) -> None:
    logged_in(web)  # e-mail codes and a mobile number, as accounts before decision 0045
    page = web.client.get("/profile").text
    assert 'value="email" checked' in page
    kept = post(web, "/profile/channel", {"otp_channel": "email", "channel_password": PASSWORD})
    assert kept.status_code == 303, kept.text
    assert _channel(web, "kari") == "email"


def test_an_administrator_cannot_give_a_new_user_with_a_mobile_e_mail_codes(
    web: Web, admin: UUID
) -> None:
    refused = admin_post(web, "/admin/users", NEW_USER | {"mobile": "912 34 568"})

    assert refused.status_code == 422
    assert error_of(refused.text, "otp_channel").startswith(REFUSED)
    assert web.accounts.accounts.by_username("nina") is None
    made = admin_post(web, "/admin/users", NEW_USER)  # no mobile number: e-mail codes
    assert made.status_code == 303, made.text
    assert _channel(web, "nina") == "email"


def _give_login(web: Web, group: Group, participant: str, username: str, channel: str) -> Any:
    return web.client.post(
        group.url(f"/participants/{participant}/account"),
        json={"username": username, "otp_channel": channel},
        headers=group.headers,
    )


def test_a_participant_with_a_mobile_gets_no_login_with_e_mail_codes(
    web: Web, group: Group
) -> None:
    with_mobile = add_new_person(web, group, email="siri@example.no", mobile="912 34 569")
    refused = _give_login(web, group, with_mobile, "siri", "email")
    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "otp_channel"
    assert web.accounts.accounts.by_username("siri") is None

    given = _give_login(web, group, with_mobile, "siri", "sms")
    assert given.status_code == 201, given.text
    without = add_new_person(web, group, email="tor@example.no", first_name="Tor")
    by_mail = _give_login(web, group, without, "tor", "email")
    assert by_mail.status_code == 201, by_mail.text
    assert _channel(web, "tor") == "email"


def test_the_login_form_says_why_e_mail_codes_are_refused(web: Web, plan: Plan) -> None:
    """Per, on the plan page's fixture, has a mobile number."""
    web.page_login("kari")
    details = plan.url(f"/participants/{plan.per}")
    account = plan.url(f"/participants/{plan.per}/account")
    fields = form_on(web, details, account)

    refused = web.submit(account, fields | {"username": "per.helse", "otp_channel": "email"})

    assert refused.status_code == 422
    assert error_of(refused.text, "otp_channel") == (
        "Deltakeren har mobilnummer, så kodene går på SMS."
    )
    assert web.accounts.accounts.by_username("per.helse") is None


# ------------------------------------------- a mobile number confirmed later

NEW_MOBILE = "+4790000019"
TO_SMS_NOTICE = "Engangskodene i Stafett kommer en ny vei"


def test_confirming_a_mobile_number_moves_e_mail_codes_to_sms(web: Web) -> None:
    """Someone without a mobile number had e-mail codes; once they have confirmed one,
    the reason for the deviation is gone: codes by SMS from the next login, and they are
    told at the e-mail address the codes went to."""
    web.accounts.create_account(
        username="kari",
        password=PASSWORD,
        details=PersonDetails("Kari", "Testesen", email="kari@example.no"),
        otp_channel=OtpChannel.EMAIL,
    )
    headers = log_in(web, "kari")
    added = web.client.patch(
        "/api/v1/me", json={"mobile": NEW_MOBILE, "current_password": PASSWORD}, headers=headers
    )
    assert added.status_code == 200, added.text
    assert _channel(web, "kari") == "email"  # not before the number is confirmed
    code = web.last_code()
    before = len(web.messages())

    confirmed = web.client.post("/api/v1/me/mobile/confirm", json={"code": code}, headers=headers)

    assert confirmed.status_code == 204, confirmed.text
    assert _channel(web, "kari") == "sms"
    told = {
        (m["channel"], m["to"])
        for m in web.messages()[before:]
        if m.get("subject") == TO_SMS_NOTICE
    }
    assert ("email", "kari@example.no") in told
    assert all(
        "sendes nå på SMS" in m["body"]
        for m in web.messages()[before:]
        if m.get("subject") == TO_SMS_NOTICE
    )
    web.logout()
    step = web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    assert step.json() == {"next": "otp", "channel": "sms"}
    assert (web.messages()[-1]["channel"], web.messages()[-1]["to"]) == ("sms", NEW_MOBILE)


def test_an_authenticator_app_stays_when_a_mobile_number_is_confirmed(web: Web) -> None:
    totp = enrol(web)  # kari had e-mail codes, then an app
    assert log_in_with_app(web, totp) == 200
    headers = web.csrf_headers()
    added = web.client.patch(
        "/api/v1/me", json={"mobile": NEW_MOBILE, "current_password": PASSWORD}, headers=headers
    )
    assert added.status_code == 200, added.text

    confirmed = web.client.post(
        "/api/v1/me/mobile/confirm", json={"code": web.last_code()}, headers=headers
    )

    assert confirmed.status_code == 204, confirmed.text
    assert _channel(web, "kari") == "totp"


def test_the_profile_says_confirming_the_number_brings_codes_by_sms(web: Web) -> None:
    logged_in(web, mobile_confirmed=False)  # e-mail codes, a mobile number not confirmed
    page = web.client.get("/profile").text
    assert "Når det er bekreftet, kommer kodene dine på SMS i stedet for e-post" in page
    assert post(web, "/profile/mobile/code", {}).status_code == 303

    done = post(web, "/profile/mobile/confirm", {"mobile_code": web.last_code()})

    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/profile?saved=codes_by_sms"
    shown = web.client.get(done.headers["location"]).text
    assert "Fra neste innlogging kommer engangskoden på SMS i stedet for e-post." in shown
    assert "Når det er bekreftet" not in shown
    assert _channel(web, "kari") == "sms"
