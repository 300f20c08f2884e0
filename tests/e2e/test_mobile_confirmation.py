"""SMS codes only to a confirmed mobile number (SEC-OTP-06, decision 0025), over HTTP on
both stores: the login holds the code, a code to the number confirms it, a wrong or
expired one does not, and a number changed by the person or by the coordinator gets no
login code until it is confirmed."""

from datetime import timedelta

from stafett.applications.codes import OtpChannel
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_activation import NEW_PASSWORD, activation_token, add_new_person
from tests.e2e.test_plan_api import Group, group, log_in

__all__ = ["group"]  # the fixture, imported for this module's tests

OLD = "+4791234567"  # every test user's number (`Web.create_user`)
NEW = "+4790000009"


def sms_to(web: Web, number: str, since: int = 0) -> list[dict[str, str]]:
    return [m for m in web.messages()[since:] if (m["channel"], m["to"]) == ("sms", number)]


def confirmed_mobile(web: Web, username: str) -> str | None:
    account = web.accounts.accounts.by_username(username)
    assert account is not None
    return account.confirmed_mobile


def test_an_unconfirmed_number_gets_no_sms_code_and_the_login_says_so(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS, mobile_confirmed=False)
    before = len(web.messages())
    step = web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    assert step.status_code == 200, step.text
    assert step.json() == {"next": "otp", "channel": "sms", "mobile_unconfirmed": True}
    again = web.client.post("/api/v1/session/otp/resend")
    assert again.json()["mobile_unconfirmed"] is True
    assert web.messages()[before:] == []  # the gateway stub saw nothing
    refused = web.client.post("/api/v1/session/otp", json={"code": "000000"})
    assert refused.status_code == 401


