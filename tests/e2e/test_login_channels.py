"""Login codes through real channels: SMTP to a local server, and authenticator apps (TOTP)."""

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from litestar.testing import TestClient

from stafett.applications.plans import PlanApplication
from stafett.applications.seeds import SEALED
from stafett.bootstrap import build_access_log, build_accounts
from stafett.delivery import RoutingSender, SmtpSender
from stafett.settings import Settings
from stafett.web.app import create_app
from tests.conftest import ManualClock
from tests.e2e.conftest import PASSWORD, SECRETS, Web
from tests.integration.test_delivery import CollectingHandler, SmtpServer, running_smtp, text_of
from tests.leakcheck import remember

LOGIN = "/api/v1/session"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from running_smtp(CollectingHandler())


def test_a_user_logs_in_with_a_code_received_by_e_mail_over_smtp(
    plans: PlanApplication, clock: ManualClock, tmp_path: Path, smtp: SmtpServer
) -> None:
    settings = Settings(
        database_url="unused", outbox_dir=tmp_path, secrets=SECRETS, fast_password_hashing=True
    )
    accounts = build_accounts(settings, plans)
    mail = SmtpSender(smtp.url, "Stafett <ikke-svar@stafett.test>")
    accounts.sender = RoutingSender(email=mail, sms=mail)
    access_log = build_access_log(plans)
    app = create_app(plans, accounts, access_log=access_log, secret_key=SECRETS.secret_key)
    with TestClient(app, base_url="https://stafett.test") as client:
        web = Web(client, plans, accounts, tmp_path, clock, access_log)
        web.create_user("kari")
        response = client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
        assert response.json() == {"next": "otp", "channel": "email"}
        received = smtp.handler.received()
        assert [m["To"] for m in received] == ["kari@example.no"]
        match = re.search(r"\b(\d{6})\b", text_of(received[0]))
        assert match is not None
        assert client.post(f"{LOGIN}/otp", json={"code": match.group(1)}).status_code == 200
        assert client.post(f"{LOGIN}/terms", json={"accept": True}).json() == {"next": "done"}
        assert client.get("/api/v1/me").json()["username"] == "kari"
        assert list(tmp_path.glob("*.json")) == []  # nothing went to the outbox


ENROL = "/api/v1/me/totp"
CONFIRM = "/api/v1/me/totp/confirm"
WITH_PASSWORD = {"current_password": PASSWORD}


def start_enrolment(web: Web, headers: dict[str, str]) -> pyotp.TOTP:
    """Ask for a new authenticator (logged in); the app as it would be after scanning."""
    response = web.client.post(ENROL, json=WITH_PASSWORD, headers=headers)
    assert response.status_code == 201, response.text
    uri = response.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/Stafett:kari?")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    remember(secret)
    return pyotp.TOTP(secret)


def log_in_with_app(web: Web, totp: pyotp.TOTP) -> int:
    """A whole login whose second step is a code from `totp`; the code step's status."""
    web.clock.advance(timedelta(seconds=30))  # a fresh time step: used ones are refused
    response = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert response.json() == {"next": "otp", "channel": "totp"}
    code = totp.at(web.clock.now)
    remember(code)
    return web.client.post(f"{LOGIN}/otp", json={"code": code}).status_code


def enrol(web: Web) -> pyotp.TOTP:
    web.create_user("kari")
    web.login("kari")
    headers = web.csrf_headers()
    totp = start_enrolment(web, headers)
    code = totp.at(web.clock.now)
    confirm = web.client.post(CONFIRM, json={"code": code}, headers=headers)
    assert confirm.status_code == 204
    web.logout()
    return totp


def test_an_authenticator_app_replaces_sent_codes_once_confirmed(web: Web) -> None:
    totp = enrol(web)
    messages_before = len(web.messages())
    web.clock.advance(timedelta(seconds=30))
    response = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert response.json() == {"next": "otp", "channel": "totp"}
    assert len(web.messages()) == messages_before  # nothing sent
    code = totp.at(web.clock.now)
    assert web.client.post(f"{LOGIN}/otp", json={"code": code}).json() == {"next": "done"}


def test_a_used_authenticator_code_cannot_be_replayed(web: Web) -> None:
    totp = enrol(web)
    web.clock.advance(timedelta(seconds=30))
    code = totp.at(web.clock.now)
    web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert web.client.post(f"{LOGIN}/otp", json={"code": code}).status_code == 200
    web.logout()
    web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert web.client.post(f"{LOGIN}/otp", json={"code": code}).status_code == 401


