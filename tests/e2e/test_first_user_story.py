"""Issue 3's "done when": an operator creates a user with the CLI; that user logs in
through the API with a code from the outbox, accepts the terms once, works on a plan
and logs out. Also: an administrator releases a hard-locked account, and the
password never reaches the database file in clear."""

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from litestar.testing import TestClient

from stafett.__main__ import main
from stafett.bootstrap import build_web, services
from stafett.settings import Settings
from tests.leakcheck import remember

CANARY = "CANARY-blå-fjorder-9f3b7c"
remember(CANARY)


@pytest.fixture
def operator_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STAFETT_DATABASE_URL", f"sqlite:///{tmp_path}/var/stafett.sqlite")
    monkeypatch.setenv("STAFETT_PASSWORD_HASH", "fast")
    return tmp_path


def create_user(monkeypatch: pytest.MonkeyPatch, *extra: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(CANARY + "\n"))
    argv = ["users", "create", "--username", "kari", "--first-name", "Kari"]
    argv += ["--last-name", "Stafettholder", "--email", "kari@example.no", "--otp-channel"]
    assert main([*argv, "email", *extra]) == 0


def last_code(outbox: Path) -> str:
    newest = sorted(outbox.glob("*.json"))[-1]
    match = re.search(r"\b(\d{6})\b", json.loads(newest.read_text())["body"])
    assert match is not None
    remember(match.group(1))
    return match.group(1)


def test_a_user_made_with_the_cli_logs_in_works_on_a_plan_and_logs_out(
    operator_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(monkeypatch, "--coordinator")
    settings = Settings.from_env()
    with (
        services(settings) as built,
        TestClient(build_web(settings, built), base_url="https://stafett.test") as client,
    ):
        login = {"username": "kari", "password": CANARY}
        assert client.post("/api/v1/session", json=login).json()["channel"] == "email"
        code = last_code(operator_env / "var" / "outbox")
        assert client.post("/api/v1/session/otp", json={"code": code}).json() == {"next": "terms"}
        assert client.post("/api/v1/session/terms", json={"accept": True}).json() == {
            "next": "done"
        }
        me = client.get("/api/v1/me").json()
        headers = {me["csrf"]["header"]: me["csrf"]["token"]}
        today = date.today()
        plan = client.post(
            "/api/v1/plans",
            headers=headers,
            json={
                "type": "SL",
                "short_name": "Ola – lesing",
                "start_date": today.isoformat(),
                "owner": {"first_name": "Ola", "last_name": "Nordmann"},
                "consent": {
                    "given_by": "Mor",
                    "given_on": today.isoformat(),
                    "expires_on": (today + timedelta(days=210)).isoformat(),
                    "scope": "Full deling",
                },
            },
        )
        assert plan.status_code == 201, plan.text
        plan_id = plan.json()["id"]
        goal = client.post(
            f"/api/v1/plans/{plan_id}/goals", headers=headers, json={"title": "Lese hver dag"}
        )
        assert goal.status_code == 201
        assert goal.json()["version"] == 2
        assert client.delete("/api/v1/session", headers=headers).status_code == 204
        assert client.get("/api/v1/me").status_code == 401
        # Terms are asked once: the second login goes straight to done.
        client.post("/api/v1/session", json=login)
        code = last_code(operator_env / "var" / "outbox")
        assert client.post("/api/v1/session/otp", json={"code": code}).json() == {"next": "done"}


def test_an_administrator_releases_a_hard_locked_account(
    operator_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    create_user(monkeypatch)
    settings = Settings.from_env()
    with services(settings) as built:
        record = built.accounts.accounts.by_username("kari")
        assert record is not None
        built.accounts.accounts.change(
            record.person_id, {"hard_locked": True}, at=built.plans.clock()
        )
        locked = built.accounts.accounts.by_username("kari")
        assert locked is not None
        assert locked.hard_locked
    assert main(["users", "unlock", "kari"]) == 0
    assert "kari unlocked" in capsys.readouterr().out
    with services(settings) as built:
        unlocked = built.accounts.accounts.by_username("kari")
        assert unlocked is not None
        assert not unlocked.hard_locked
        assert ("unlocked", "") in built.accounts.accounts.facts_of(unlocked.person_id)


def test_the_password_is_nowhere_in_the_database_files(
    operator_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SEC-PW-05: the canary password is not in the SQLite file, its WAL or the outbox."""
    create_user(monkeypatch)
    settings = Settings.from_env()
    with (
        services(settings) as built,
        TestClient(build_web(settings, built), base_url="https://stafett.test") as client,
    ):
        client.post("/api/v1/session", json={"username": "kari", "password": CANARY})
    files = [p for p in (operator_env / "var").rglob("*") if p.is_file()]
    assert any(p.name.startswith("stafett.sqlite") for p in files)
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path.name
