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
from stafett.bootstrap import build_access_log, build_accounts
from stafett.delivery import RoutingSender, SmtpSender
from stafett.settings import Settings
from stafett.web.app import create_app
from tests.conftest import ManualClock
from tests.e2e.conftest import PASSWORD, SECRETS, Web
from tests.integration.test_delivery import CollectingHandler, SmtpServer, running_smtp, text_of

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


def enrol(web: Web) -> pyotp.TOTP:
    web.create_user("kari")
    web.login("kari")
    headers = web.csrf_headers()
    uri = web.client.post("/api/v1/me/totp", headers=headers).json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/Stafett:kari?")
    totp = pyotp.TOTP(parse_qs(urlsplit(uri).query)["secret"][0])
    code = totp.at(web.clock.now)
    confirm = web.client.post("/api/v1/me/totp/confirm", json={"code": code}, headers=headers)
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
    web.client.post("/api/v1/me/totp", headers=headers)
    wrong = web.client.post("/api/v1/me/totp/confirm", json={"code": "000000"}, headers=headers)
    assert wrong.status_code == 401
    web.logout()
    response = web.client.post(LOGIN, json={"username": "kari", "password": PASSWORD})
    assert response.json()["channel"] == "email"
