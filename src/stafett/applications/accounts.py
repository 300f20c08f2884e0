"""Accounts and login: password → one-time code → terms (first time) → session.

Every step that authenticates issues a new session token and destroys the old
one (SEC-SES-02). Unknown user, wrong password and locked account fail alike,
after the same argon2 work (SEC-OTP-08). Codes are six digits from `secrets`,
kept only as an HMAC bound to the login attempt, valid five minutes, five tries,
single use; a new code voids the old (SEC-OTP-01..05). Sessions expire after 30
idle minutes and 8 hours in all.

Failed logins and locks: `applications/lockout.py` (decision 0010). A person's own
account ("my profile": details, code channel, authenticator, language, live
sessions) is the `OwnAccount` part of this service (`own_account.py`); links that
set a password (reset, activation, change) the `PasswordLinks` part
(`password_links.py`). What organisation administrators do to other accounts:
`applications/administration.py`.

An operator makes the first accounts at the command line (`create_account`, with a
password). A plan's coordinator gives a participant who has none a login
(`open_account`, through `applications/logins.py`): the account starts with no
usable password, and a single-use link, the password-reset link's kind, lets the
person choose one.
"""

import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

import structlog

from stafett.aggregates.errors import DomainError, NotPermittedError, ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.applications.account_words import Words
from stafett.applications.codes import (
    CodeRejectedError,
    MobileUnconfirmedError,
    OneTimeCodes,
    OtpChannel,
    TooManyAttemptsError,
)
from stafett.applications.kept_forms import EndedSession, KeptForms
from stafett.applications.lockout import SOFT_LOCK, Client, LoginLocks
from stafett.applications.mobile_numbers import MobileNumbers
from stafett.applications.own_account import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    SESSION_TOUCH_EVERY,
    MyAccount,
    OwnAccount,
    SessionInfo,
    check_email_codes,
    check_reachable,
    session_expiry,
)
from stafett.applications.password_links import PasswordLinks
from stafett.applications.passwords import PasswordHashing, check_password
from stafett.applications.plan_listeners import PlanListeners
from stafett.applications.principal import LoginStep, Principal, Stage
from stafett.applications.seeds import AuthenticatorSeeds
from stafett.applications.step_up import StepUp, code_is_recent
from stafett.applications.terms import TERMS_VERSION
from stafett.applications.usernames import free_username
from stafett.delivery import Channel, OutgoingMessage, Sender
from stafett.persistence.accounts import AccountRecord, AccountStore
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.recorders import to_micros
from stafett.persistence.sessions import SessionRecord, SessionStore, new_login_id

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
PRE_AUTH_TIMEOUT = timedelta(minutes=10)
MAX_SESSIONS = 3  # concurrent logged-in sessions per person; the oldest is ended (SEC-SES-07)
CODE_SENDS_PER_15_MIN = 5
ATTEMPTS_PER_MINUTE_PER_ADDRESS = 30
log = structlog.get_logger(__name__)


class LoginFailedError(DomainError):
    """Username, password or account state did not allow a login (deliberately vague)."""


