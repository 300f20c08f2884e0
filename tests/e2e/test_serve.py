"""`stafett serve --workers N`: the option, SQLite's refusal, and several processes on
PostgreSQL answering on one port."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from stafett.__main__ import main
from stafett.web.log_chain import verify_log
from tests.e2e.test_hardening import free_port


def workers_of(pid: int) -> list[int]:
    """The server processes uvicorn spawned (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid and b"spawn_main" in (stat.parent / "cmdline").read_bytes():
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_workers_must_be_a_whole_number_of_at_least_one(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--workers", workers])
    assert exited.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_sqlite_refuses_more_than_one_worker_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STAFETT_DATABASE_URL", f"sqlite:///{tmp_path / 'stafett.sqlite'}")
    assert main(["serve", "--workers", "2"]) == 2
    error = capsys.readouterr().err
    assert "--workers above 1 needs PostgreSQL" in error
    assert not (tmp_path / "stafett.sqlite").exists()  # refused before opening anything


@pytest.mark.postgres
def test_two_workers_on_postgresql_serve_one_port_and_stop_on_sigterm(
    postgres_schema: str, tmp_path: Path
) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "stafett", "serve", "--workers", "2", "--port", str(port)],
        env=os.environ
        | {
            "STAFETT_DATABASE_URL": postgres_schema,
            "STAFETT_OUTBOX_DIR": str(tmp_path / "outbox"),
            "STAFETT_PASSWORD_HASH": "fast",
        },
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while len(workers_of(process.pid)) < 2 or not _answers(base):
            assert process.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "stafett serve --workers 2 did not start"
            time.sleep(0.2)
        workers = workers_of(process.pid)
        assert len(workers) == 2
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(20):
                health = client.get("/health").json()
                assert (health["status"], health["plan_list_lag"]) == ("ok", 0)
                assert client.get("/login").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        log.close()
    assert code == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    # Each process chained its own lines into the one log they shared (SEC-LOG-07).
    chained = verify_log((tmp_path / "serve.log").read_text().splitlines())
    assert chained.intact, chained.problems
    assert len(chained.streams) >= 3  # the parent and both workers
    assert all(stream.first == 1 for stream in chained.streams.values())


def _answers(base: str) -> bool:
    try:
        return httpx.get(base + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
