"""One test per finding of the attack on the running service (issue 8) that the edge,
the logs, the directory, the plan rules and the server settings fix; both stores.

(The login, factor, reset, password and CSRF findings are in test_login_hardening.py,
the projection's own resilience in the integration tests of the plan list.)
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from structlog.testing import capture_logs

from stafett.aggregates.person import PersonDetails
from stafett.settings import Settings, SettingsError
from tests.e2e.conftest import Web
from tests.e2e.test_logging import captured_json_logs
from tests.e2e.test_plan_api import CONSENT, Group, group, log_in, plan_body, version_of

__all__ = ["group"]  # the fixture, imported for these tests

PLANS = "/api/v1/plans"
PERSONS = "/api/v1/persons"


def events(web: Web) -> int:
    return web.plans.recorder.max_notification_id() or 0


def directory_rows(web: Web) -> tuple[int, int]:
    directory = web.plans.directory
    with directory.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {directory.persons}")
        row = c.fetchone()
        assert row is not None
        persons = int(row["n"])
        c.execute(f"SELECT COUNT(*) AS n FROM {directory.changes}")
        row = c.fetchone()
        assert row is not None
        return persons, int(row["n"])


def assert_refused_as_input(response: httpx.Response, status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text


# ------------------------------------------------ 1. NUL characters


def test_a_nul_in_a_plan_or_person_name_is_refused_and_the_plan_list_stays_current(
    web: Web,
) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    before = events(web), directory_rows(web)
    refused = [
        web.client.post(PLANS, json=plan_body(short_name="short\x00name"), headers=headers),
        web.client.post(
            PLANS,
            json=plan_body(owner={"first_name": "O\x00la", "last_name": "Nordmann"}),
            headers=headers,
        ),
        web.client.get(PERSONS + "?name=%00%00"),
    ]
    for response in refused:
        assert_refused_as_input(response)
    assert (events(web), directory_rows(web)) == before
    created = web.client.post(PLANS, json=plan_body(), headers=headers)
    assert created.status_code == 201
    assert web.client.get("/health").json()["plan_list_lag"] == 0
    assert [row["id"] for row in web.client.get(PLANS).json()] == [created.json()["id"]]


# ------------------------------------------------ 3. logs


def test_a_reset_token_in_the_path_and_raw_controls_never_reach_the_log(web: Web) -> None:
    token = "R3SET-T0KEN-" + "x" * 32
    with captured_json_logs() as stream:
        web.client.post(
            f"/api/v1/password-reset/{token}", json={"new_password": "et nytt langt passord"}
        )
        web.client.get("/api/v1/plans/evil%00path%1b%5b2J")
    output = stream.getvalue()
    assert token not in output
    assert "\x00" not in output
    assert "\x1b" not in output
    assert "/api/v1/password-reset/{token}" in output


# ------------------------------------------------ 4. crafted input, before login too


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b'{"username": "kari\xff", "password": "x"}', "invalid UTF-8"),
        (b"[" * 1000 + b"]" * 1000, "nested 1,000 deep"),
        (b'{"username": "kari", "password": "x", "n": 1' + b"0" * 30 + b"}", "a 31-digit number"),
        (b'{"username": "kari", "username": "ola", "password": "x"}', "duplicate keys"),
    ],
)
def test_crafted_bodies_answer_a_problem_before_login_too(
    web: Web, content: bytes, what: str
) -> None:
    response = web.client.post(
        "/api/v1/session", content=content, headers={"content-type": "application/json"}
    )
    assert_refused_as_input(response)
    assert response.json()["status"] == 422, what


def test_history_at_the_ends_of_the_calendar_or_a_huge_version_is_refused(
    web: Web, group: Group
) -> None:
    history = group.url("/history")
    for query in (
        "version=" + "1" * 23,
        "as_of=0001-01-01T00:00:00%2B14:00",
        "as_of=9999-12-31T23:59:59-14:00",
    ):
        response = web.client.get(f"{history}?{query}")
        assert response.status_code in (400, 422), f"{query}: {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")


# ------------------------------------------------ 5. trusted proxies


def test_trusted_proxies_come_from_configuration_and_default_to_none() -> None:
    assert Settings.from_env({}).trusted_proxies == ()
    configured = Settings.from_env({"STAFETT_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/24"})
    assert configured.trusted_proxies == ("10.0.0.5/32", "192.168.0.0/24")
    with pytest.raises(SettingsError, match="STAFETT_TRUSTED_PROXIES"):
        Settings.from_env({"STAFETT_TRUSTED_PROXIES": "not-an-address"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    """`stafett serve` in a real process; call it with the extra environment."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = free_port()
        environment = os.environ | {
            "STAFETT_DATABASE_URL": f"sqlite:///{tmp_path / f'{port}.sqlite'}",
            "STAFETT_OUTBOX_DIR": str(tmp_path / "outbox"),
            "STAFETT_PASSWORD_HASH": "fast",
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "stafett", "serve", "--port", str(port)],
            env=environment,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    return base
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("stafett serve did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def login_statuses(base: str, count: int, *, forged: bool) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base) as client:
        for n in range(count):
            headers = {"X-Forwarded-For": f"203.0.113.{n % 250 + 1}"} if forged else {}
            answer = client.post(
                "/api/v1/session",
                json={"username": "ingen", "password": "feil passord her"},
                headers=headers,
            )
            statuses.append(answer.status_code)
    return statuses


def test_forged_forwarded_for_headers_do_not_buy_more_login_attempts(server: Any) -> None:
    base = server()
    statuses = login_statuses(base, 35, forged=True)
    assert statuses[:30] == [401] * 30
    assert set(statuses[30:]) == {429}


def test_a_configured_proxy_is_believed(server: Any) -> None:
    base = server(STAFETT_TRUSTED_PROXIES="127.0.0.1")
    statuses = login_statuses(base, 35, forged=True)
    assert statuses == [401] * 35  # each forwarded address has its own budget


# ------------------------------------------------ 7. the directory


def test_the_directory_is_closed_to_parents_and_people_in_no_plan(web: Web) -> None:
    web.create_user("mor")  # a parent: no coordinator or administrator role
    web.plans.register_person(
        PersonDetails(
            first_name="Ola", last_name="Barn", mobile="+4791111111", email="ola@example.no"
        ),
        by=None,
    )
    web.login("mor")
    existing = web.client.get(PERSONS, params={"name": "Ola Barn"})
    missing = web.client.get(PERSONS, params={"name": "Ingen Slik"})
    assert existing.status_code == missing.status_code == 403
    assert existing.json() == missing.json()  # not even whether a name exists
    assert "Ola" not in existing.text
    assert "9111" not in existing.text


@pytest.mark.parametrize("role", ["coordinator", "org_admin"])
def test_those_who_add_people_to_plans_search_the_directory(web: Web, role: str) -> None:
    web.create_user("sara", coordinator=role == "coordinator", org_admin=role == "org_admin")
    web.login("sara")
    assert web.client.get(PERSONS, params={"name": "Sara"}).status_code == 200


def test_a_directory_search_needs_two_visible_characters(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    web.login("kari")
    assert web.client.get(PERSONS, params={"name": "O\u200b"}).status_code == 422
    assert web.client.get(PERSONS, params={"name": "O "}).status_code == 422
    assert web.client.get(PERSONS, params={"name": "Ol"}).status_code == 200


# ------------------------------------------------ 10. authorize before side effects


def test_a_stranger_cannot_probe_person_ids_or_register_people_through_a_plan(
    web: Web, group: Group
) -> None:
    web.create_user("fremmed", coordinator=True)  # coordinates nothing in this plan
    headers = log_in(web, "fremmed")
    known = str(web.plans.get_plan(UUID(group.plan_id)).owner_person_id)
    before = directory_rows(web), events(web)
    answers = [
        web.client.post(
            group.url("/participants"),
            json={"person": {"person_id": person_id}, "role": "provider"},
            headers=headers,
        )
        for person_id in (known, "8d2f3e50-1b1c-4d7e-9a55-9f1d7c3e2a11")
    ]
    new_person = web.client.post(
        group.url("/participants"),
        json={"person": {"first_name": "Ny", "last_name": "Person"}, "role": "provider"},
        headers=headers,
    )
    assert [a.status_code for a in (*answers, new_person)] == [404, 404, 404]
    assert answers[0].json() == answers[1].json() == new_person.json()
    assert (directory_rows(web), events(web)) == before


# ------------------------------------------------ 11. text and body hygiene


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "exe.\u202egpj"),  # a right-to-left override
        ("title", "\u200b\u200b\u200b"),  # nothing visible
        ("title", "\u2066Mål\u2069"),  # isolates in a title
        ("description", "rød \x1b[31m tekst"),
    ],
)
def test_direction_controls_and_invisible_titles_are_refused(
    web: Web, group: Group, field: str, value: str
) -> None:
    before = version_of(web, group.plan_id)
    body = {"title": "Mål"} | {field: value}
    response = web.client.post(group.url("/goals"), json=body, headers=group.headers)
    assert_refused_as_input(response)
    assert version_of(web, group.plan_id) == before


