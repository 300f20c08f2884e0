"""Accounts and login: password → one-time code → terms (first time) → session.

Every step that authenticates issues a new session token and destroys the old
one (SEC-SES-02). Unknown user, wrong password and locked account fail alike,
after the same argon2 work (SEC-OTP-08). Codes are six digits from `secrets`,
kept only as an HMAC bound to the login attempt, valid five minutes, five tries,
single use; a new code voids the old (SEC-OTP-01..05). Sessions expire after 30
idle minutes and 8 hours in all.

Failed logins and locks: `applications/lockout.py` (decision 0010). A person's own
account and details ("my profile"): their directory details, code channel,
authenticator, password and live sessions. What organisation administrators do to
other accounts: `applications/administration.py`.

An operator makes the first accounts at the command line (`create_account`, with a
password). A plan's coordinator gives a participant who has none a login
(`open_account`, through `applications/logins.py`): the account starts with no
usable password, and a single-use link, the password-reset link's kind, lets the
person choose one.
"""

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pyotp
import structlog

from stafett.aggregates.errors import (
    DomainError,
    DuplicateError,
    NotPermittedError,
    ValidationError,
)
from stafett.aggregates.person import Person, PersonDetails
from stafett.aggregates.values import local_date
from stafett.applications.codes import OneTimeCodes, OtpChannel, TooManyAttemptsError, totp_step
from stafett.applications.lockout import SOFT_LOCK, Client, LoginLocks
from stafett.applications.parts import PersonChange
from stafett.applications.passwords import PasswordHashing, check_password
from stafett.applications.principal import LoginStep, Principal, Stage
from stafett.applications.terms import TERMS_VERSION
from stafett.delivery import Channel, OutgoingMessage, Sender
from stafett.persistence.accounts import AccountRecord, AccountStore
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import SessionRecord, SessionStore, digest

__all__ = [
    "AccountService",
    "CodeRejectedError",
    "LoginFailedError",
    "LoginStep",
    "MyAccount",
    "OtpChannel",  # from codes, where it is used; named here for callers of the service
    "Principal",
    "SessionInfo",
    "Stage",
    "TooManyAttemptsError",
]
CODE_LIFETIME = timedelta(minutes=5)
CODE_TRIES = 5
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
PRE_AUTH_TIMEOUT = timedelta(minutes=10)
RESET_LIFETIME = timedelta(minutes=30)
# A new account's link to choose a password: started by the coordinator, who has met
# the person (SEC-REC-04), so it may wait a couple of days to be opened.
ACTIVATION_LIFETIME = timedelta(hours=48)
MAX_USERNAME_LENGTH = 64
CODE_SENDS_PER_15_MIN = 5
RESETS_PER_HOUR = 3
ATTEMPTS_PER_MINUTE_PER_ADDRESS = 30
log = structlog.get_logger(__name__)


class LoginFailedError(DomainError):
    """Username, password or account state did not allow a login (deliberately vague)."""


class CodeRejectedError(DomainError):
    """The one-time code was wrong, expired, used up or not for this login."""


@dataclass(frozen=True, slots=True)
class MyAccount:
    """What a person sees of their own account: their details, and how they log in."""

    username: str
    details: PersonDetails
    otp_channel: OtpChannel
    language: str | None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One live login of a person; `current` is the one asking."""

    started_at: datetime
    last_seen: datetime
    current: bool


def check_reachable(channel: OtpChannel, details: PersonDetails) -> None:
    """The account's codes and notices have somewhere to go (else a ValidationError)."""
    if channel is OtpChannel.SMS and not details.mobile:
        raise ValidationError("mobile", "is needed for codes by SMS")
    if channel is OtpChannel.EMAIL and not details.email:
        raise ValidationError("email", "is needed for codes by e-mail")
    if not (details.mobile or details.email):
        raise ValidationError("mobile", "a mobile number or an e-mail address is needed")


