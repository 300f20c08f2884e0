"""The `stafett` command line on a SQLite store."""

import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import structlog

from stafett.__main__ import main
from stafett.applications.access_log import OPERATOR_ID
from stafett.archive.keys import SigningKey
from stafett.archive.seal import CORE
from stafett.archive.verify import CHECKS
from stafett.bootstrap import services
from stafett.settings import Settings
from tests.sealing import OTHER_KEY, TEST_RENDERERS
from tests.unit.test_settings import PRODUCTION


@pytest.fixture(autouse=True)
def logs_apart() -> Iterator[None]:
    """`cli()` sends the log lines to standard error before it runs `main`, away from
    what a command prints (an operator's read logs its access-log head, for one)."""
    structlog.configure(logger_factory=structlog.WriteLoggerFactory(io.StringIO()))
    yield
    structlog.reset_defaults()


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


def test_the_demo_users_get_sms_codes_and_may_reset_a_forgotten_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Each demo user has a mobile number, so e-mail codes are not theirs (decision 0045);
    and with SMS codes, "Forgotten password" sends its link to their e-mail."""
    assert main(["demo"]) == 0
    with services(Settings.from_env()) as built:
        for username in ("kari", "anne", "per", "helga"):
            account = built.accounts.accounts.by_username(username)
            assert account is not None
            assert (account.otp_channel, account.confirmed_mobile is not None) == ("sms", True)
        built.accounts.request_reset("kari")
    sent = [json.loads(p.read_text()) for p in sorted((tmp_path / "var/outbox").glob("*.json"))]
    links = [m for m in sent if m["channel"] == "email" and "/reset/" in m["body"]]
    assert [m["to"] for m in links] == ["kari.stafettholder@example.no"]


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


def test_users_create_gives_e_mail_codes_only_to_someone_without_a_mobile_number(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    """SEC-OTP-07 (decision 0045) holds for the operator too: nothing is made."""
    argv = ["users", "create", "--first-name", "Ola", "--last-name", "Lærer", "--otp-channel"]
    monkeypatch.setattr("sys.stdin", io.StringIO("blå fjorder og grå måker\n"))
    refused = [*argv, "email", "--username", "ola", "--email", "o@example.no"]
    assert main([*refused, "--mobile", "+4791234567"]) == 2
    assert "e-mail codes are for people without a mobile number" in capsys.readouterr().err
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM persons").fetchone() == (0,)
    monkeypatch.setattr("sys.stdin", io.StringIO("blå fjorder og grå måker\n"))
    assert main([*argv, "sms", "--username", "ola", "--mobile", "+4791234567"]) == 0


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


def test_operator_reads_of_plan_content_are_recorded_in_the_access_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan_id = plan_id_from_demo(capsys)
    assert main(["plan", "timeline", plan_id]) == 0
    assert main(["plan", "history", plan_id, "--version", "2"]) == 0
    capsys.readouterr()
    with services(Settings.from_env()) as built:
        entries = built.access_log.entries(UUID(plan_id))
    assert [(e.role, e.sections, e.reader_person_id) for e in entries] == [
        ("operator", ("timeline",), OPERATOR_ID),
        ("operator", ("history",), OPERATOR_ID),
    ]
    assert all(e.grounds.startswith("operator:") for e in entries)


@pytest.fixture
def sealed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[str, str, Path]:
    """The demo plan sealed by its coordinator and exported: (plan id, archive id, file)."""
    monkeypatch.setattr("stafett.bootstrap.standard_renderers", lambda: TEST_RENDERERS)
    plan_id = plan_id_from_demo(capsys)
    with services(Settings.from_env()) as built:
        plan = built.plans.get_plan(UUID(plan_id))
        coordinator = next(
            p.person_id
            for p in plan.participants
            if p.participant_id == plan.coordinator_participant_id
        )
        archive_id = str(built.archives.seal(UUID(plan_id), by=coordinator).archive_id)
    output = tmp_path / "record.zip"
    assert main(["archive", "export", archive_id, "--output", str(output)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"{output}  sha256:")
    return plan_id, archive_id, output


def test_archive_list_and_export_and_the_export_is_recorded(
    capsys: pytest.CaptureFixture[str], sealed: tuple[str, str, Path]
) -> None:
    plan_id, archive_id, output = sealed
    assert main(["archive", "list", plan_id]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(archive_id)
    with services(Settings.from_env()) as built:
        stored = built.archives.store.get(UUID(archive_id))
    assert stored is not None  # the sealed core, which the Archived event names (0026)
    assert line.endswith("sha256:" + hashlib.sha256(stored.data).hexdigest())
    assert main(["archive", "export", archive_id, "--output", str(output)]) == 2
    assert "exists already" in capsys.readouterr().err
    with services(Settings.from_env()) as built:
        last = built.access_log.entries(UUID(plan_id))[-1]
    assert (last.role, last.sections) == ("operator", ("archive",))


def test_archive_verify_needs_no_database_and_names_each_failed_check(
    capsys: pytest.CaptureFixture[str],
    sealed: tuple[str, str, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _, _, output = sealed
    monkeypatch.setenv("STAFETT_DATABASE_URL", "nosuch://anywhere")  # never opened
    public = Path("var/development-archive-key").read_text()
    key = tmp_path / "key.txt"
    key.write_text(SigningKey.from_text(public).public.text)
    assert main(["archive", "verify", str(output), "--public-key", str(key)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in printed[: len(CHECKS)]] == [c.split()[0] for c in CHECKS]
    assert printed[-1].startswith("intact: plan ")

    assert main(["archive", "verify", str(output), "--public-key", OTHER_KEY.public.text]) == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAILED")]
    assert failed == [
        f"FAILED  signature: signed with key {SigningKey.from_text(public).id}, not with the "
        f"given key {OTHER_KEY.id}; the signature over manifest.json does not verify with key "
        f"{OTHER_KEY.id}",
        f"FAILED  rendition: rendition.json is signed with key "
        f"{SigningKey.from_text(public).id}, not with {OTHER_KEY.id}",
    ]

    with zipfile.ZipFile(output) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    events = files["events.jsonl"].split(b"\n")
    files["events.jsonl"] = b"\n".join([events[0], events[2], events[1], *events[3:]])
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(altered, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    assert main(["archive", "verify", str(altered)]) == 1
    out = capsys.readouterr().out
    assert "FAILED  file hashes: events.jsonl: SHA-256 differs from the manifest" in out
    assert "FAILED  event chain:" in out
    assert "FAILED  versions: line 2 has version 3, expected 2" in out
    assert out.splitlines()[-1] == "ALTERED: 4 of 10 checks failed"

    core = tmp_path / "core.zip"  # the sealed core alone, as stored before its rendition
    with zipfile.ZipFile(output) as complete, zipfile.ZipFile(core, "w") as archive:
        for name in CORE:
            archive.writestr(name, complete.read(name))
    assert main(["archive", "verify", str(core)]) == 1
    out = capsys.readouterr().out
    assert "FAILED  rendition: record.pdf and arkivstruktur.xml are not in this record yet" in out
    assert out.splitlines()[-1].startswith("INCOMPLETE: the sealed core is intact, but record.pdf")


def test_a_read_of_an_unknown_plan_leaves_no_access_log_entry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    unknown = uuid4()
    assert main(["plan", "timeline", str(unknown)]) == 2
    assert main(["plan", "history", str(unknown)]) == 2
    with services(Settings.from_env()) as built:
        assert built.access_log.entries(unknown) == []


def test_every_command_logs_through_the_servers_redaction_to_standard_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`stafett users unlock` as an operator runs it: its line is a JSON line on standard
    error (not a pipe's standard output, where structlog's defaults printed it as it was,
    unredacted), with the UTC timestamp our processors add."""
    assert main(["demo"]) == 0
    capsys.readouterr()
    done = subprocess.run(
        [sys.executable, "-m", "stafett", "users", "unlock", "kari"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "kari unlocked\n"
    [line] = [json.loads(text) for text in done.stderr.splitlines()]
    assert line["event"] == "authn_account_unlocked"
    assert line["ts"].endswith("Z")
    assert UUID(line["actor"])


def test_production_gets_no_demo_users(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    """SEC-OTP-10: no default accounts. The demo's users, whose passwords the command
    prints, are refused before anything is stored."""
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STAFETT_PASSWORD_HASH")  # production hashes as production does
    assert main(["demo"]) == 2
    assert "production gets no demo users" in capsys.readouterr().err
    assert not store.exists()
