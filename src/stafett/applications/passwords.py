"""Password policy and hashing (SEC-PW-*, SEC-PWP-*).

Policy: 12–128 code points after NFKC normalisation with runs of spaces
collapsed; no composition rules; refused when it is a common password (the
30,000-entry list shipped with zxcvbn), such a password with only digits or
punctuation added, or when it contains the username, the person's names or a
word tied to this service.

Hashing: argon2id with RFC 9106's low-memory profile (m=64 MiB, t=3, p=4) over an
HMAC-SHA-256 of the password with a pepper kept outside the database. At most
two hashes run at once, so logins cannot exhaust memory on a small machine; a
caller that cannot get a slot in time gets `HashingBusyError` (answered 503).
"""

import hashlib
import hmac
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from stafett.aggregates.errors import DomainError, ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_WORD = 4
SERVICE_WORDS = ("stafett", "stafettlogg", "sampro", "barnevern", "kommune", "passord")
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
_SPACES = re.compile(r"\s+")
_DECORATION = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)
_ONLY_DECORATION = re.compile(r"^[\W\d_]*$")
MIN_COMMON_PREFIX = 6


class HashingBusyError(DomainError):
    """Too many passwords are being hashed right now; try again shortly."""


def normalise(password: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", password))


def check_password(password: str, *, context: Iterable[str], field: str = "password") -> str:
    """The normalised password, or a ValidationError saying why it is refused."""
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        raise ValidationError(field, f"must be at least {MIN_LENGTH} characters")
    if len(text) > MAX_LENGTH:
        raise ValidationError(field, f"must be at most {MAX_LENGTH} characters")
    folded = text.casefold()
    if _is_common(folded):
        raise ValidationError(field, "is too common; choose a longer or more unusual phrase")
    words = [w.casefold() for item in (*context, *SERVICE_WORDS) for w in item.split()]
    for word in words:
        if len(word) >= MIN_WORD and word in folded:
            raise ValidationError(field, "must not contain your name, username or the service")
    return text


def _is_common(folded: str) -> bool:
    """On the list, or a listed password with only digits or punctuation around it."""
    core_match = _DECORATION.match(folded)
    core = core_match.group(1) if core_match else folded
    if folded in COMMON_PASSWORDS or (len(core) >= MIN_WORD and core in COMMON_PASSWORDS):
        return True
    return any(
        folded[:k] in COMMON_PASSWORDS and _ONLY_DECORATION.match(folded[k:])
        for k in range(len(folded) - 1, MIN_COMMON_PREFIX - 1, -1)
    )


class PasswordHashing:
    """Argon2id over a peppered HMAC, with at most `slots` hashes at a time."""

    def __init__(
        self, pepper: bytes, *, fast: bool = False, slots: int = 2, wait_seconds: float = 2.0
    ) -> None:
        self.pepper = pepper
        self.hasher = (
            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
            if fast
            else PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
        )
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(slots)
        self._dummy = self.hasher.hash(self._peppered("stafett-dummy-password"))

    def _peppered(self, password: str) -> bytes:
        return hmac.new(self.pepper, normalise(password).encode(), hashlib.sha256).digest()

    def hash(self, password: str) -> str:
        with self._slot():
            return self.hasher.hash(self._peppered(password))

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches; an absent hash costs the same time and fails."""
        with self._slot():
            try:
                self.hasher.verify(stored or self._dummy, self._peppered(password))
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise HashingBusyError("too many logins at once")
        try:
            yield
        finally:
            self._slots.release()