def test_text_is_stored_in_nfc(web: Web, group: Group) -> None:
    created = web.client.post(
        group.url("/goals"), json={"title": "Bjo\u0308rn sitt ma\u030al"}, headers=group.headers
    )
    assert created.status_code == 201
    titles = {g["title"] for g in web.client.get(group.url()).json()["goals"]}
    assert "Björn sitt mål" in titles


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("text/plain", 415), (None, 415), ("application/x-www-form-urlencoded", 415)],
)
def test_login_routes_take_only_json(web: Web, content_type: str | None, status: int) -> None:
    headers = {"content-type": content_type} if content_type else {}
    for route in ("/api/v1/session", "/api/v1/password-reset"):
        response = web.client.post(route, content=b'{"username": "kari"}', headers=headers)
        assert_refused_as_input(response, status)


def test_duplicate_keys_are_refused_not_last_one_wins(web: Web, group: Group) -> None:
    before = version_of(web, group.plan_id)
    response = web.client.post(
        group.url("/goals"),
        content=b'{"title": "Synlig", "title": "Skjult"}',
        headers={**group.headers, "content-type": "application/json"},
    )
    assert_refused_as_input(response)
    assert version_of(web, group.plan_id) == before


@pytest.mark.parametrize(
    "consent",
    [
        CONSENT | {"given_on": "1900-01-01", "expires_on": "9999-12-31"},
        CONSENT | {"expires_on": "9999-12-31"},
    ],
)
def test_consent_from_1900_or_to_9999_is_refused(web: Web, consent: dict[str, str]) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    response = web.client.post(PLANS, json=plan_body(consent=consent), headers=headers)
    assert_refused_as_input(response)
    assert web.client.get(PLANS).json() == []


