"""My profile page: details, code channel, authenticator, password, sessions, language.

On both stores, through the pages as a browser uses them (forms, CSRF token,
redirects). The pages speak bokmål unless the person chose English.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from html import unescape
from typing import Any

import pyotp
from litestar.testing import TestClient

from stafett.applications.codes import OtpChannel
from tests.e2e.conftest import PASSWORD, Web
from tests.e2e.test_pages_help import check_markup
from tests.e2e.test_plan_api import Group, group
from tests.leakcheck import remember

__all__ = ["group"]  # the fixture, imported for this module's tests

NEW_PASSWORD = "syv sultne sjiraffer spiser sjokolade"
remember(NEW_PASSWORD)
DETAILS = {
    "first_name": "Kari",
    "last_name": "Testesen",
    "birth_date": "",
    "workplace": "",
    "position": "",
    "email": "kari@example.no",
    "mobile": "+4791234567",
    "phone": "",
    "fax": "",
    "street_address": "",
    "postcode": "",
    "place": "",
}


def details(**changes: Any) -> dict[str, Any]:
    """The details form as the page sends it: every text field; ticked boxes only."""
    return DETAILS | changes


def field_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="[a-z]+" value="([^"]*)"', html)
    assert found is not None, name
    return unescape(found.group(1))


def error_of(html: str, name: str) -> str:
    found = re.search(rf'id="f-{name}-error">([^<]*)<', html)
    assert found is not None, f"no message for {name}"
    return unescape(found.group(1))


@contextmanager
def another_browser(web: Web) -> Iterator[Web]:
    """A second browser on the same service (its own cookies). Not entered as a context:
    the app's lifespan already runs under the first client, and a second one would
    leave its streams open."""
    yield replace(web, client=TestClient(web.client.app, base_url="https://stafett.test"))


def post(web: Web, path: str, data: dict[str, Any]) -> Any:
    """A form of My profile, posted as the browser does (with the page's CSRF token)."""
    return web.submit(path, data | {"csrf_token": web.page_token("/profile")})


def logged_in(web: Web, username: str = "kari", **kwargs: Any) -> Web:
    web.create_user(username, **kwargs)
    web.page_login(username)
    return web


# ----------------------------------------------------------------- details


def test_the_profile_shows_my_details_and_only_to_me(web: Web) -> None:
    anonymous = web.client.get("/profile", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fprofile"
    logged_in(web)
    page = web.client.get("/profile")
    assert page.status_code == 200
    assert '<html lang="nb"' in page.text
    assert field_value(page.text, "email") == "kari@example.no"
    assert field_value(page.text, "mobile") == "+4791234567"
    assert "brukernavn kari" in page.text
    assert "Denne nettleseren" in page.text  # the session list marks this browser


def test_changed_details_are_saved_and_shown(web: Web) -> None:
    logged_in(web)
    form = details(
        workplace="Bø skole",
        position="Lærer",
        birth_date="1980-05-17",
        phone="35 00 00 00",
        fax="35000001",
        street_address="Storgata 1",
        hide_phone="on",
    )
    saved = post(web, "/profile/details", form)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/profile?saved=details_saved"
    page = web.client.get(saved.headers["location"]).text
    assert "Opplysningene dine er lagret." in page
    assert field_value(page, "workplace") == "Bø skole"
    assert field_value(page, "birth_date") == "1980-05-17"
    assert field_value(page, "phone") == "+4735000000"
    assert field_value(page, "fax") == "+4735000001"
    assert re.search(r'id="f-hide_phone" name="hide_phone" value="on" checked', page)
    assert not re.search(r'id="f-hide_mobile" name="hide_mobile" value="on" checked', page)
    # An emptied field is cleared, an unticked box unticked.
    post(web, "/profile/details", details(workplace="", birth_date=""))
    page = web.client.get("/profile").text
    assert field_value(page, "workplace") == ""
    assert not re.search(r'id="f-hide_phone" name="hide_phone" value="on" checked', page)


def test_bad_details_come_back_with_what_i_typed_and_the_message(web: Web) -> None:
    logged_in(web)
    refused = post(web, "/profile/details", details(workplace="Bø skole", phone="12"))
    assert refused.status_code == 422
    assert field_value(refused.text, "workplace") == "Bø skole"
    assert field_value(refused.text, "phone") == "12"
    assert "8 sifre" in error_of(refused.text, "phone")
    assert 'href="#f-phone"' in refused.text  # the error summary leads to the field
    assert field_value(web.client.get("/profile").text, "workplace") == ""
    blank = post(web, "/profile/details", details(first_name="  "))
    assert blank.status_code == 422
    assert error_of(blank.text, "first_name") == "Fyll ut dette feltet."


def test_a_new_mobile_number_needs_my_password(web: Web) -> None:
    logged_in(web)
    refused = post(web, "/profile/details", details(mobile="+4799999999"))
    assert refused.status_code == 422
    assert "passordet" in error_of(refused.text, "confirm_password")
    assert field_value(refused.text, "mobile") == "+4799999999"  # kept as typed
    wrong = post(
        web, "/profile/details", details(mobile="+4799999999", confirm_password="feil passord her")
    )
    assert error_of(wrong.text, "confirm_password") == "Passordet er feil."
    assert field_value(web.client.get("/profile").text, "mobile") == "+4791234567"
    right = post(web, "/profile/details", details(mobile="+4799999999", confirm_password=PASSWORD))
    assert right.status_code == 303
    assert field_value(web.client.get("/profile").text, "mobile") == "+4799999999"


def test_a_new_mobile_number_is_confirmed_on_the_profile_with_the_code_sent_to_it(
    web: Web,
) -> None:
    logged_in(web, channel=OtpChannel.SMS)
    assert 'id="mobile-confirm"' not in web.client.get("/profile").text  # confirmed
    changed = post(
        web, "/profile/details", details(mobile="+4799999999", confirm_password=PASSWORD)
    )
    # to the box where the code is typed, far below the details form
    assert changed.headers["location"] == "/profile?saved=mobile_code_sent#mobile-confirm"
    code = web.messages()[-1]
    assert (code["channel"], code["to"]) == ("sms", "+4799999999")
    page = web.client.get(changed.headers["location"]).text
    assert "Vi har sendt en kode på SMS" in page
    assert 'id="mobile-confirm"' in page
    assert "+4799999999 er ikke bekreftet" in page
    check_markup(page)

    wrong = post(web, "/profile/mobile/confirm", {"mobile_code": "000000"})
    assert wrong.status_code == 422
    assert error_of(wrong.text, "mobile_code").startswith("Koden er feil")
    right = post(web, "/profile/mobile/confirm", {"mobile_code": web.last_code()})
    assert right.headers["location"] == "/profile?saved=mobile_confirmed"
    page = web.client.get(right.headers["location"]).text
    assert "Mobilnummeret ditt er bekreftet." in page
    assert 'id="mobile-confirm"' not in page


def test_a_number_not_confirmed_gets_a_code_when_i_ask_for_one(web: Web) -> None:
    logged_in(web)  # codes by e-mail; the number was never confirmed
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    web.accounts.accounts.change(account.person_id, {"confirmed_mobile": None}, at=web.clock())
    assert 'id="mobile-confirm"' in web.client.get("/profile").text
    to_sms = {"otp_channel": "sms", "channel_password": PASSWORD}
    refused = post(web, "/profile/channel", to_sms)  # it would lock me out of SMS codes
    assert refused.status_code == 422
    assert error_of(refused.text, "otp_channel").startswith("Bekreft mobilnummeret ditt først")
    asked = post(web, "/profile/mobile/code", {})
    assert asked.headers["location"] == "/profile?saved=mobile_code_sent#mobile-confirm"
    assert (web.messages()[-1]["channel"], web.messages()[-1]["to"]) == ("sms", "+4791234567")
    confirmed = post(web, "/profile/mobile/confirm", {"mobile_code": web.last_code()})
    # E-mail codes were for want of a confirmed mobile: they move to SMS (decision 0045).
    assert confirmed.headers["location"] == "/profile?saved=codes_by_sms"
    assert web.accounts.mobile_confirmed(account.person_id)
    assert post(web, "/profile/channel", to_sms).status_code == 303


def test_a_hidden_mobile_is_hidden_from_the_others_in_my_plan(web: Web, group: Group) -> None:
    web.page_login("per")
    hidden = post(
        web,
        "/profile/details",
        details(first_name="Per", email="per@example.no", hide_mobile="on"),
    )
    assert hidden.status_code == 303
    web.page_login("anne")
    view = web.client.get(group.url()).json()
    per = next(p for p in view["participants"] if p["participant_id"] == group.provider)
    assert per["name"] == "Per Testesen"
    assert per["contact"]["mobile"] == ""
    assert "+4791234567" not in str(per)


def test_a_form_without_the_csrf_token_changes_nothing(web: Web) -> None:
    logged_in(web)
    refused = web.submit("/profile/details", details(workplace="Skurk"), token=False)
    assert refused.status_code == 403
    assert field_value(web.client.get("/profile").text, "workplace") == ""


# ---------------------------------------------------------------- password


def test_a_wrong_current_password_is_said_on_the_form(web: Web) -> None:
    logged_in(web)
    refused = post(
        web,
        "/profile/password",
        {
            "current_password": "ikke mitt passord",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert refused.status_code == 422
    assert error_of(refused.text, "current_password") == "Det nåværende passordet er feil."
    assert NEW_PASSWORD not in refused.text  # passwords are never sent back


def test_new_passwords_that_differ_are_refused_and_nothing_changes(web: Web) -> None:
    logged_in(web)
    refused = post(
        web,
        "/profile/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD + "x",
        },
    )
    assert refused.status_code == 422
    assert "ulike" in error_of(refused.text, "new_password_again")
    with another_browser(web) as other:
        other.page_login("kari", PASSWORD)  # the old password still works


def test_a_weak_new_password_gets_advice(web: Web) -> None:
    logged_in(web)
    refused = post(
        web,
        "/profile/password",
        {"current_password": PASSWORD, "new_password": "kort", "new_password_again": "kort"},
    )
    assert refused.status_code == 422
    assert "12 tegn" in error_of(refused.text, "new_password")


def test_a_changed_password_is_the_one_that_works(web: Web) -> None:
    logged_in(web)
    changed = post(
        web,
        "/profile/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert changed.headers["location"] == "/profile?saved=password_changed"
    assert web.client.get("/profile").status_code == 200  # still logged in here
    with another_browser(web) as other:
        wrong = other.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
        assert wrong.status_code == 401
        other.page_login("kari", NEW_PASSWORD)


# ------------------------------------------------------- how I log in


def test_an_authenticator_app_is_set_up_with_a_qr_code_and_then_used_to_log_in(
    web: Web,
) -> None:
    logged_in(web)
    refused = post(web, "/profile/authenticator", {"app_password": "feil passord her"})
    assert refused.status_code == 422
    assert error_of(refused.text, "app_password") == "Passordet er feil."
    shown = post(web, "/profile/authenticator", {"app_password": PASSWORD})
    assert shown.status_code == 200
    svg = re.search(r"<svg.*?</svg>", shown.text, re.DOTALL)
    assert svg is not None
    assert "style" not in svg.group(0)  # the CSP allows no inline style
    secret_text = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', shown.text)
    assert secret_text is not None
    secret = secret_text.group(1).replace(" ", "")
    remember(secret)
    app = pyotp.TOTP(secret)
    wrong = post(web, "/profile/authenticator/confirm", {"code": "000000"})
    assert wrong.status_code == 422
    assert "ikke riktig" in error_of(wrong.text, "code")
    code = app.at(web.clock.now)
    remember(code)
    confirmed = post(web, "/profile/authenticator/confirm", {"code": code})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/profile?saved=authenticator_on"
    web.clock.advance(timedelta(seconds=30))
    with another_browser(web) as other:
        first = other.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
        assert first.headers["location"].startswith("/login/code?via=totp")
        code = app.at(web.clock.now)
        remember(code)
        second = other.submit("/login/code", {"code": code}, token=False)
        assert second.status_code == 303
        assert "autentiseringsapp" in other.client.get("/profile").text


def test_the_code_channel_changes_with_my_password(web: Web) -> None:
    logged_in(web)  # codes by e-mail
    wrong = post(web, "/profile/channel", {"otp_channel": "sms", "channel_password": "feil"})
    assert wrong.status_code == 422
    assert error_of(wrong.text, "channel_password") == "Passordet er feil."
    changed = post(web, "/profile/channel", {"otp_channel": "sms", "channel_password": PASSWORD})
    assert changed.status_code == 303
    assert "SMS til mobilen din" in web.client.get("/profile?saved=channel_changed").text
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.otp_channel == "sms"
    assert ("otp_channel_changed", "sms") in web.accounts.accounts.facts_of(account.person_id)
    with another_browser(web) as other:
        other.submit("/login", {"username": "kari", "password": PASSWORD}, token=False)
        assert other.messages()[-1]["channel"] == "sms"


def test_codes_by_sms_need_a_mobile_number(web: Web) -> None:
    logged_in(web)
    post(web, "/profile/details", details(mobile="", confirm_password=PASSWORD))
    refused = post(web, "/profile/channel", {"otp_channel": "sms", "channel_password": PASSWORD})
    assert refused.status_code == 422
    assert "mobilnummer" in error_of(refused.text, "otp_channel")


# ---------------------------------------------------------------- sessions


def test_log_out_everywhere_ends_my_other_browsers_too(web: Web) -> None:
    logged_in(web)
    with another_browser(web) as other:
        other.page_login("kari")
        assert other.client.get("/profile").status_code == 200
        page = web.client.get("/profile").text
        assert page.count("Denne nettleseren") == 1
        assert "En annen nettleser eller enhet" in page
        wrong = post(web, "/profile/sessions/end", {"sessions_password": "not my password"})
        assert wrong.status_code == 422
        assert "Passordet er feil" in error_of(wrong.text, "sessions_password")
        assert other.client.get("/profile").status_code == 200
        ended = post(web, "/profile/sessions/end", {"sessions_password": PASSWORD})
        assert ended.status_code == 303
        assert ended.headers["location"] == "/login?saved=logged_out_everywhere"
        after = other.client.get("/profile", follow_redirects=False)
        assert after.status_code == 303
        assert after.headers["location"].startswith("/login")
    assert web.client.get("/profile", follow_redirects=False).status_code == 303
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert ("sessions_ended", "2") in web.accounts.accounts.facts_of(account.person_id)


# ---------------------------------------------------------------- language


def test_the_language_i_choose_follows_me_to_my_next_login(web: Web) -> None:
    logged_in(web)
    chosen = post(web, "/language", {"language": "en", "back": "/profile"})
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/profile"
    with another_browser(web) as other:  # no language cookie there
        other.page_login("kari")
        page = other.client.get("/profile").text
        assert '<html lang="en"' in page
        assert "<h1" in page
        assert "My profile" in page
        assert re.search(r'id="f-language-en" name="language" value="en" checked', page)


def test_the_profile_pages_label_every_field_and_repeat_no_id(web: Web) -> None:
    logged_in(web)
    check_markup(web.client.get("/profile").text)
    check_markup(post(web, "/profile/details", details(phone="12")).text)
    check_markup(post(web, "/profile/authenticator", {"app_password": PASSWORD}).text)
