"""The suite's own leak scanner must find what it is there to find."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import leakcheck
from tests.leakcheck import leaked

ROOT = Path(__file__).resolve().parents[2]


def test_a_password_anywhere_in_the_output_is_a_leak() -> None:
    assert leaked("blå fjorder", 'event="x" body={"password": "blå fjorder"}')
    assert not leaked("blå fjorder", 'event="x" body={"password": "[redacted]"}')


def test_a_code_is_a_leak_in_text_but_not_as_part_of_a_timestamp() -> None:
    assert leaked("573123", "Engangskoden din er 573123.")
    assert leaked("573123", 'code="573123"')
    assert not leaked("573123", "2026-11-28T13:42:16.573123+00:00")
    assert not leaked("573123", "id 95731234")
    assert not leaked("441174", "path=/api/v1/plans/8a6d1921-6155-4d57-915f-d8e441174d5a")


def test_the_scan_names_each_remembered_secret_in_the_text_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scan after each test phase: codes as words only, other secrets anywhere."""
    leaks: list[str] = []
    monkeypatch.setattr(leakcheck, "LEAKS", leaks)  # the run's own list stays clean
    monkeypatch.setattr(leakcheck, "CODES_USED", set())
    monkeypatch.setattr(leakcheck, "SECRETS_USED", set())
    for secret in ("573123", "441174", "901234", "pw-one", "pw-two"):
        leakcheck.remember(secret)
    leakcheck.scan("t", "kode 573123, ts 12:00:00.441174, 9012345, med pw-two og pw-two")
    assert leaks == [
        "t: a secret starting '57' appears in the output",
        "t: a secret starting 'pw' appears in the output",
    ]


def test_a_leak_in_a_worker_fails_the_whole_parallel_run(tmp_path: Path) -> None:
    """Under `pytest -n 2` (as `make test` runs) a secret printed in a worker still fails.

    The secret is remembered inside the test, so only the worker that ran it knows
    it: the failure has to travel from the worker to the controller's exit status.
    """
    (tmp_path / "conftest.py").write_text('pytest_plugins = ("tests.leakcheck",)\n')
    (tmp_path / "test_planted.py").write_text(
        textwrap.dedent(
            """
            from tests.leakcheck import remember

            def test_prints_its_password():
                remember("planted-secret-9f3b")
                print("logging in with planted-secret-9f3b")

            def test_prints_nothing_secret():
                remember("other-secret-77aa")
                print("logging in with [redacted]")
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)  # this test may itself run in a worker
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider", "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = run.stdout + run.stderr
    assert "2 passed" in out, out  # the tests pass: only the leak fails the run
    assert "bringing up nodes" in out, out  # xdist ran it
    assert run.returncode == 1, out
    assert "SECRETS LEAKED INTO OUTPUT:" in out, out
    leak_lines = [line for line in out.splitlines() if "appears in the output" in line]
    assert set(leak_lines) == {  # once per phase that captured it, only that test
        "test_planted.py::test_prints_its_password: a secret starting 'pl' appears in the output"
    }, out