class AccountService:
    def __init__(
        self,
        *,
        accounts: AccountStore,
        sessions: SessionStore,
        directory: PersonDirectory,
        hashing: PasswordHashing,
        sender: Sender,
        code_key: bytes,
        device_key: bytes,
        clock: Callable[[], datetime],
        public_url: str = "http://127.0.0.1:8000",
        attempts_per_minute: int = ATTEMPTS_PER_MINUTE_PER_ADDRESS,
    ) -> None:
        self.accounts = accounts
        self.attempts_per_minute = attempts_per_minute  # login-type requests per address
        self.sessions = sessions
        self.directory = directory
        self.hashing = hashing
        self.sender = sender
        self.codes = OneTimeCodes(
            sessions=sessions,
            accounts=accounts,
            directory=directory,
            send=self._send,
            key=code_key,
        )
        self.locks = LoginLocks(accounts, device_key)
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    # ------------------------------------------------------------- accounts

    def create_account(
        self,
        *,
        username: str,
        password: str | None,
        details: PersonDetails,
        otp_channel: OtpChannel = OtpChannel.SMS,
        is_coordinator: bool = False,
        is_org_admin: bool = False,
        is_auditor: bool = False,
        by: UUID | None = None,
    ) -> UUID:
        """Register the person and their account (the operator's bootstrap path; `by`
        names the administrator who does it in the directory's change log).

        Without a `password` the account gets none that anyone knows (the hash of a
        random secret that is thrown away): the person chooses one with an activation
        link (`send_password_link`), as the administrators' new accounts do.
        """
        now = self.clock()
        name = self._free_username(username)
        checked = details.validated(today=now.date())
        check_reachable(otp_channel, checked)
        if password is None:
            clean = secrets.token_urlsafe(32)
        else:
            clean = check_password(
                password, context=(name, checked.first_name, checked.last_name), field="password"
            )
        password_hash = self.hashing.hash(clean)
        person, _ = self.directory.register(checked, actor_id=by, at=now)
        try:
            self.accounts.insert(
                AccountRecord(
                    person_id=person.person_id,
                    username=name,
                    password_hash=password_hash,
                    otp_channel=otp_channel.value,
                    is_coordinator=is_coordinator,
                    is_org_admin=is_org_admin,
                    is_auditor=is_auditor,
                ),
                at=now,
            )
        except BaseException:
            self.directory.erase(person.person_id, actor_id=by, at=now, kind="withdrawn")
            raise
        return person.person_id

    def open_account(self, person_id: UUID, *, username: str, otp_channel: OtpChannel) -> Channel:
        """An account for a person in the directory, with no usable password: a
        single-use link to choose one goes to them; answers the channel it went by.

        The link goes by the channel the login codes do not use when the person has
        both (SEC-REC-02), else by the one they have. Nobody knows the password the
        account starts with: it is a random secret, hashed and forgotten.
        """
        now = self.clock()
        name = self._free_username(username)
        if self.accounts.by_person(person_id) is not None:
            raise DuplicateError("the person already has an account")
        try:
            details = self.directory.get(person_id).details
        except KeyError:
            raise ValidationError("person_id", "no such person") from None
        check_reachable(otp_channel, details)
        nobody_knows = self.hashing.hash(secrets.token_urlsafe(32))
        self.accounts.insert(
            AccountRecord(
                person_id=person_id,
                username=name,
                password_hash=nobody_knows,
                otp_channel=otp_channel.value,
            ),
            at=now,
        )
        channel = self.send_activation_link(person_id, name, details, otp_channel)
        log.info("account_opened", actor=str(person_id), link_by=channel.value)
        return channel

    def has_account(self, person_id: UUID) -> bool:
        return self.accounts.by_person(person_id) is not None

    def contact_changed(
        self, person_id: UUID, before: PersonDetails, after: PersonDetails, by: UUID
    ) -> None:
        """Someone else changed where a person with an account gets codes and links:
        tell them at the addresses they had (SEC-OTP-09), so a change they did not
        expect does not go unnoticed."""
        if by == person_id or self.accounts.by_person(person_id) is None:
            return
        if (before.email, before.mobile) == (after.email, after.mobile):
            return
        log.info("person_contact_changed", actor=str(by), person=str(person_id))
        subject = "Kontaktopplysningene dine i Stafett er endret"
        body = (
            "E-postadressen eller mobilnummeret ditt i Stafett ble nettopp endret av "
            "noen i en plan du er med i. Engangskoder og lenker går nå dit. Var det ikke "
            "avtalt, kontakt koordinatoren din med en gang."
        )
        if before.email:
            self.sender.send(
                OutgoingMessage(Channel.EMAIL, to=before.email, subject=subject, body=body)
            )
        if before.mobile:
            self.sender.send(
                OutgoingMessage(Channel.SMS, to=before.mobile, subject=subject, body=body)
            )

    def unlock(self, username: str) -> None:
        """An administrator releases a locked account (soft or hard lock)."""
        now = self.clock()
        account = self.accounts.by_username(username.strip())
        if account is None:
            raise ValidationError("username", "no such account")
        self.accounts.release(account.person_id, at=now)
        log.info("authn_account_unlocked", actor=str(account.person_id))

    # ---------------------------------------------------------------- login

    def note_attempt(self, address: str) -> None:
        """Count a login-type request from one network address; too many → 429."""
        hits = self.sessions.hit(f"address:{address}", window_seconds=60, at=self.clock())
        if hits > self.attempts_per_minute:
            log.warning("excess_rate_limit_exceeded", what="address")
            raise TooManyAttemptsError("too many attempts from this address", retry_after=60)

    def begin_login(self, username: str, password: str, client: Client) -> LoginStep:
        """Check the password; on success send a code and open a pre-auth session.

        Unknown user, wrong password and a lock answer alike, after the same argon2 work.
        """
        now = self.clock()
        account = self.accounts.by_username(username.strip())
        matches = self.hashing.verify(account.password_hash if account else None, password)
        if account is None:
            log.info("authn_login_fail", reason="credentials")
            raise LoginFailedError("wrong username or password")
        if self.locks.is_locked(account, client, now):
            log.warning("authn_login_fail_locked", actor=str(account.person_id))
            raise LoginFailedError("wrong username or password")
        if not matches:
            self.locks.count_failure(account, client, now)
            log.info("authn_login_fail", actor=str(account.person_id), reason="credentials")
            raise LoginFailedError("wrong username or password")
        if self.hashing.needs_rehash(account.password_hash):
            account = self.accounts.update(
                replace(account, password_hash=self.hashing.hash(password)), at=now
            )
        channel = OtpChannel(account.otp_channel)
        token = self.sessions.start(account.person_id, Stage.OTP.value, at=now)
        if channel is not OtpChannel.TOTP:
            self.codes.send(token, account, channel, now)
        log.info("authn_password_ok", actor=str(account.person_id), channel=channel.value)
        return LoginStep(token, Stage.OTP, channel)

    def resend_code(self, token: str) -> LoginStep:
        now = self.clock()
        _session, account = self._pre_auth(token, Stage.OTP, now)
        channel = OtpChannel(account.otp_channel)
        if channel is OtpChannel.TOTP:
            raise CodeRejectedError("codes come from the authenticator app")
        self.codes.send(token, account, channel, now)
        return LoginStep(token, Stage.OTP, channel)

    def verify_code(self, token: str, code: str, client: Client) -> LoginStep:
        """The second factor; a right code gives the browser a device token to keep."""
        now = self.clock()
        session, account = self._pre_auth(token, Stage.OTP, now)
        if self.locks.is_locked(account, client, now):
            raise CodeRejectedError("the code is not valid")
        if not self.codes.matches(session, account, code.strip(), now):
            tries = session.code_attempts + 1
            self.sessions.save(replace(session, code_attempts=tries))
            self.locks.count_failure(account, client, now)
            log.info("authn_login_fail", actor=str(account.person_id), reason="code")
            raise CodeRejectedError("the code is not valid")
        self.accounts.succeeded(account.person_id, self.locks.scopes(account, client, now))
        device = self.locks.device_id(account, client, now) or secrets.token_urlsafe(16)
        account = self._account(account.person_id)  # the match may have stored a TOTP step
        stage = Stage.DONE if account.terms_version == TERMS_VERSION else Stage.TERMS
        cleared = replace(
            session,
            stage=stage.value,
            code_hmac=None,
            code_expires=None,
            code_attempts=0,
            authenticated_at=to_micros(now) if stage is Stage.DONE else None,
            last_seen=to_micros(now),
        )
        new_token = self.sessions.rotate(token, cleared)
        if stage is Stage.DONE:
            self._session_created(account, new_token)
        return LoginStep(new_token, stage, device=self.locks.device_token(account, device, now))

    def answer_terms(self, token: str, *, accept: bool) -> LoginStep | None:
        """Accepting finishes the login; declining ends the session (None)."""
        now = self.clock()
        session, account = self._pre_auth(token, Stage.TERMS, now)
        if not accept:
            self.sessions.end(token)
            log.info("authn_terms_declined", actor=str(account.person_id))
            return None
        account = self.accounts.update(
            replace(account, terms_version=TERMS_VERSION),
            at=now,
            fact="terms_accepted",
            detail=str(TERMS_VERSION),
        )
        done = replace(
            session,
            stage=Stage.DONE.value,
            authenticated_at=to_micros(now),
            last_seen=to_micros(now),
        )
        new_token = self.sessions.rotate(token, done)
        self._session_created(account, new_token)
        return LoginStep(new_token, Stage.DONE)

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal of a live, fully logged-in session; expired sessions are ended."""
        if not token:
            return None
        now = self.clock()
        session = self.sessions.get(token)
        if session is None or session.stage != Stage.DONE.value:
            return None
        micros = to_micros(now)
        idle, spent = _expiry(session, micros)
        if idle or spent:
            self.sessions.end(token)
            log.info("session_expired", actor=str(session.person_id), idle=idle)
            return None
        account = self.accounts.by_person(session.person_id)
        if account is None or account.hard_locked:
            self.sessions.end(token)
            return None
        if micros - session.last_seen > 30_000_000:
            self.sessions.save(replace(session, last_seen=micros))
        return self._principal(account)

    def logout(self, token: str | None) -> None:
        if token:
            session = self.sessions.get(token)
            self.sessions.end(token)
            if session is not None:
                log.info("session_ended", actor=str(session.person_id))

    # ------------------------------------------------------------ passwords

    def change_password(
        self, principal: Principal, token: str, client: Client, *, current: str, new: str
    ) -> None:
        now = self.clock()
        account = self._account(principal.person_id)
        self._current_password(account, client, current, now)
        clean = self._acceptable_password(account, new)
        self.accounts.set_password(
            account.person_id, self.hashing.hash(clean), at=now, fact="password_changed"
        )
        ended = self.sessions.end_all_of(account.person_id, except_token=token)
        log.info("authn_password_change", actor=str(account.person_id), sessions_ended=ended)
        self._notify_everywhere(
            account,
            "Passordet ditt i Stafett er endret",
            "Passordet til Stafett-kontoen din ble nettopp endret, og du er logget ut "
            "andre steder. Var det ikke deg, kontakt koordinatoren din med en gang.",
        )

    def request_reset(self, username: str) -> None:
        """Send a reset link when the account exists; the caller learns nothing either way.

        The web layer runs this after the 202 has gone out (a background task), so
        the answer costs the same for known and unknown names.
        """
        now = self.clock()
        account = self.accounts.by_username(username.strip())
        if account is None:
            return
        hits = self.sessions.hit(f"reset:{account.person_id}", window_seconds=3600, at=now)
        if hits > RESETS_PER_HOUR:
            log.warning("excess_rate_limit_exceeded", actor=str(account.person_id), what="reset")
            return
        person = self.directory.get(account.person_id)
        if not person.details.email or account.otp_channel == OtpChannel.EMAIL.value:
            # One mailbox must never hold both the reset link and the login code
            # (SEC-REC-02): such accounts are reset through their coordinator.
            log.info("authn_password_reset_refused", actor=str(account.person_id))
            return
        self.send_password_link(
            account.person_id,
            (Channel.EMAIL, person.details.email),
            subject="Nytt passord i Stafett",
            lead="Du (eller noen andre) ba om å sette nytt passord i Stafett.",
            lifetime=RESET_LIFETIME,
            valid_for="30 minutter",
            tail="Ba du ikke om dette, kan du se bort fra e-posten.",
        )
        log.info("authn_password_reset_requested", actor=str(account.person_id))

    def send_activation_link(
        self, person_id: UUID, username: str, details: PersonDetails, otp_channel: OtpChannel
    ) -> Channel:
        """The new account's link to choose its password, by the channel the login codes do
        not use when the person has both (SEC-REC-02); answers the channel it went by."""
        channel = link_channel(details, otp_channel)
        hours = int(ACTIVATION_LIFETIME.total_seconds() // 3600)
        self.send_password_link(
            person_id,
            (channel, details.email if channel is Channel.EMAIL else details.mobile),
            subject="Velg passordet ditt i Stafett",
            lead=(
                f"Du har fått en brukerkonto i Stafett. Brukernavnet ditt er {username}. "
                "Velg passordet ditt med lenken under; når du logger inn, får du i tillegg "
                "en engangskode."
            ),
            lifetime=ACTIVATION_LIFETIME,
            valid_for=f"{hours} timer",
            tail="Ventet du ikke dette, kan du se bort fra meldingen.",
        )
        return channel

    def send_password_link(
        self,
        person_id: UUID,
        to: tuple[Channel, str],
        *,
        subject: str,
        lead: str,
        lifetime: timedelta,
        valid_for: str,
        tail: str = "",
    ) -> None:
        """A single-use link that sets the account's password and nothing else: the next
        login still needs a one-time code. A new link voids any earlier one."""
        token = self.sessions.issue_reset(person_id, expires_at=self.clock() + lifetime)
        link = f"{self.public_url}/reset/{token}"
        body = f"{lead}\nLenken virker én gang i {valid_for}: {link}\n{tail}".rstrip()
        self.sender.send(OutgoingMessage(channel=to[0], to=to[1], subject=subject, body=body))

    def complete_reset(self, token: str, new_password: str) -> None:
        """Set a new password; does not log in (the next login still needs a code).

        The password is checked before the link is used up, so a refused password
        leaves the link working; the link is then used up in one statement, so of
        two completions at once only one sets its password.
        """
        now = self.clock()
        person_id = self.sessions.reset_holder(token, at=now)
        if person_id is None:
            raise NotPermittedError("the link is not valid any more")
        account = self._account(person_id)
        password_hash = self.hashing.hash(self._acceptable_password(account, new_password))
        if self.sessions.consume_reset(token, at=self.clock()) != person_id:
            raise NotPermittedError("the link is not valid any more")
        self.accounts.set_password(person_id, password_hash, at=now, fact="password_reset")
        self.sessions.end_all_of(person_id)
        log.info("authn_password_change", actor=str(person_id), via="reset")
        # The link went by e-mail; the notice goes to every channel, so also to the
        # one that did not carry it.
        self._notify_everywhere(
            account,
            "Passordet ditt i Stafett er satt på nytt",
            "Passordet til Stafett-kontoen din ble nettopp satt på nytt med en lenke sendt "
            "på e-post, og alle innlogginger er avsluttet. Var det ikke deg, kontakt "
            "koordinatoren din med en gang.",
        )

    # ----------------------------------------------------------------- TOTP

    def enrol_totp(self, principal: Principal, client: Client, *, current_password: str) -> str:
        """Start authenticator-app enrolment; returns the otpauth:// URI for a QR code.

        Binding a new factor needs the password as well as the session, and the new
        secret is only held as pending: login keeps the factor it had until
        `confirm_totp` sees a right code from the new app.
        """
        now = self.clock()
        account = self._account(principal.person_id)
        self._current_password(account, client, current_password, now)
        secret = pyotp.random_base32()
        self.accounts.set_pending_totp(account.person_id, secret, at=now)
        log.info("authn_totp_enrolment_started", actor=str(account.person_id))
        return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name="Stafett")

    def confirm_totp(self, principal: Principal, code: str) -> None:
        """Switch the account to the pending authenticator once it shows a right code."""
        now = self.clock()
        account = self._account(principal.person_id)
        pending = account.totp_pending_secret
        step = totp_step(pending, None, code.strip(), now) if pending else None
        if pending is None or step is None:
            raise CodeRejectedError("the code is not valid")
        confirmed = self.accounts.confirm_pending_totp(
            account.person_id, pending, step=step, channel=OtpChannel.TOTP.value, at=now
        )
        if not confirmed:  # another enrolment replaced the pending secret meanwhile
            raise CodeRejectedError("the code is not valid")
        log.info("authn_totp_enrolled", actor=str(account.person_id))
        self._notify_everywhere(
            account,
            "Ny autentiseringsapp i Stafett",
            "En ny autentiseringsapp er nå koblet til Stafett-kontoen din, og engangskodene "
            "kommer fra den. Var det ikke deg, kontakt koordinatoren din med en gang.",
        )

    def set_language(self, person_id: UUID, language: str) -> None:
        """The pages' language the person chose, kept for their next login anywhere."""
        account = self._account(person_id)
        if account.language != language:
            self.accounts.update(replace(account, language=language), at=self.clock())

    # ----------------------------------------------------- my own account

    def my_account(self, principal: Principal) -> MyAccount:
        account = self._account(principal.person_id)
        return MyAccount(
            username=account.username,
            details=self.directory.get(account.person_id).details,
            otp_channel=OtpChannel(account.otp_channel),
            language=account.language,
        )

    def change_details(
        self,
        principal: Principal,
        client: Client,
        change: PersonChange,
        *,
        current_password: str | None = None,
    ) -> Person:
        """Correct one's own directory details; the change log names the person as actor.

        The mobile number and the e-mail address are where codes and reset links go,
        so changing either binds a new authenticator (SEC-OTP-06): it needs the current
        password, and the person is told at the old and the new addresses.
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
            if not current_password:
                raise ValidationError(
                    "current_password", "is needed to change the mobile number or e-mail address"
                )
            self._current_password(account, client, current_password, now)
        person = self.directory.update(account.person_id, new, actor_id=account.person_id, at=now)
        log.info("person_details_changed", actor=str(account.person_id))
        if rebound:
            self.accounts.record_fact(
                account.person_id, at=now, kind="contact_changed", detail=",".join(rebound)
            )
            self._notify(
                (old, new),
                "Kontaktopplysningene dine i Stafett er endret",
                "Mobilnummeret eller e-postadressen for Stafett-kontoen din ble nettopp endret. "
                "Var det ikke deg, kontakt koordinatoren din med en gang.",
            )
        return person

    def set_otp_channel(
        self, principal: Principal, client: Client, channel: OtpChannel, *, current_password: str
    ) -> None:
        """Codes by SMS or by e-mail from the next login on (an authenticator app is set
        up with `enrol_totp`); needs the current password, like any new factor."""
        if channel is OtpChannel.TOTP:
            raise ValidationError("otp_channel", "an authenticator app is set up with a QR code")
        now = self.clock()
        account = self._account(principal.person_id)
        check_reachable(channel, self.directory.get(account.person_id).details)
        self._current_password(account, client, current_password, now)
        if account.otp_channel == channel.value:
            return
        self.accounts.set_otp_channel(account.person_id, channel.value, at=now)
        log.info("authn_otp_channel_changed", actor=str(account.person_id), channel=channel.value)
        self._notify_everywhere(
            account,
            "Engangskodene i Stafett kommer en ny vei",
            "Engangskodene til Stafett-kontoen din sendes nå på "
            + ("SMS." if channel is OtpChannel.SMS else "e-post.")
            + " Var det ikke deg, kontakt koordinatoren din med en gang.",
        )

    def live_sessions(self, principal: Principal, token: str | None) -> list[SessionInfo]:
        """The person's logins that still work, the latest first; `token`'s is `current`."""
        micros = to_micros(self.clock())
        mine = digest(token) if token else ""
        live = [
            s
            for s in self.sessions.of_person(principal.person_id, stage=Stage.DONE.value)
            if not any(_expiry(s, micros))
        ]
        return [
            SessionInfo(
                started_at=_instant(s.authenticated_at or s.created_at),
                last_seen=_instant(s.last_seen),
                current=s.token_hash == mine,
            )
            for s in sorted(live, key=lambda s: s.last_seen, reverse=True)
        ]

    def end_all_sessions(self, principal: Principal) -> int:
        """Log out everywhere, this browser too."""
        ended = self.sessions.end_all_of(principal.person_id)
        self.accounts.record_fact(
            principal.person_id, at=self.clock(), kind="sessions_ended", detail=str(ended)
        )
        log.info("session_ended_everywhere", actor=str(principal.person_id), sessions=ended)
        return ended

    # -------------------------------------------------------------- helpers

    def _free_username(self, username: str) -> str:
        name = username.strip().casefold()
        if not name or len(name) > MAX_USERNAME_LENGTH or any(ch.isspace() for ch in name):
            raise ValidationError("username", "must be 1–64 characters without spaces")
        if self.accounts.by_username(name) is not None:
            raise ValidationError("username", "is taken")
        return name

    def _account(self, person_id: UUID) -> AccountRecord:
        account = self.accounts.by_person(person_id)
        if account is None:
            raise LoginFailedError("no account")
        return account

    def _principal(self, account: AccountRecord) -> Principal:
        person = self.directory.get(account.person_id)
        return Principal(
            person_id=account.person_id,
            username=account.username,
            name=person.full_name,
            is_coordinator=account.is_coordinator,
            is_org_admin=account.is_org_admin,
            is_auditor=account.is_auditor,
            language=account.language,
        )

    def _pre_auth(
        self, token: str, stage: Stage, now: datetime
    ) -> tuple[SessionRecord, AccountRecord]:
        session = self.sessions.get(token)
        too_old = (
            session is not None
            and to_micros(now) - session.created_at > PRE_AUTH_TIMEOUT.total_seconds() * 1e6
        )
        if session is None or session.stage != stage.value or too_old:
            if session is not None:
                self.sessions.end(token)
            log.info("authn_sequence_fail", expected=stage.value)
            raise CodeRejectedError("start the login again")
        return session, self._account(session.person_id)

    # ------------------------------------------------------ failed logins and locks

    def _current_password(
        self, account: AccountRecord, client: Client, password: str, now: datetime
    ) -> None:
        """A logged-in person proves the password again; failures count as at login."""
        if self.locks.is_locked(account, client, now):
            raise TooManyAttemptsError(
                "too many wrong passwords", retry_after=int(SOFT_LOCK.total_seconds())
            )
        if not self.hashing.verify(account.password_hash, password):
            self.locks.count_failure(account, client, now)
            log.info("authn_reauthentication_fail", actor=str(account.person_id))
            raise NotPermittedError("the current password is wrong")

    def _send(self, message: OutgoingMessage) -> None:
        self.sender.send(message)  # looked up on each send: tests replace the sender

    def _session_created(self, account: AccountRecord, token: str) -> None:
        log.info("session_created", actor=str(account.person_id))
        log.info("authn_login_success", actor=str(account.person_id))

    def _acceptable_password(self, account: AccountRecord, new: str) -> str:
        """The cleaned new password, or a ValidationError naming `new_password`."""
        person = self.directory.get(account.person_id)
        return check_password(
            new,
            context=(account.username, person.details.first_name, person.details.last_name),
            field="new_password",
            is_current=lambda text: self.hashing.verify(account.password_hash, text),
        )

    def _notify_everywhere(self, account: AccountRecord, subject: str, body: str) -> None:
        """Tell the person on every channel they have; never with a secret in it."""
        self._notify([self.directory.get(account.person_id).details], subject, body)

    def _notify(self, details: Iterable[PersonDetails], subject: str, body: str) -> None:
        """Tell every address in `details` (old and new ones), each once."""
        addresses: dict[tuple[Channel, str], None] = {}
        for d in details:
            if d.email:
                addresses[(Channel.EMAIL, d.email)] = None
            if d.mobile:
                addresses[(Channel.SMS, d.mobile)] = None
        for channel, to in addresses:
            self.sender.send(OutgoingMessage(channel, to=to, subject=subject, body=body))


def _expiry(session: SessionRecord, micros: int) -> tuple[bool, bool]:
    """(idle too long, older than the absolute lifetime) of a logged-in session."""
    started = session.authenticated_at if session.authenticated_at is not None else 0
    idle = micros - session.last_seen > IDLE_TIMEOUT.total_seconds() * 1e6
    spent = micros - started > ABSOLUTE_TIMEOUT.total_seconds() * 1e6
    return idle, spent


def _instant(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1e6, tz=UTC)


def link_channel(details: PersonDetails, otp_channel: OtpChannel) -> Channel:
    """Where a link to choose a password goes: not where the codes go, when there is a choice."""
    if otp_channel is OtpChannel.SMS:
        return Channel.EMAIL if details.email else Channel.SMS
    return Channel.SMS if details.mobile else Channel.EMAIL
