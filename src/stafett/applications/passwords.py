"""Password policy and hashing (SEC-PW-*, SEC-PWP-*).

Normalisation, before any check and before hashing (so login normalises the same
way): invisible characters are removed (Unicode format characters such as
zero-width spaces and joiners, the BOM, the soft hyphen and bidi controls, plus
invisible fillers and variation selectors and control characters), then NFKC,
then runs of white space collapse to one space.

Policy: 12–128 code points after normalisation; no composition rules; refused
when it is a common password (the 30,000-entry list shipped with zxcvbn), such a
password with only digits or punctuation added, when it contains the username,
the person's names or a word tied to this service, when zxcvbn's strength
estimate (with those words as the user's inputs) is below 3 of 4 (repetitions,
sequences, dates, keyboard walks), or when it is the account's current password.

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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from stafett.aggregates.errors import DomainError, Refusal, ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_WORD = 4
SERVICE_WORDS = ("stafett", "stafettlogg", "sampro", "barnevern", "kommune", "passord")
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])
_SPACES = re.compile(r"\s+")
_DECORATION = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)
_ONLY_DECORATION = re.compile(r"^[\W\d_]*$")
MIN_COMMON_PREFIX = 6
MIN_STRENGTH = 3  # zxcvbn's score: 3 is "safely unguessable", 0-2 fall to offline guessing
# zxcvbn's pattern names, as a user reads them in the refusal.
WEAK_PATTERNS = {
    "repeat": "repetitions",
    "sequence": "sequences such as abc or 1234",
    "date": "dates",
    "regex": "years",
    "spatial": "keyboard patterns",
    "dictionary": "common words, names or passwords",
}
# Invisible characters outside the format category (Cf): fillers that render as
# nothing, the combining grapheme joiner and variation selectors.
INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
) | frozenset(map(chr, [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]))


class HashingBusyError(DomainError):
    """Too many passwords are being hashed right now; try again shortly."""


def _visible(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cf" or ch in INVISIBLE:
        return False
    return category != "Cc" or ch.isspace()  # tabs and newlines collapse to a space below


def normalise(password: str) -> str:
    """What is checked and hashed: invisible characters gone, NFKC, white space collapsed.

    Invisible characters go first, so that what is left composes as it would have
    been typed without them; a password padded with zero-width characters is then
    the plain password, for the policy and at login alike.
    """
    visible = "".join(ch for ch in password if _visible(ch))
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", visible))


def _begins_a_word(word: str, text: str) -> bool:
    """Whether `word` stands in `text` where a word begins (not after a letter): "kari",
    "Nordmann-familien", "2026kari", "stafett123" and the genitive "nordmanns" do; the
    "anne" inside "pannekaker" does not. A name glued after other letters is still
    weighed by zxcvbn, which is given the same words (`weaknesses`)."""
    return re.search(r"(?<![^\W\d_])" + re.escape(word), text) is not None


def check_password(
    password: str,
    *,
    context: Iterable[str],
    field: str = "password",
    is_current: Callable[[str], bool] | None = None,
) -> str:
    """The normalised password, or a ValidationError saying why it is refused.

    `is_current` tells whether a normalised password is the account's current one
    (an argon2 verification, so it is asked last, for an otherwise good password).
    """
    context = tuple(context)
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        raise ValidationError(
            field, f"must be at least {MIN_LENGTH} characters", Refusal.TOO_SHORT, limit=MIN_LENGTH
        )
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            field, f"must be at most {MAX_LENGTH} characters", Refusal.TOO_LONG, limit=MAX_LENGTH
        )
    folded = text.casefold()
    if _is_common(folded):
        raise ValidationError(
            field,
            "is too common; choose a longer or more unusual phrase",
            Refusal.TOO_COMMON,
        )
    words = [w.casefold() for item in (*context, *SERVICE_WORDS) for w in item.split()]
    for word in words:
        if len(word) >= MIN_WORD and _begins_a_word(word, folded):
            raise ValidationError(
                field,
                "must not contain your name, username or the service",
                Refusal.NAMES_YOU,
            )
    weak = weaknesses(text, context)
    if weak:
        raise ValidationError(
            field,
            f"is too easy to guess ({', '.join(weak)}); "
            "a few unusual words together make a strong password",
            Refusal.EASY_TO_GUESS,
        )
    if is_current is not None and is_current(text):
        raise ValidationError(
            field, "must differ from your current password", Refusal.SAME_AS_BEFORE
        )
    return text


def weaknesses(text: str, context: Iterable[str] = ()) -> tuple[str, ...]:
    """Why zxcvbn rates the password below `MIN_STRENGTH`; empty when it is strong enough.

    The user's own words (username, names) and the service words are given to the
    estimator, so passwords built on them count as guessable too.
    """
    inputs = [w for item in (*context, *SERVICE_WORDS) for w in item.casefold().split()]
    result = zxcvbn(text, user_inputs=inputs, max_length=MAX_LENGTH)
    if result["score"] >= MIN_STRENGTH:
        return ()
    found = [WEAK_PATTERNS.get(match["pattern"]) for match in result["sequence"]]
    reasons = tuple(dict.fromkeys(reason for reason in found if reason))
    return reasons or ("too short for its kind of characters",)


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
