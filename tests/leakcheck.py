"""The suite-wide check that no password, code or token it used reached any output.

Tests call `remember` with every secret they send. After each test phase, pytest's
captured stdout, stderr and log records are scanned for all secrets remembered so
far; a hit fails the whole run at its end (see `pytest_sessionfinish` in conftest).
"""

import re

SECRETS_USED: set[str] = set()
LEAKS: list[str] = []
_CODE = re.compile(r"\d{6}")


def remember(secret: str) -> None:
    SECRETS_USED.add(secret)


def leaked(secret: str, text: str) -> bool:
    """Whether `secret` occurs in `text`; a six-digit code only as a word of its own.

    Six digits also turn up inside timestamps, UUIDs and hex ids by chance, so a code
    counts only where no digit, letter, '-', '.', ':' or ',' touches it.
    """
    if not _CODE.fullmatch(secret):
        return secret in text
    pattern = rf"(?<![0-9A-Za-z.:,-]){secret}(?![0-9A-Za-z])"
    return re.search(pattern, text) is not None


def scan(where: str, text: str) -> None:
    for secret in SECRETS_USED:
        if leaked(secret, text):
            LEAKS.append(f"{where}: a secret starting {secret[:2]!r} appears in the output")
