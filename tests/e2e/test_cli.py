"""The `stafett` command line on a SQLite store."""

import io
import json
import sqlite3
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from stafett.__main__ import main
from stafett.bootstrap import services
from stafett.settings import Settings


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "var" / "stafett.sqlite"
    monkeypatch.chdir(tmp_path)  # development secrets and the outbox go under ./var
    monkeypatch.setenv("STAFETT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("STAFETT_PASSWORD_HASH", "fast")
    return path


def plan_id_from_demo(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["demo"]) == 0
    return capsys.readouterr().out.split()[2]


def test_demo_creates_one_plan_and_is_idempotent(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    first = plan_id_from_demo(capsys)
    assert store.exists()
    assert main(["demo"]) == 0
    assert "already there" in capsys.readouterr().out
    assert main(["plan", "list"]) == 0
    assert capsys.readouterr().out.split() == [first]


def test_plan_history_prints_the_plan_at_a_version(capsys: pytest.CaptureFixture[str]) -> None:
    plan_id = plan_id_from_demo(capsys)
    assert main(["plan", "history", plan_id, "--version", "5"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["version"] == 5
    assert [goal["title"] for goal in plan["goals"]] == ["Ola leser med glede"]


def test_plan_history_as_of_an_instant_before_the_plan_fails_clearly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan_id = plan_id_from_demo(capsys)
    assert main(["plan", "history", plan_id, "--as-of", "2001-01-01T00:00:00+01:00"]) == 2
    assert "did not exist" in capsys.readouterr().err


def test_an_instant_without_offset_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    plan_id = plan_id_from_demo(capsys)
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", "history", plan_id, "--as-of", "2026-01-01T00:00:00"])
    assert exit_info.value.code == 2
    assert "offset" in capsys.readouterr().err


def test_timeline_prints_one_line_per_event(capsys: pytest.CaptureFixture[str]) -> None:
    plan_id = plan_id_from_demo(capsys)
    assert main(["plan", "timeline", plan_id]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 9
    assert "Plan opprettet" in lines[0]


def test_an_unknown_plan_is_reported_without_a_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "timeline", str(uuid4())]) == 2
    err = capsys.readouterr().err
    assert "no such plan" in err
    assert "Traceback" not in err


def test_development_serving_refuses_a_public_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_a_bad_database_url_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STAFETT_DATABASE_URL", "mysql://nope")
    assert main(["plan", "list"]) == 2
    assert "STAFETT_DATABASE_URL" in capsys.readouterr().err


def test_demo_prints_each_demo_users_password_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    first = capsys.readouterr().out
    assert first.count("demo user") == 4
    assert main(["demo"]) == 0
    assert "demo user" not in capsys.readouterr().out


def test_users_create_reads_the_password_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("blå fjorder og grå måker\n"))
    argv = ["users", "create", "--username", "ola", "--first-name", "Ola", "--last-name", "Lærer"]
    assert main([*argv, "--email", "ola@example.no", "--otp-channel", "email"]) == 0
    person_id = capsys.readouterr().out.strip()
    assert len(person_id) == 36
    assert "blå fjorder" not in person_id


def test_users_create_refuses_a_weak_password_clearly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("password1234\n"))
    argv = ["users", "create", "--username", "ola", "--first-name", "Ola", "--last-name", "L"]
    assert main([*argv, "--mobile", "+4791234567"]) == 2
    assert "too common" in capsys.readouterr().err


def test_access_log_prints_the_reads_and_checks_the_chain(
    capsys: pytest.CaptureFixture[str], store: Path
) -> None:
    plan_id = UUID(plan_id_from_demo(capsys))
    reader = uuid4()
    with services(Settings.from_env()) as built:
        for section in ("timeline", "history"):
            built.access_log.record(
                plan_id,
                reader_person_id=reader,
                role="auditor",
                sections=[section],
                grounds="audit",
            )

    assert main(["plan", "access-log", str(plan_id)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].split()[0] == "1"
    assert f"{reader}  timeline  audit" in lines[0]
    assert lines[2] == "chain intact: 2 entries"

    with sqlite3.connect(store) as db:
        db.execute("DROP TRIGGER access_log_no_update")
        db.execute("UPDATE access_log SET sections='[\"overview\"]' WHERE seq=1")
    assert main(["plan", "access-log", str(plan_id)]) == 1
    assert "BROKEN: seq 1: hash does not match the entry" in capsys.readouterr().out