def test_a_renewal_that_has_already_expired_is_refused_and_providers_keep_writing(
    web: Web, group: Group
) -> None:
    lapsed = {"given_by": "Mor", "given_on": "2026-01-01", "expires_on": "2026-03-01"}
    renewed = web.client.put(
        group.url("/consent"), json=lapsed | {"scope": "Alt"}, headers=group.headers
    )
    assert_refused_as_input(renewed)
    assert renewed.json()["field"] == "expires_on"
    assert renewed.json()["reason"] == "passed"
    still = web.client.post(group.url("/goals"), json={"title": "Videre"}, headers=group.headers)
    assert still.status_code == 201


def test_the_documented_create_body_without_consent_scope_is_accepted(web: Web) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    consent = {k: v for k, v in CONSENT.items() if k != "scope"}
    created = web.client.post(PLANS, json=plan_body(consent=consent), headers=headers)
    assert created.status_code == 201, created.text


# ------------------------------------------------ 13. reopening


def test_reopening_a_plan_gives_back_its_planned_end_date_in_the_view_and_the_list(
    web: Web,
) -> None:
    web.create_user("kari", coordinator=True)
    headers = log_in(web, "kari")
    created = web.client.post(PLANS, json=plan_body(end_date="2026-12-31"), headers=headers)
    plan = f"{PLANS}/{created.json()['id']}"
    closed = web.client.post(f"{plan}/close", json={"ended_on": "2026-03-02"}, headers=headers)
    assert closed.status_code == 200, closed.text
    reopened = web.client.post(f"{plan}/reopen", json={}, headers=headers)
    assert reopened.status_code == 200, reopened.text
    assert web.client.get(plan).json()["end_date"] == "2026-12-31"
    [row] = web.client.get(PLANS).json()
    assert row["end_date"] == "2026-12-31"


def test_refused_input_is_logged_by_field_never_by_value(web: Web, group: Group) -> None:
    """SEC-LOG-03: a body that breaks its schema, and a value that breaks a rule, each log
    `input_validation_fail` naming the field; the value is in no line."""
    goals = group.url("/goals")
    with capture_logs() as logs:
        wrong_type = web.client.post(goals, json={"title": 4711}, headers=group.headers)
        hidden = web.client.post(goals, json={"title": "Mål\u202egnp.exe"}, headers=group.headers)
        backwards = web.client.put(
            group.url("/consent"),
            json=CONSENT | {"given_on": "2026-03-01", "expires_on": "2025-12-24"},
            headers=group.headers,
        )
    assert wrong_type.status_code == hidden.status_code == backwards.status_code == 422
    refused = [line for line in logs if line["event"] == "input_validation_fail"]
    assert [(line["reason"], line["fields"]) for line in refused] == [
        ("schema", ["title"]),
        ("schema", ["title"]),
        ("value", ["expires_on"]),
    ]
    assert "4711" not in repr(logs)
    assert "gnp.exe" not in repr(logs)
    assert "2025-12-24" not in repr(logs)
