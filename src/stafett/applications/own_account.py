"""A person's own account ("my profile"): details, code channel, authenticator, language,
live sessions; a mixin of `AccountService`, which holds the stores and the helpers named
in `AccountCore` (`account_core.py`).

Binding a new factor (an authenticator, another code channel, a new mobile number or
e-mail address) needs the current password as well as the session (SEC-OTP-06), and
the person is told on every channel they have (SEC-OTP-09).
"""

import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import pyotp
import structlog
import ua_parser

from stafett.aggregates.errors import ConflictingValueError, NotFoundError, Refusal, ValidationError
from stafett.aggregates.person import Person, PersonDetails
from stafett.aggregates.values import local_date
from stafett.applications.account_core import AccountCore
from stafett.applications.account_words import (
    AUTHENTICATOR_ON,
    AUTHENTICATOR_ON_SUBJECT,
    CODES_MOVED,
    CODES_MOVED_SUBJECT,
    CONTACT_CHANGED,
    CONTACT_CHANGED_SUBJECT,
    EMAIL,
    SMS,
)
from stafett.applications.codes import (
    CodeRejectedError,
    OtpChannel,
    TooManyAttemptsError,
    mobile_confirmed,
    totp_step,
)
from stafett.applications.lockout import Client
from stafett.applications.parts import PersonChange
from stafett.applications.principal import Principal, Stage
from stafett.applications.seeds import SeedUnreadableError
from stafett.applications.step_up import require_step_up
from stafett.persistence.accounts import AccountRecord
from stafett.persistence.recorders import from_micros, to_micros
from stafett.persistence.sessions import SessionRecord, digest

# SEC-SES-04: 15 quiet minutes end a session (decision 0046; issue 3 had set 30).
IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
# A session's use is written down at most this often (a write on every request costs
# every read): so a session may end this much sooner than IDLE_TIMEOUT after its use.
SESSION_TOUCH_EVERY = timedelta(seconds=30)
CHANGE_CONTACT = "ChangeContact"  # what a step-up for a new number or address waits for
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MyAccount:
    """What a person sees of their own account: their details, and how they log in."""

    username: str
    details: PersonDetails
    otp_channel: OtpChannel
    language: str | None
    has_photo: bool = False  # the photo itself: `PersonPhotos.own`
    mobile_confirmed: bool = False  # SMS login codes go to the mobile only once it is

    @property
    def may_have_email_codes(self) -> bool:
        """Whether My profile offers codes by e-mail (decision 0045)."""
        return email_codes_allowed(self.details, current=self.otp_channel.value)


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One live login of a person; `current` is the one asking. `handle` names it to its
    owner, to end it (`end_session`): derived from the stored digest, it opens nothing."""

    started_at: datetime
    last_seen: datetime
    current: bool
    handle: str
    browser: str = ""  # as its User-Agent names them ("" when it does not tell)
    system: str = ""


@functools.lru_cache(maxsize=256)
def browser_and_system(agent: str) -> tuple[str, str]:
    """(browser, operating system) a User-Agent names, by ua-parser's kept rules; ("", "")
    when it names no browser. Shown to the session's owner only, escaped as any text."""
    found = ua_parser.parse(agent)
    if found.user_agent is None or found.user_agent.family == "Other":
        return "", ""
    system = found.os.family if found.os is not None and found.os.family != "Other" else ""
    return found.user_agent.family[:40], system[:40]


class NoSuchSessionError(NotFoundError):
    """No live session of the person has that handle (ended already, or never theirs)."""


def session_handle(session: SessionRecord) -> str:
    """A session's name on its owner's page: 96 bits of a hash of its token's digest."""
    return hashlib.sha256(b"session|" + session.token_hash.encode()).hexdigest()[:24]


def check_reachable(channel: OtpChannel, details: PersonDetails) -> None:
    """The account's codes and notices have somewhere to go (else a ValidationError)."""
    if channel is OtpChannel.SMS and not details.mobile:
        raise ConflictingValueError(
            "mobile", "is needed for codes by SMS", Refusal.NEEDS_MOBILE_FOR_SMS
        )
    if channel is OtpChannel.EMAIL and not details.email:
        raise ConflictingValueError(
            "email", "is needed for codes by e-mail", Refusal.NEEDS_EMAIL_FOR_EMAIL_CODES
        )
    if not (details.mobile or details.email):
        raise ValidationError(
            "mobile",
            "a mobile number or an e-mail address is needed",
            Refusal.NEEDS_MOBILE_OR_EMAIL,
        )


def email_codes_allowed(details: PersonDetails, *, current: str | None = None) -> bool:
    """E-mail codes are a deviation for people without a mobile number (SEC-OTP-07,
    decision 0045); an account that has them (`current`, from before) keeps them."""
    return not details.mobile or current == OtpChannel.EMAIL.value