def test_a_wrong_authenticator_code_does_not_switch_the_channel(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    headers = web.csrf_headers()
    start_enrolment(web, headers)
    wrong = web.client.post(CONFIRM, json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 401
    web.logout()
    response = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert response.json()["channel"] == "email"


def test_enrolling_an_authenticator_needs_the_current_password(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    headers = web.csrf_headers()
    assert web.client.post(ENROL, json={}, headers=headers).status_code == 422
    wrong = {"current_password": "ikke mitt passord i det hele tatt"}
    response = web.client.post(ENROL, json=wrong, headers=headers)
    assert response.status_code == 403
    assert "otpauth" not in response.text
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    assert account.totp_pending_secret is None
    assert account.failures == 1  # counted like a wrong password at login


def test_an_unconfirmed_authenticator_does_not_replace_the_confirmed_one(web: Web) -> None:
    """Someone holding only the session cannot swap the second factor."""
    old_app = enrol(web)
    assert log_in_with_app(web, old_app) == 200
    start_enrolment(web, web.csrf_headers())  # never confirmed
    web.logout()
    assert log_in_with_app(web, old_app) == 200


def test_a_code_from_an_unconfirmed_authenticator_does_not_log_in(web: Web) -> None:
    old_app = enrol(web)
    assert log_in_with_app(web, old_app) == 200
    new_app = start_enrolment(web, web.csrf_headers())
    web.logout()
    assert log_in_with_app(web, new_app) == 401


def test_a_confirmed_authenticator_takes_over_and_the_old_one_stops(web: Web) -> None:
    old_app = enrol(web)
    assert log_in_with_app(web, old_app) == 200
    headers = web.csrf_headers()
    new_app = start_enrolment(web, headers)
    code = new_app.at(web.clock.now)
    assert web.client.post(CONFIRM, json={"code": code}, headers=headers).status_code == 204
    web.logout()
    assert log_in_with_app(web, old_app) == 401
    web.client.cookies.clear()
    assert log_in_with_app(web, new_app) == 200


def test_a_new_authenticator_is_announced_on_every_channel_without_its_secret(web: Web) -> None:
    web.create_user("kari")
    web.login("kari")
    headers = web.csrf_headers()
    before = len(web.messages())
    app = start_enrolment(web, headers)
    assert web.messages()[before:] == []  # nothing changed yet
    code = app.at(web.clock.now)
    assert web.client.post(CONFIRM, json={"code": code}, headers=headers).status_code == 204
    notices = web.messages()[before:]
    assert {(m["channel"], m["to"]) for m in notices} == {
        ("email", "kari@example.no"),
        ("sms", "+4791234567"),
    }
    for notice in notices:
        assert "autentiseringsapp" in notice["body"]
        assert app.secret not in notice["body"]
        assert "otpauth" not in notice["body"]


def account_rows(web: Web) -> str:
    """Every column of every account, as the database holds them."""
    store = web.accounts.accounts
    return repr([dict(row) for row in store.select(f"SELECT * FROM {store.accounts}")])


def test_the_database_holds_no_authenticator_seed_in_the_clear(web: Web) -> None:
    """A dump of the accounts table gives no seed: each is sealed under a key from the
    pepper, pending as well as confirmed (applications/seeds.py)."""
    web.create_user("kari")
    web.login("kari")
    pending = start_enrolment(web, web.csrf_headers())
    assert pending.secret not in account_rows(web)
    assert SEALED in account_rows(web)
    assert (
        web.client.post(
            CONFIRM, json={"code": pending.at(web.clock.now)}, headers=web.csrf_headers()
        ).status_code
        == 204
    )
    web.logout()
    assert pending.secret not in account_rows(web)
    assert log_in_with_app(web, pending) == 200


def test_a_seed_an_older_release_stored_in_the_clear_is_sealed_at_start_and_still_works(
    web: Web,
) -> None:
    totp = enrol(web)
    account = web.accounts.accounts.by_username("kari")
    assert account is not None
    web.accounts.accounts.change(  # as a release before sealing left it
        account.person_id, {"totp_secret": totp.secret}, at=web.clock.now
    )
    assert totp.secret in account_rows(web)
    assert log_in_with_app(web, totp) == 200  # read as it is until sealed
    web.logout()
    assert web.accounts.seal_stored_seeds() == 1
    assert web.accounts.seal_stored_seeds() == 0
    assert totp.secret not in account_rows(web)
    assert log_in_with_app(web, totp) == 200
