"""A running web app with real accounts, sessions and an outbox, for HTTP tests."""

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from stafett.aggregates.person import PersonDetails
from stafett.aggregates.values import Consent, PlanType, local_date
from stafett.applications.access_log import AccessLog
from stafett.applications.accounts import AccountService, OtpChannel
from stafett.applications.parts import ConsentIn, CreatePlan, PersonIn
from stafett.applications.plans import PlanApplication
from stafett.archive.service import Archives
from stafett.bootstrap import build_access_log, build_accounts, build_archives, plan_list_runner
from stafett.projections.plan_list import PlanListView
from stafett.settings import Secrets, Settings
from stafett.web.app import create_app
from stafett.web.auth import KEEPS_FORM
from stafett.web.state import ACCESS_LOG, ACCOUNTS, ARCHIVES, PLAN_LIST, PLANS
from tests.conftest import ManualClock
from tests.leakcheck import remember
from tests.page_forms import draft_actions, forms_without_drafts
from tests.page_text import joined_sentences
from tests.sealing import TEST_KEY_TEXT, TEST_RENDERERS

SECRETS = Secrets(secret_key="k" * 40, password_pepper=b"p" * 40, code_key=b"c" * 40)
PASSWORD = "blå fjorder og grå måker"
remember(PASSWORD)


@dataclass
class Web:
    client: TestClient  # type: ignore[type-arg]
    plans: PlanApplication
    accounts: AccountService
    outbox: Path
    clock: ManualClock
    access_log: AccessLog
    archives: Archives | None = None
    plan_list: PlanListView | None = None

    def olas_plan(self, by: UUID, *, owner: PersonIn | None = None, **more: Any) -> UUID:
        """Olas plan (an SL plan from today, consent for 180 days given by the parents),
        made by `by` straight through the plan application; `more`: `CreatePlan`'s other
        fields (an end date, a level, …). Its id."""
        today = local_date(self.plans.clock())
        consent = Consent("Mor og far", today, today + timedelta(days=180), "Alle ser alt")
        created = self.plans.create_plan(
            CreatePlan(
                type=PlanType.RELAY_LOG,
                short_name="Olas plan",
                start_date=today,
                owner=owner or PersonIn(first_name="Ola", last_name="Planeier"),
                consent=ConsentIn.of(consent),
                **more,
            ),
            by=by,
        )
        return created.plan_id

    def create_user(
        self,
        username: str,
        *,
        password: str = PASSWORD,
        channel: OtpChannel = OtpChannel.EMAIL,
        coordinator: bool = False,
        auditor: bool = False,
        org_admin: bool = False,
        mobile_confirmed: bool = True,
    ) -> UUID:
        """A user with a password; their mobile number is confirmed (as the operator's
        `--mobile-confirmed`) unless `mobile_confirmed=False`. With e-mail codes (the
        default) beside that number, as the accounts from before decision 0045 that keep
        them."""
        return self.accounts.create_account(
            username=username,
            password=password,
            details=PersonDetails(
                first_name=username.capitalize(),
                last_name="Testesen",
                email=f"{username}@example.no",
                mobile="+4791234567",
            ),
            otp_channel=channel,
            is_coordinator=coordinator,
            is_auditor=auditor,
            is_org_admin=org_admin,
            mobile_confirmed=mobile_confirmed,
            email_codes_with_mobile=True,
        )

    def messages(self) -> list[dict[str, str]]:
        return [json.loads(p.read_text()) for p in sorted(self.outbox.glob("*.json"))]

    def last_code(self) -> str:
        match = re.search(r"\b(\d{6})\b", self.messages()[-1]["body"])
        assert match is not None
        remember(match.group(1))
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> None:
        remember(password)
        first = self.client.post(
            "/api/v1/session", json={"username": username, "password": password}
        )
        assert first.status_code == 200, first.text
        second = self.client.post("/api/v1/session/otp", json={"code": self.last_code()})
        assert second.status_code == 200, second.text
        if second.json()["next"] == "terms":
            third = self.client.post("/api/v1/session/terms", json={"accept": True})
            assert third.json() == {"next": "done"}
        remember(self.client.cookies["__Host-sid"])
        remember(self.client.cookies["__Host-device"])

    def step_up(self) -> None:
        """A fresh one-time code in this session (SEC-SES-08): sent, then typed."""
        headers = self.csrf_headers()
        sent = self.client.post("/api/v1/session/step-up/code", headers=headers)
        assert sent.status_code == 204, sent.text
        done = self.client.post(
            "/api/v1/session/step-up", json={"code": self.last_code()}, headers=headers
        )
        assert done.status_code == 204, done.text

    def csrf_headers(self) -> dict[str, str]:
        me = self.client.get("/api/v1/me").json()
        return {me["csrf"]["header"]: me["csrf"]["token"]}

    @contextmanager
    def from_address(self, address: str) -> Iterator[None]:
        """Requests inside come from `address` (the test client's is "testclient")."""
        app = self.client.app
        inner = app.asgi_handler

        async def elsewhere(scope: Any, receive: Any, send: Any) -> None:
            await inner({**scope, "client": (address, 50000)}, receive, send)

        app.asgi_handler = elsewhere
        try:
            yield
        finally:
            app.asgi_handler = inner

    # ----------------------------------------------------------- pages

    ORIGIN = "https://stafett.test"

    def page_token(self, path: str = "/plans") -> str:
        """The CSRF token a page of ours puts in its forms."""
        html = self.client.get(path).text
        match = re.search(r'name="csrf_token" value="([0-9a-f]*)"', html)
        assert match is not None, html[:500]
        return match.group(1)

    def submit(
        self, path: str, data: dict[str, Any] | None = None, *, token: bool = True, **kwargs: Any
    ) -> Any:
        """Post a form as the browser does: from our origin, with the page's CSRF token."""
        fields = dict(data or {})
        if token and "csrf_token" not in fields:
            fields["csrf_token"] = self.page_token()
        return self.client.post(
            path, data=fields, headers={"origin": self.ORIGIN}, follow_redirects=False, **kwargs
        )

    def page_login(self, username: str, password: str = PASSWORD) -> None:
        """Log in through the pages: password, code from the outbox, terms when asked."""
        remember(password)
        first = self.submit("/login", {"username": username, "password": password}, token=False)
        assert first.status_code == 303, first.text
        second = self.submit("/login/code", {"code": self.last_code()}, token=False)
        assert second.status_code == 303, second.text
        if second.headers["location"].startswith("/login/terms"):
            third = self.submit("/login/terms", {"answer": "yes"}, token=False)
            assert third.status_code == 303, third.text
        remember(self.client.cookies["__Host-sid"])
        remember(self.client.cookies["__Host-device"])

    def choose_password(self, token: str, password: str) -> None:
        """Use a password link through the pages; when the codes go by SMS to a number not
        confirmed, type the code sent to it (decision 0025), as the person would."""
        remember(password)
        chosen = self.submit(
            f"/reset/{token}",
            {"new_password": password, "new_password_again": password},
            token=False,
        )
        assert chosen.status_code == 303, chosen.text
        if chosen.headers["location"] != "/confirm-number":
            assert chosen.headers["location"] == "/login?saved=password_set"
            return
        assert self.messages()[-1]["channel"] == "sms"
        confirmed = self.submit("/confirm-number", {"code": self.last_code()}, token=False)
        assert confirmed.status_code == 303, confirmed.text
        assert confirmed.headers["location"] == "/login?saved=number_confirmed"

    def logout(self) -> None:
        """Log out as a page of ours does: a full session needs its CSRF token for it."""
        response = self.client.delete("/api/v1/session", headers=self.csrf_headers())
        assert response.status_code == 204, response.text