def check_email_codes(
    channel: OtpChannel, details: PersonDetails, *, current: str | None = None
) -> None:
    """E-mail codes chosen where `email_codes_allowed` says no are refused (409)."""
    if channel is OtpChannel.EMAIL and not email_codes_allowed(details, current=current):
        raise ConflictingValueError(
            "otp_channel",
            "e-mail codes are for people without a mobile number",
            Refusal.EMAIL_CODES_WITH_MOBILE,
        )


def tell_codes_moved(core: AccountCore, account: AccountRecord, channel: OtpChannel) -> None:
    """The person's codes go by `channel` from now on: logged, and told on every channel
    they have (a change they did not make is theirs to report)."""
    log.info("authn_otp_channel_changed", actor=str(account.person_id), channel=channel.value)
    moved_to = SMS if channel is OtpChannel.SMS else EMAIL
    core._notify_everywhere(account, CODES_MOVED_SUBJECT, CODES_MOVED, channel=moved_to)


class OwnAccount:
    # ----------------------------------------------------------------- TOTP

    def enrol_totp(
        self: AccountCore, principal: Principal, client: Client, *, current_password: str
    ) -> str:
        """Start authenticator-app enrolment; returns the otpauth:// URI for a QR code.

        Binding a new factor needs the password as well as the session, and the new
        secret is only held as pending: login keeps the factor it had until
        `confirm_totp` sees a right code from the new app.
        """
        now = self.clock()
        account = self._account(principal.person_id)
        self._current_password(account, client, current_password, now)
        secret = pyotp.random_base32()
        sealed = self.seeds.seal(account.person_id, secret)
        self.accounts.set_pending_totp(account.person_id, sealed, at=now)
        log.info("authn_totp_enrolment_started", actor=str(account.person_id))
        return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name="Stafett")

    def confirm_totp(self: AccountCore, principal: Principal, code: str) -> None:
        """Switch the account to the pending authenticator once it shows a right code."""
        now = self.clock()
        account = self._account(principal.person_id)
        pending = account.totp_pending_secret  # sealed, as stored
        try:
            seed = self.seeds.open(account.person_id, pending) if pending else None
        except SeedUnreadableError:
            seed = None
        step = totp_step(seed, None, code.strip(), now) if seed else None
        if pending is None or step is None:
            raise CodeRejectedError("the code is not valid")
        confirmed = self.accounts.confirm_pending_totp(
            account.person_id, pending, step=step, channel=OtpChannel.TOTP.value, at=now
        )
        if not confirmed:  # another enrolment replaced the pending secret meanwhile
            raise CodeRejectedError("the code is not valid")
        log.info("authn_totp_enrolled", actor=str(account.person_id))
        self._notify_everywhere(account, AUTHENTICATOR_ON_SUBJECT, AUTHENTICATOR_ON)

    def set_language(self: AccountCore, person_id: UUID, language: str) -> None:
        """The pages' language the person chose, kept for their next login anywhere."""
        account = self._account(person_id)
        if account.language != language:
            self.accounts.change(person_id, {"language": language}, at=self.clock())

    # ----------------------------------------------------- my own account

    def my_account(self: AccountCore, principal: Principal) -> MyAccount:
        account = self._account(principal.person_id)
        details = self.directory.get(account.person_id).details
        return MyAccount(
            username=account.username,
            details=details,
            otp_channel=OtpChannel(account.otp_channel),
            language=account.language,
            has_photo=self.directory.has_photo(account.person_id),
            mobile_confirmed=mobile_confirmed(account, details),
        )

    def change_details(
        self: AccountCore,
        principal: Principal,
        client: Client,
        change: PersonChange,
        *,
        current_password: str | None = None,
        token: str | None = None,
    ) -> Person:
        """Correct one's own directory details; the change log names the person as actor.

        The mobile number and the e-mail address are where codes and reset links go,
        so changing either binds a new authenticator (SEC-OTP-06): it needs the current
        password, and the person is told at the old and the new addresses. A new mobile
        number gets no login code until it is confirmed: a code to confirm it goes to it
        now, bound to the session `token` (`confirm_mobile`, decision 0025).
        """
        if not change.changes():
            raise ValidationError("body", "names nothing to change")
        now = self.clock()
        account = self._account(principal.person_id)
        old = self.directory.get(account.person_id).details
        new = change.applied_to(old).validated(today=local_date(now))
        check_reachable(OtpChannel(account.otp_channel), new)
        rebound = [f for f in ("mobile", "email") if getattr(new, f) != getattr(old, f)]
        if rebound:
            require_step_up(principal, CHANGE_CONTACT)  # SEC-SES-08
            if not current_password:
                raise ConflictingValueError(  # a change only where it differs from what is stored
                    "current_password", "is needed to change the mobile number or e-mail address"
                )
            self._current_password(account, client, current_password, now)
        person = self.directory.update(
            account.person_id, old, new, actor_id=account.person_id, at=now
        )
        log.info("person_details_changed", actor=str(account.person_id))
        if rebound:
            self.accounts.record_fact(
                account.person_id, at=now, kind="contact_changed", detail=",".join(rebound)
            )
            self._notify((old, new), account.language, CONTACT_CHANGED_SUBJECT, CONTACT_CHANGED)
        if "mobile" in rebound and new.mobile not in ("", account.confirmed_mobile) and token:
            try:
                self.codes.send_confirmation(token, account.person_id, new.mobile, now)
            except TooManyAttemptsError:  # the person asks for the code again later
                log.warning("authn_mobile_code_held", actor=str(account.person_id))
        return person

    def set_otp_channel(
        self: AccountCore,
        principal: Principal,
        client: Client,
        channel: OtpChannel,
        *,
        current_password: str,
    ) -> None:
        """Codes by SMS or by e-mail from the next login on (an authenticator app is set
        up with `enrol_totp`); needs the current password, like any new factor. SMS needs
        a confirmed mobile number (decision 0025)."""
        if channel is OtpChannel.TOTP:
            raise ValidationError("otp_channel", "an authenticator app is set up with a QR code")
        now = self.clock()
        account = self._account(principal.person_id)
        details = self.directory.get(account.person_id).details
        check_reachable(channel, details)
        check_email_codes(channel, details, current=account.otp_channel)
        if channel is OtpChannel.SMS and not mobile_confirmed(account, details):
            # No code would reach a number not confirmed: the person would lock themself out.
            raise ConflictingValueError(
                "otp_channel",
                "confirm the mobile number before codes by SMS",
                Refusal.MOBILE_NOT_CONFIRMED,
            )
        self._current_password(account, client, current_password, now)
        if account.otp_channel == channel.value:
            return
        self.accounts.set_otp_channel(account.person_id, channel.value, at=now)
        tell_codes_moved(self, account, channel)

    def live_sessions(
        self: AccountCore, principal: Principal, token: str | None
    ) -> list[SessionInfo]:
        """The person's logins that still work: `token`'s (`current`) first, then the most
        recently used."""
        micros = to_micros(self.clock())
        mine = digest(token) if token else ""
        live = [
            s
            for s in self.sessions.of_person(principal.person_id, stage=Stage.DONE.value)
            if not any(session_expiry(s, micros))
        ]
        return [
            SessionInfo(
                from_micros(s.authenticated_at or s.created_at),
                from_micros(s.last_seen),
                s.token_hash == mine,
                session_handle(s),
                *browser_and_system(s.agent),
            )
            for s in sorted(live, key=lambda s: (s.token_hash == mine, s.last_seen), reverse=True)
        ]

    def end_session(self: AccountCore, principal: Principal, handle: str) -> None:
        """Log out one of my logins, somewhere else or here (SEC-SES-07), after a fresh
        one-time code (`require_step_up`), so a stolen session cannot end its owner's."""
        require_step_up(principal)
        for session in self.sessions.of_person(principal.person_id, stage=Stage.DONE.value):
            named = hmac.compare_digest(session_handle(session), handle)
            if named and self.sessions.end_one_of(principal.person_id, session.token_hash):
                self.accounts.record_fact(
                    principal.person_id, at=self.clock(), kind="session_ended_by_owner"
                )
                log.info("session_ended_by_owner", actor=str(principal.person_id))
                return
        raise NoSuchSessionError("no such session")

    def end_all_sessions(
        self: AccountCore, principal: Principal, client: Client, *, current_password: str
    ) -> int:
        """Log out everywhere, this browser too; the password first (SEC-SES-07), so a
        stolen session cannot throw the person out of their own account."""
        account = self._account(principal.person_id)
        self._current_password(account, client, current_password, self.clock())
        ended = self.sessions.end_all_of(principal.person_id)
        self.accounts.record_fact(
            principal.person_id, at=self.clock(), kind="sessions_ended", detail=str(ended)
        )
        log.info("session_ended_everywhere", actor=str(principal.person_id), sessions=ended)
        return ended


def session_expiry(session: SessionRecord, micros: int) -> tuple[bool, bool]:
    """(idle too long, older than the absolute lifetime) of a logged-in session."""
    started = session.authenticated_at if session.authenticated_at is not None else 0
    idle = micros - session.last_seen > IDLE_TIMEOUT.total_seconds() * 1e6
    spent = micros - started > ABSOLUTE_TIMEOUT.total_seconds() * 1e6
    return idle, spent
