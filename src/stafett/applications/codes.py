"""One-time codes by SMS or e-mail, and authenticator (TOTP) codes (SEC-OTP-01..05).

Codes are six digits from `secrets`, kept only as an HMAC bound to the login
attempt (the pre-auth session), valid five minutes, five tries, single use; a new
code voids the old; at most five sends in 15 minutes per account, and a send refused by
that limit voids nothing (`CodeSendsSpentError` says whether the last code still works).
TOTP codes are accepted one step either side and never twice (the last step used is
stored). Every code is compared as `typed_code` leaves it: spaces and dashes between
the digits do not count. Messages are in the account's language (`account_words.py`);
a login code, for an account that chose none, in the login page's.

An SMS login code goes only to the mobile number the person has confirmed (SEC-OTP-06,
decision 0025): `sms_number` is the one place that decides, and it fails closed. A
number is confirmed by a code sent to it (`send_confirmation`, `confirms`), bound to
the session and to that number, or by using a password link that went to it by SMS.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

import pyotp
import structlog

from stafett.aggregates.errors import DomainError
from stafett.aggregates.person import PersonDetails
from stafett.applications.account_words import (
    CONFIRM_CODE,
    CONFIRM_CODE_SUBJECT,
    LOGIN_CODE,
    LOGIN_CODE_SUBJECT,
    subject,
)
from stafett.applications.seeds import AuthenticatorSeeds, SeedUnreadableError
from stafett.delivery import Channel, OutgoingMessage
from stafett.persistence.accounts import AccountRecord, AccountStore
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import SessionRecord, SessionStore, digest

CODE_LIFETIME = timedelta(minutes=5)
CODE_TRIES = 5
CODE_SENDS_PER_15_MIN = 5
CODE_SENDS_PER_DAY = 20  # SEC-OTP-04: and at most this many in any 24 hours
log = structlog.get_logger(__name__)


class OtpChannel(Enum):
    SMS = "sms"
    EMAIL = "email"
    TOTP = "totp"


class CodeRejectedError(DomainError):
    """The one-time code was wrong, expired, used up or not for this login."""


class MobileUnconfirmedError(DomainError):
    """The mobile number has not been confirmed by the person: no SMS code goes to it."""


class TooManyAttemptsError(DomainError):
    """A rate limit was hit; `retry_after` seconds until it lifts."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CodeSendsSpentError(TooManyAttemptsError):
    """No code went out: the person has been sent as many as SEC-OTP-04 allows lately.
    Nothing was voided: `code_lives` says whether the session's last code still works
    (unexpired, tries left), so the person can type it rather than wait."""

    def __init__(self, message: str, retry_after: int, *, code_lives: bool) -> None:
        super().__init__(message, retry_after)
        self.code_lives = code_lives


# What may stand between the digits of a typed code: people copy codes shown in groups
# ("429 115", "429-115"), and phones put other spaces and dashes there.
CODE_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2012\u2013]+")


def typed_code(text: str) -> str:
    """A code as typed, without the spaces and dashes between its digits: the one form
    every code is compared in (login, step-up, confirming a number, the authenticator).
    Anything else stays, so a code with letters or other signs is wrong, never fixed up;
    non-ASCII gives "" (never a code, and `hmac.compare_digest` takes ASCII only)."""
    code = CODE_SEPARATORS.sub("", text)
    return code if code.isascii() else ""