class AccountService(OwnAccount, PasswordLinks, MobileNumbers, StepUp, KeptForms, PlanListeners):
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
        self.seeds = AuthenticatorSeeds(hashing.pepper)
        self.codes = OneTimeCodes(
            sessions=sessions,
            accounts=accounts,
            directory=directory,
            send=self._send,
            key=code_key,
            seeds=self.seeds,
        )
        self.locks = LoginLocks(accounts, device_key)
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    def seal_stored_seeds(self) -> int:
        """Seal every authenticator seed stored before seeds were sealed (at start; a seed
        sealed twice by two processes starting at once opens all the same)."""
        sealed = 0
        for person_id, seeds in self.accounts.unsealed_seeds().items():
            columns = {name: self.seeds.seal(person_id, seed) for name, seed in seeds.items()}
            self.accounts.change(person_id, columns, at=self.clock())
            sealed += 1
        return sealed

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
        mobile_confirmed: bool = False,
        email_codes_with_mobile: bool = False,
    ) -> UUID:
        """Register the person and their account (the operator's bootstrap path; `by`
        names the administrator who does it in the directory's change log).

        Without a `password` the account gets none that anyone knows (the hash of a
        random secret that is thrown away): the person chooses one with an activation
        link (`send_password_link`), as the administrators' new accounts do.
        `mobile_confirmed`: the operator has checked with the person that the mobile
        number is theirs, so SMS codes may go to it from the first login (decision 0025);
        otherwise the person confirms it with a code or an SMS link first.
        E-mail codes are for a person without a mobile number (SEC-OTP-07, decision
        0045); `email_codes_with_mobile` makes an account as those from before that
        decision, which keep theirs (the tests' and benchmarks' users).
        """
        now = self.clock()
        name = self._free_username(username)
        checked = details.validated(today=now.date())
        check_reachable(otp_channel, checked)
        if not email_codes_with_mobile:
            check_email_codes(otp_channel, checked)
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
                    confirmed_mobile=checked.mobile
                    if mobile_confirmed and checked.mobile
                    else None,
                ),
                at=now,
            )
        except BaseException:
            self.directory.erase(person.person_id, actor_id=by, at=now, kind="withdrawn")
            raise
        return person.person_id

    def has_account(self, person_id: UUID) -> bool:
        return self.accounts.by_person(person_id) is not None

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
        wait = self.sessions.take(
            f"address:{address}", limit=self.attempts_per_minute, window_seconds=60, at=self.clock()
        )
        if wait is not None:
            log.warning("excess_rate_limit_exceeded", what="address")
            raise TooManyAttemptsError("too many attempts from this address", retry_after=wait)

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
            rehashed = self.hashing.hash(password)
            self.accounts.set_password(account.person_id, rehashed, at=now, fact=None)
        channel = OtpChannel(account.otp_channel)
        token = self.sessions.start(account.person_id, Stage.OTP.value, at=now, agent=client.agent)
        log.info("authn_password_ok", actor=str(account.person_id), channel=channel.value)
        if channel is OtpChannel.TOTP:
            return LoginStep(token, Stage.OTP, channel)
        return self._send_code(token, account, client.language)

    def resend_code(self, token: str, language: str | None = None) -> LoginStep:
        """A new code for the login of `token` (in the page's `language`, as a login's)."""
        _session, account = self._pre_auth(token, Stage.OTP, self.clock())
        if account.otp_channel == OtpChannel.TOTP.value:
            raise CodeRejectedError("codes come from the authenticator app")
        return self._send_code(token, account, language)

    def _send_code(self, token: str, account: AccountRecord, language: str | None) -> LoginStep:
        """Send the login code; none goes to an SMS number not confirmed (SEC-OTP-06),
        which the step then says. Only reached after a right password (SEC-OTP-08). In
        the account's language, else in `language` (the page's the person logs in from)."""
        channel = OtpChannel(account.otp_channel)
        try:
            self.codes.send(token, account, channel, self.clock(), language=language)
        except MobileUnconfirmedError:
            return LoginStep(token, Stage.OTP, channel, mobile_unconfirmed=True)
        return LoginStep(token, Stage.OTP, channel)

    def verify_code(self, token: str, code: str, client: Client) -> LoginStep:
        """The second factor; a right code gives the browser a device token to keep."""
        now = self.clock()
        session, account = self._pre_auth(token, Stage.OTP, now)
        if self.locks.is_locked(account, client, now):
            raise CodeRejectedError("the code is not valid")
        if not self.codes.accept(session.token_hash, account, code.strip(), now):
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
            code_at=to_micros(now),
            login_id=new_login_id(),
        )
        new_token = self.sessions.rotate(token, cleared)
        if new_token is None:  # the session ended meanwhile (a logout, or another step)
            raise CodeRejectedError("start the login again")
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
        self.accounts.change(
            account.person_id,
            {"terms_version": TERMS_VERSION},
            at=now,
            fact="terms_accepted",
            detail=str(TERMS_VERSION),
        )
        account = replace(account, terms_version=TERMS_VERSION)
        done = replace(
            session,
            stage=Stage.DONE.value,
            authenticated_at=to_micros(now),
            last_seen=to_micros(now),
            login_id=new_login_id(),
        )
        new_token = self.sessions.rotate(token, done)
        if new_token is None:
            raise CodeRejectedError("start the login again")
        self._session_created(account, new_token)
        return LoginStep(new_token, Stage.DONE)

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal of a live, fully logged-in session; expired sessions are ended."""
        found = self.session_of(token)
        return found if isinstance(found, Principal) else None

    def session_of(self, token: str | None) -> Principal | EndedSession | None:
        """As `authenticate`, but a logged-in session that this call finds past its
        timeouts (and marks ended), or one marked ended before, answers whose it was
        (`EndedSession`; kept_forms.py)."""
        if not token:
            return None
        now = self.clock()
        session = self.sessions.get(token)
        if session is not None and session.stage == Stage.ENDED.value:
            return EndedSession(session.person_id, session.login_key)
        if session is None or session.stage != Stage.DONE.value:
            return None
        micros = to_micros(now)
        idle, spent = session_expiry(session, micros)
        if idle or spent:
            # Ended, not deleted: a form from another tab of this session, sent after
            # this request, is still known as its person's (decision 0039).
            if self.sessions.change_stage(token, was=Stage.DONE.value, to=Stage.ENDED.value):
                log.info("session_expired", actor=str(session.person_id), idle=idle)
            return EndedSession(session.person_id, session.login_key)
        account = self.accounts.by_person(session.person_id)
        if account is None or account.hard_locked:
            self.sessions.end(token)
            return None
        if micros - session.last_seen > SESSION_TOUCH_EVERY.total_seconds() * 1_000_000:
            self.sessions.touch(session.token_hash, at=micros)
        return replace(
            self._principal(account),
            recent_code=code_is_recent(session, micros),
            login_key=session.login_key,
        )

    def seen(self, token: str | None) -> Principal | None:
        """As `authenticate`, but without any write: a session past its timeouts is not
        marked ended, nor is a live one's use written down. What a refusal's page shows its
        header with (web/pages/errors.py): a page that refuses writes nothing."""
        session = self.sessions.get(token) if token else None
        if session is None or session.stage != Stage.DONE.value:
            return None
        micros = to_micros(self.clock())
        account = self.accounts.by_person(session.person_id)
        if any(session_expiry(session, micros)) or account is None or account.hard_locked:
            return None
        return replace(self._principal(account), login_key=session.login_key)

    def login_key(self, token: str) -> str | None:
        """The login key of the logged-in session `token` (None: there is none), without
        touching it: what a public page needs to bind its CSRF token (web/auth.py)."""
        session = self.sessions.get(token)
        if session is None or session.stage != Stage.DONE.value:
            return None
        return session.login_key

    def logout(self, token: str | None) -> None:
        if token:
            session = self.sessions.get(token)
            self.sessions.end(token)
            if session is not None:
                self.sessions.forget_forms_of(session.person_id)
                log.info("session_ended", actor=str(session.person_id))

    # -------------------------------------------------------------- helpers

    def _free_username(self, username: str) -> str:
        return free_username(self.accounts, username)

    def _account(self, person_id: UUID) -> AccountRecord:
        account = self.accounts.by_person(person_id)
        if account is None:
            raise LoginFailedError("no account")
        return account

    def _principal(self, account: AccountRecord) -> Principal:
        return Principal.of(account, name=self.directory.get(account.person_id).full_name)

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
        now = self.clock()
        evicted = self.sessions.keep_newest(
            account.person_id,
            stage=Stage.DONE.value,
            keep=MAX_SESSIONS,
            new_token=token,
            seen_after=to_micros(now - IDLE_TIMEOUT),
            authenticated_after=to_micros(now - ABSOLUTE_TIMEOUT),
        )
        if evicted:
            log.info("session_evicted", actor=str(account.person_id), count=evicted)
        self.accounts.logged_in(account.person_id, at=now)  # for the log control (0058)
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

    def _notify_everywhere(
        self, account: AccountRecord, subject: Words, body: Words, **fields: str | Words
    ) -> None:
        """Tell the person on every channel they have, in the account's language; never
        with a secret in it."""
        details = self.directory.get(account.person_id).details
        self._notify([details], account.language, subject, body, **fields)

    def _notify(
        self,
        details: Iterable[PersonDetails],
        language: str | None,
        subject: Words,
        words: Words,
        **fields: str | Words,
    ) -> None:
        """Tell every address in `details` (old and new ones), each once, in `language`
        (`account_words.py`: English if the account chose it, else bokmål)."""
        heading, body = subject.said(language), words.said(language, **fields)
        addresses: dict[tuple[Channel, str], None] = {}
        for d in details:
            if d.email:
                addresses[(Channel.EMAIL, d.email)] = None
            if d.mobile:
                addresses[(Channel.SMS, d.mobile)] = None
        for channel, to in addresses:
            self.sender.send(OutgoingMessage(channel, to=to, subject=heading, body=body))