@pytest.fixture(scope="session")
def shared_app() -> Litestar:
    """One app for every `web` test, each putting its own services in the app's state.

    Building litestar's routes, signatures and dependency graph takes about 0.3 s,
    which per test was a third of the HTTP suite's time. Nothing but the state
    refers to the services (`create_app` puts them there and every handler and the
    guard read them from it), so a test sees only its own store.
    """
    unused: Any = None
    return create_app(unused, unused, access_log=unused, secret_key=SECRETS.secret_key)


def checked_pages(app: Litestar) -> Callable[[Any], None]:
    """A response hook for the tests' client: every page any test here is answered has no
    two sentences run together (a template's block tag at a line's end joins the lines;
    tests/page_text.py), and every form a person types into keeps a draft in the tab
    and, through its route on `app`, on the server (tests/page_forms.py)."""
    router = app.asgi_router

    def check(response: Any) -> None:
        if "text/html" not in response.headers.get("content-type", ""):
            return
        response.read()
        path = response.request.url.path
        joined = joined_sentences(response.text)
        assert not joined, f"{path}: text runs together: {joined}"
        unkept = forms_without_drafts(response.text)
        assert not unkept, f"{path}: forms that keep no draft: {unkept}"
        for action in draft_actions(response.text):
            handler = router.handle_routing(urlsplit(action).path, "POST")[1]
            assert handler.opt.get(KEEPS_FORM), f"{path}: the server keeps no form of {action}"

    return check


@pytest.fixture
def web(
    *,
    plans: PlanApplication,
    view: PlanListView,
    clock: ManualClock,
    tmp_path: Path,
    database_url: str,
    shared_app: Litestar,
) -> Iterator[Web]:
    """The app with the plan-list projection running in this process (on both stores)."""
    settings = Settings(
        database_url="unused",
        outbox_dir=tmp_path / "outbox",
        secrets=SECRETS,
        fast_password_hashing=True,
        archive_signing_key=TEST_KEY_TEXT,
    )
    accounts = build_accounts(settings, plans)
    env = Settings(database_url=database_url).event_store_env()
    with plan_list_runner(env):
        access_log = build_access_log(plans)
        archives = build_archives(settings, plans, access_log, renderers=lambda: TEST_RENDERERS)
        services = {PLANS: plans, ACCOUNTS: accounts, ACCESS_LOG: access_log, PLAN_LIST: view}
        services[ARCHIVES] = archives
        for key, service in services.items():
            shared_app.state[key] = service
        # As the service keeps it (web/logging.py): httpx's INFO line names each URL it
        # requests, a reset link's token in its path too, into the captured log.
        httpx_log = logging.getLogger("httpx")
        httpx_level = httpx_log.level
        httpx_log.setLevel(logging.WARNING)
        try:
            with TestClient(shared_app, base_url="https://stafett.test") as client:
                client.event_hooks = {"response": [checked_pages(shared_app)]}
                yield Web(
                    client, plans, accounts, settings.outbox_dir, clock, access_log, archives, view
                )
        finally:
            httpx_log.setLevel(httpx_level)
            archives.close()  # a rendition still being made ends before the stores close
            for key in services:  # the next test brings its own; none may see these
                shared_app.state[key] = None