class OneTimeCodes:
    def __init__(
        self,
        *,
        sessions: SessionStore,
        accounts: AccountStore,
        directory: PersonDirectory,
        send: Callable[[OutgoingMessage], None],
        key: bytes,
        seeds: AuthenticatorSeeds,
    ) -> None:
        self.sessions = sessions
        self.accounts = accounts
        self.directory = directory
        self.send_message = send
        self.key = key
        self.seeds = seeds
        self.sends_per_15_min = CODE_SENDS_PER_15_MIN  # codes a person is sent (SEC-OTP-04)
        self.sends_per_day = CODE_SENDS_PER_DAY

    def _hmac(self, session_hash: str, code: str) -> str:
        message = f"{session_hash}|{code}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def send(
        self,
        token: str,
        account: AccountRecord,
        channel: OtpChannel,
        now: datetime,
        *,
        language: str | None = None,
    ) -> None:
        """A login code for the session `token`; by SMS only to the confirmed number. In
        the account's language, else in `language` (the page's, before a login)."""
        details = self.directory.get(account.person_id).details
        if channel is OtpChannel.SMS:
            to, by = sms_number(account, details), Channel.SMS
        else:
            to, by = details.email, Channel.EMAIL
        code = self._new_code(token, account.person_id, now, bound_to="")
        language = account.language or language
        self.send_message(
            OutgoingMessage(
                channel=by,
                to=to,
                subject=subject(LOGIN_CODE_SUBJECT, language),
                body=LOGIN_CODE.said(language, code=code),
            )
        )

    def send_confirmation(self, token: str, person_id: UUID, number: str, now: datetime) -> None:
        """A code by SMS to `number`, which the person says is theirs, to prove it; it is
        bound to the session `token` and to that number, and logs nobody in."""
        code = self._new_code(token, person_id, now, bound_to=number)
        account = self.accounts.by_person(person_id)
        language = account.language if account is not None else None
        self.send_message(
            OutgoingMessage(
                channel=Channel.SMS,
                to=number,
                subject=subject(CONFIRM_CODE_SUBJECT, language),
                body=CONFIRM_CODE.said(language, code=code),
            )
        )

    def confirms(self, token_hash: str, number: str, code: str, now: datetime) -> bool:
        """Whether `code` is the live confirmation code of the session for `number`,
        using a try and, when right, the code (once, for one caller)."""
        return self._sent_code_used(
            token_hash, typed_code(code), now, bound_to=number, code_at=None
        )

    def accept(self, token_hash: str, account: AccountRecord, code: str, now: datetime) -> bool:
        """Whether `code` is the session's login code (SMS or e-mail) or the account's
        authenticator code, using it up (SEC-OTP-03).

        A try is spent before the code is looked at, and a right code is used in one
        conditional write, so that requests sent at once can neither guess more often
        than `CODE_TRIES` nor both be let in by one code.
        """
        at, code = to_micros(now), typed_code(code)
        if OtpChannel(account.otp_channel) is not OtpChannel.TOTP:
            return self._sent_code_used(token_hash, code, now, bound_to="", code_at=at)
        if self.sessions.take_try(token_hash, tries=CODE_TRIES) is None:
            return False
        step = totp_step(self._seed(account), account.totp_last_step, code, now)
        return (
            step is not None
            and self.accounts.claim_totp_step(account.person_id, step)
            and self.sessions.use_code(token_hash, None, code_at=at)
        )

    def _seed(self, account: AccountRecord) -> str | None:
        """The account's authenticator seed, opened; None if it has none or it does not
        open (then no code is right, and the line says why)."""
        if account.totp_secret is None:
            return None
        try:
            return self.seeds.open(account.person_id, account.totp_secret)
        except SeedUnreadableError:
            log.error("authn_seed_unreadable", actor=str(account.person_id))
            return None

    def _sent_code_used(
        self, token_hash: str, code: str, now: datetime, *, bound_to: str, code_at: int | None
    ) -> bool:
        """Spend a try; if `code` is the session's live code (bound to `bound_to`), use it
        up: True for one caller only."""
        session = self.sessions.take_try(token_hash, tries=CODE_TRIES)
        return (
            session is not None
            and self._live_code(session, code, now, bound_to=bound_to)
            and self.sessions.use_code(token_hash, session.code_hmac, code_at=code_at)
        )

    def _new_code(self, token: str, person_id: UUID, now: datetime, *, bound_to: str) -> str:
        wait = self.sessions.take(
            f"code:{person_id}", limit=self.sends_per_15_min, window_seconds=900, at=now
        )
        if wait is None:
            wait = self.sessions.take(
                f"codes-day:{person_id}", limit=self.sends_per_day, window_seconds=86_400, at=now
            )
        token_hash = digest(token)
        if wait is not None:
            log.warning("excess_rate_limit_exceeded", actor=str(person_id), what="code")
            lives = self._code_lives(self.sessions.get(token), now)
            raise CodeSendsSpentError("too many codes sent", retry_after=wait, code_lives=lives)
        code = f"{secrets.randbelow(10**6):06d}"
        self.sessions.set_code(
            token_hash,
            self._hmac(token_hash + bound_to, code),
            expires=to_micros(now + CODE_LIFETIME),
        )
        return code

    @staticmethod
    def _code_lives(session: SessionRecord | None, now: datetime) -> bool:
        """Whether the session holds a code that could still be typed: not expired, tries
        left (whether it is a login or a confirmation code, its session's stage says)."""
        return (
            session is not None
            and session.code_hmac is not None
            and session.code_expires is not None
            and session.code_expires >= to_micros(now)
            and session.code_attempts < CODE_TRIES
        )

    def _live_code(
        self, session: SessionRecord, code: str, now: datetime, *, bound_to: str
    ) -> bool:
        """Whether `code` is the session's unexpired code (its tries are counted apart)."""
        if session.code_hmac is None or session.code_expires is None:
            return False
        if session.code_expires < to_micros(now):
            return False
        candidate = self._hmac(session.token_hash + bound_to, code)
        return hmac.compare_digest(candidate, session.code_hmac)


def mobile_confirmed(account: AccountRecord, details: PersonDetails) -> bool:
    """Whether the directory's mobile number is the one the person has confirmed."""
    return bool(details.mobile) and details.mobile == account.confirmed_mobile


def sms_number(account: AccountRecord, details: PersonDetails) -> str:
    """Where an SMS login code may go: the directory's number, only while the person has
    confirmed it (SEC-OTP-06); a new, changed or never confirmed number gets nothing."""
    if not mobile_confirmed(account, details):
        log.info("authn_code_held", actor=str(account.person_id), reason="mobile_unconfirmed")
        raise MobileUnconfirmedError("the mobile number is not confirmed")
    return details.mobile


def totp_step(secret: str | None, last_step: int | None, code: str, now: datetime) -> int | None:
    """The time step the code belongs to, if valid and newer than the last one used."""
    code = typed_code(code)
    if not secret or not code:
        return None
    totp = pyotp.TOTP(secret)
    for offset in (-1, 0, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        step = totp.timecode(moment)
        fresh = last_step is None or step > last_step
        if fresh and hmac.compare_digest(totp.at(moment), code):
            return step
    return None
