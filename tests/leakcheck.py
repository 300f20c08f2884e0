"""The suite-wide check that no password, code or token it used reached any output.

Tests call `remember` with every secret they send. After each test phase, pytest's
captured stdout, stderr and log records are scanned for all secrets remembered so
far; a hit fails the whole run at its end. The hooks below do that; tests/conftest.py
registers them (`pytest_plugins`).

Under pytest-xdist (`make test` runs `-n auto`) each worker process remembers the
secrets its own tests used and scans its own tests' output, so the scan happens in
the worker. What a worker found travels to the controller with the worker's
`workeroutput` when it finishes (`pytest_testnodedown`); the controller prints the
list and fails the run, as a run without workers does.
"""

import re
from typing import Any

import pytest

SECRETS_USED: set[str] = set()
CODES_USED: set[str] = set()  # the six-digit ones among them, matched as words
LEAKS: list[str] = []
_CODE = re.compile(r"\d{6}")
# A six-digit code as a word of its own: no digit, letter, '-', '.', ':' or ',' before it,
# no digit or letter after it. Two such matches cannot overlap (each is a whole run of
# exactly six digits), so one pass over a text finds every code in it.
_STANDALONE_CODE = re.compile(r"(?<![0-9A-Za-z.:,-])(\d{6})(?![0-9A-Za-z])")
_WORKER_KEY = "stafett_leaks"


def remember(secret: str) -> None:
    (CODES_USED if _CODE.fullmatch(secret) else SECRETS_USED).add(secret)


def leaked(secret: str, text: str) -> bool:
    """Whether `secret` occurs in `text`; a six-digit code only as a word of its own.

    Six digits also turn up inside timestamps, UUIDs and hex ids by chance, so a code
    counts only where no digit, letter, '-', '.', ':' or ',' touches it.
    """
    if not _CODE.fullmatch(secret):
        return secret in text
    return secret in _STANDALONE_CODE.findall(text)


def scan(where: str, text: str) -> None:
    """Report every remembered secret in `text`.

    One pass finds the codes (a set intersection), and each other secret is a substring
    test: a pattern compiled per code per test phase made this scan, run after every
    phase of some 3,000 tests with thousands of secrets remembered, cost minutes.
    """
    if not text:
        return
    found = sorted(CODES_USED.intersection(_STANDALONE_CODE.findall(text)))
    found += sorted(secret for secret in SECRETS_USED if secret in text)
    for secret in found:
        LEAKS.append(f"{where}: a secret starting {secret[:2]!r} appears in the output")


# ---------------------------------------------------------------- pytest hooks


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Scan everything this test phase printed or logged for the secrets used so far.

    On the xdist controller this sees the workers' reports too, but it knows none of
    their secrets: the workers' own scans are the ones that count.
    """
    scan(report.nodeid, "\n".join(content for _, content in report.sections))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the xdist controller: take over what a finished worker found."""
    LEAKS.extend(getattr(node, "workeroutput", {}).get(_WORKER_KEY, []))


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook sends `workeroutput` away
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports and fails
        workeroutput[_WORKER_KEY] = list(LEAKS)
        return
    if LEAKS:
        print("\nSECRETS LEAKED INTO OUTPUT:\n" + "\n".join(LEAKS))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