def test_a_confirmed_number_gets_its_code_and_the_answer_has_no_new_field(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    step = web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    assert step.json() == {"next": "otp", "channel": "sms"}
    assert len(sms_to(web, OLD)) == 1


def test_the_first_step_answers_alike_for_unknown_names_and_wrong_passwords(web: Web) -> None:
    """The held code is told only after a right password (SEC-OTP-08)."""
    web.create_user("kari", channel=OtpChannel.SMS, mobile_confirmed=False)
    wrong = web.client.post("/api/v1/session", json={"username": "kari", "password": "feil"})
    unknown = web.client.post("/api/v1/session", json={"username": "nobody", "password": "feil"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_the_code_page_says_the_number_is_not_confirmed_and_offers_ways_back(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.SMS, mobile_confirmed=False)
    first = web.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/login/code?via=sms&held=1")
    shown = web.client.get(first.headers["location"]).text
    assert "Mobilnummeret ditt er nytt eller ikke bekreftet" in shown
    assert 'name="code"' not in shown  # no code is coming, so no field for one
    assert 'href="/password-reset"' in shown


def test_changing_my_number_needs_the_password_notifies_and_waits_for_the_code(
    web: Web,
) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    headers = log_in(web, "kari")
    without = web.client.patch("/api/v1/me", json={"mobile": NEW}, headers=headers)
    assert without.status_code == 409  # needed because it differs from what is stored (0023)
    before = len(web.messages())
    changed = web.client.patch(
        "/api/v1/me", json={"mobile": NEW, "current_password": PASSWORD}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    sent = web.messages()[before:]
    notices = {(m["channel"], m["to"]) for m in sent if "endret" in m["subject"]}
    assert {("sms", OLD), ("email", "kari@example.no")} <= notices  # SEC-OTP-09
    assert [m for m in sms_to(web, NEW, before) if "Bekreft" in m["subject"]]
    assert confirmed_mobile(web, "kari") == OLD  # codes do not move before the code

    wrong = web.client.post("/api/v1/me/mobile/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 401
    assert confirmed_mobile(web, "kari") == OLD
    right = web.client.post(
        "/api/v1/me/mobile/confirm", json={"code": web.last_code()}, headers=headers
    )
    assert right.status_code == 204, right.text
    assert confirmed_mobile(web, "kari") == NEW
    kari = web.accounts.accounts.by_username("kari")
    assert kari is not None
    assert ("mobile_confirmed", "code") in web.accounts.accounts.facts_of(kari.person_id)

    web.logout()
    before = len(web.messages())
    web.login("kari")
    assert len(sms_to(web, NEW, before)) == 1
    assert sms_to(web, OLD, before) == []


def test_until_my_new_number_is_confirmed_no_login_code_goes_to_either_number(
    web: Web,
) -> None:
    web.create_user("kari", channel=OtpChannel.SMS)
    headers = log_in(web, "kari")
    changed = web.client.patch(
        "/api/v1/me", json={"mobile": NEW, "current_password": PASSWORD}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    web.logout()
    before = len(web.messages())
    step = web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    assert step.json()["mobile_unconfirmed"] is True
    assert web.messages()[before:] == []


def test_an_expired_confirmation_code_does_not_confirm_and_a_new_one_does(web: Web) -> None:
    web.create_user("kari", channel=OtpChannel.EMAIL)
    headers = log_in(web, "kari")
    changed = web.client.patch(
        "/api/v1/me", json={"mobile": NEW, "current_password": PASSWORD}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    code = web.last_code()
    web.clock.advance(timedelta(minutes=5, seconds=1))
    late = web.client.post("/api/v1/me/mobile/confirm", json={"code": code}, headers=headers)
    assert late.status_code == 401
    assert confirmed_mobile(web, "kari") == OLD  # the number confirmed at creation
    resent = web.client.post("/api/v1/me/mobile/code", headers=headers)
    assert resent.status_code == 204, resent.text
    assert sms_to(web, NEW)[-1]["body"] != sms_to(web, NEW)[-2]["body"]
    fresh = web.client.post(
        "/api/v1/me/mobile/confirm", json={"code": web.last_code()}, headers=headers
    )
    assert fresh.status_code == 204, fresh.text
    assert confirmed_mobile(web, "kari") == NEW
    before = len(web.messages())
    again = web.client.post("/api/v1/me/mobile/code", headers=headers)
    assert again.status_code == 204
    assert web.messages()[before:] == []  # confirmed already: nothing sent


def test_a_confirmation_code_logs_nobody_in(web: Web) -> None:
    """The code to confirm a number is bound to that purpose: typed at a login, it fails."""
    web.create_user("kari", channel=OtpChannel.EMAIL)
    headers = log_in(web, "kari")
    web.client.patch(
        "/api/v1/me", json={"mobile": NEW, "current_password": PASSWORD}, headers=headers
    )
    confirmation = web.last_code()
    web.logout()
    web.client.post("/api/v1/session", json={"username": "kari", "password": PASSWORD})
    used = web.client.post("/api/v1/session/otp", json={"code": confirmation})
    assert used.status_code == 401


def test_a_number_the_coordinator_changes_gets_no_codes_until_confirmed_by_a_new_link(
    web: Web, group: Group
) -> None:
    siri = add_new_person(web, group, email="siri@example.no", mobile=OLD)
    account = group.url(f"/participants/{siri}/account")
    given = web.client.post(
        account, json={"username": "siri", "otp_channel": "sms"}, headers=group.headers
    )
    assert given.status_code == 201, given.text
    coordinator = dict(web.client.cookies)
    web.client.cookies.clear()
    web.choose_password(activation_token(web), NEW_PASSWORD)
    assert confirmed_mobile(web, "siri") == OLD

    web.client.cookies.update(coordinator)
    changed = web.client.patch(
        group.url(f"/participants/{siri}"), json={"mobile": NEW}, headers=group.headers
    )
    assert changed.status_code == 200, changed.text
    web.client.cookies.clear()
    before = len(web.messages())
    step = web.client.post("/api/v1/session", json={"username": "siri", "password": NEW_PASSWORD})
    assert step.json()["mobile_unconfirmed"] is True
    assert sms_to(web, NEW, before) == []
    assert sms_to(web, OLD, before) == []

    web.client.cookies.update(coordinator)
    details = web.client.get(group.url(f"/participants/{siri}").replace("/api/v1", "")).text
    assert "ikke bekreftet" in details
    resent = web.client.post(account + "/activation", headers=group.headers)
    assert resent.status_code == 202, resent.text
    assert resent.json() == {"link_sent_by": "email"}  # codes by SMS: the link by e-mail
    web.client.cookies.clear()
    web.choose_password(activation_token(web), NEW_PASSWORD + " igjen")
    assert confirmed_mobile(web, "siri") == NEW
    before = len(web.messages())
    web.login("siri", NEW_PASSWORD + " igjen")
    assert len(sms_to(web, NEW, before)) == 1


def test_a_link_that_came_by_sms_confirms_the_number_it_came_to(web: Web, group: Group) -> None:
    siri = add_new_person(web, group, mobile=NEW)  # no e-mail: the link goes by SMS
    given = web.client.post(
        group.url(f"/participants/{siri}/account"),
        json={"username": "siri", "otp_channel": "sms"},
        headers=group.headers,
    )
    assert given.json() == {"link_sent_by": "sms"}
    web.client.cookies.clear()
    token = activation_token(web)
    chosen = web.submit(
        f"/reset/{token}",
        {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        token=False,
    )
    assert chosen.headers["location"] == "/login?saved=password_set"  # no code step
    assert confirmed_mobile(web, "siri") == NEW
    before = len(web.messages())
    web.login("siri", NEW_PASSWORD)
    assert len(sms_to(web, NEW, before)) == 1


def test_after_an_email_link_a_wrong_code_does_not_confirm_the_number(
    web: Web, group: Group
) -> None:
    siri = add_new_person(web, group, email="siri@example.no", mobile=NEW)
    web.client.post(
        group.url(f"/participants/{siri}/account"),
        json={"username": "siri", "otp_channel": "sms"},
        headers=group.headers,
    )
    web.client.cookies.clear()
    chosen = web.submit(
        f"/reset/{activation_token(web)}",
        {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        token=False,
    )
    assert chosen.headers["location"] == "/confirm-number"
    assert "Bekreft mobilnummeret" in web.client.get("/confirm-number").text
    wrong = web.submit("/confirm-number", {"code": "000000"}, token=False)
    assert wrong.status_code == 401
    assert "Koden er feil" in wrong.text
    assert confirmed_mobile(web, "siri") is None
    code = web.last_code()
    web.clock.advance(timedelta(minutes=5, seconds=1))
    late = web.submit("/confirm-number", {"code": code}, token=False)
    assert late.status_code == 401
    assert confirmed_mobile(web, "siri") is None
    # The password is set; the way back is the same link kind again, or "forgotten password".
    assert web.client.post(
        "/api/v1/session", json={"username": "siri", "password": NEW_PASSWORD}
    ).json()["mobile_unconfirmed"]


def test_the_coordinator_cannot_take_away_the_address_a_persons_codes_go_to(
    web: Web, group: Group
) -> None:
    """As for one's own change (`check_reachable`): anne's codes go by e-mail, so the
    coordinator may not blank her e-mail address (409), and nothing is saved; a person
    without an account may lose one address while another is left."""
    blanked = web.client.patch(
        group.url(f"/participants/{group.relative}"), json={"email": ""}, headers=group.headers
    )
    assert blanked.status_code == 409, blanked.text
    assert blanked.json()["field"] == "email"
    anne = web.accounts.accounts.by_username("anne")
    assert anne is not None
    assert web.plans.directory.get(anne.person_id).details.email == "anne@example.no"

    siri = add_new_person(web, group, email="siri@example.no", mobile=OLD)  # no account
    kept = web.client.patch(
        group.url(f"/participants/{siri}"), json={"email": ""}, headers=group.headers
    )
    assert kept.status_code == 200, kept.text
