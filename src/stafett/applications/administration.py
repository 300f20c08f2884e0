"""The organisation administrators' work on other people's accounts.

Every method takes the administrator as `by` and asks the policy table first
(`AccountAction.MANAGE_USERS`); the web route's gate asks the same row, so a
page cannot offer what this refuses. Each change is a fact in `account_facts`
naming the administrator, and a log line.

An administrator never sets, sees or receives a password (SEC-REC-04): a new
account gets an activation link to choose one, and a reset sends the person a
link. Only accounts whose codes go by e-mail are reset by an administrator:
they cannot use "forgotten password" themselves, since one mailbox must not
hold both the reset link and the login code (SEC-REC-02); the administrator
starts it after making sure who is asking. Everyone else gets codes on their
phone or in an app and resets the password themselves.
"""

from dataclasses import dataclass
from uuid import UUID

import structlog

from stafett.aggregates.errors import ConflictingValueError, NotPermittedError, ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.aggregates.policy import AccountAction, account_may
from stafett.applications.account_words import (
    AUTHENTICATOR_ENDED,
    AUTHENTICATOR_ENDED_SUBJECT,
    EMAIL,
    SMS,
    Words,
)
from stafett.applications.accounts import (
    AccountService,
    OtpChannel,
    Principal,
    TooManyAttemptsError,
)
from stafett.applications.own_account import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from stafett.applications.password_links import RESETS_PER_HOUR, reset_message
from stafett.applications.principal import Stage
from stafett.delivery import Channel
from stafett.persistence.accounts import AccountRecord
from stafett.persistence.recorders import to_micros

log = structlog.get_logger(__name__)


class ResetRefusedError(NotPermittedError):
    """The account's codes do not go by e-mail: the person resets the password themselves."""


@dataclass(frozen=True, slots=True)
class UserRow:
    """One account as the administrators' list shows it."""

    person_id: UUID
    username: str
    name: str
    roles: tuple[str, ...]
    otp_channel: OtpChannel
    hard_locked: bool  # until an administrator unlocks it
    soft_locked: bool  # for a while, after many failed attempts
    is_me: bool
    sessions: int = 0  # logins that still work (at most three, SEC-SES-07)

    @property
    def may_log_out(self) -> bool:
        """An administrator logs themselves out on My profile, not here."""
        return self.sessions > 0 and not self.is_me

    @property
    def may_lock(self) -> bool:
        return not self.is_me  # an administrator does not lock themselves out

    @property
    def resets_itself(self) -> bool:
        return resets_itself(self.otp_channel)

    @property
    def locked(self) -> bool:
        return self.hard_locked or self.soft_locked


class Administration:
    def __init__(self, accounts: AccountService) -> None:
        self.service = accounts
        self.accounts = accounts.accounts
        self.directory = accounts.directory
        self.clock = accounts.clock

    def users(self, by: Principal, *, search: str = "") -> list[UserRow]:
        """Every account, by username, with its roles and whether it is locked; with
        `search`, those whose username or name holds it (case and spacing ignored)."""
        self._allowed(by)
        records = self.accounts.every()
        names = {
            p.person_id: p.full_name
            for p in self.directory.get_many(r.person_id for r in records).values()
        }
        now = self.clock()
        soft = self.accounts.soft_locked(at=now)
        live = self.service.sessions.live_counts(
            stage=Stage.DONE.value,
            seen_after=to_micros(now - IDLE_TIMEOUT),
            authenticated_after=to_micros(now - ABSOLUTE_TIMEOUT),
        )
        rows = [
            UserRow(
                person_id=r.person_id,
                username=r.username,
                name=names.get(r.person_id, ""),
                roles=Principal.of(r).roles,
                otp_channel=OtpChannel(r.otp_channel),
                hard_locked=r.hard_locked,
                soft_locked=r.person_id in soft,
                is_me=r.person_id == by.person_id,
                sessions=live.get(r.person_id, 0),
            )
            for r in records
        ]
        wanted = " ".join(search.split()).casefold()
        return [u for u in rows if wanted in u.username.casefold() or wanted in u.name.casefold()]

    def open_account(
        self,
        by: Principal,
        *,
        username: str,
        details: PersonDetails,
        otp_channel: OtpChannel,
        is_coordinator: bool = False,
    ) -> UUID:
        """A new person and account without a password; an activation link goes to them
        to choose one (`AccountService.send_activation_link`)."""
        self._allowed(by)
        if otp_channel is OtpChannel.TOTP:
            raise ValidationError("otp_channel", "the person sets up an app after logging in")
        person_id = self.service.create_account(
            username=username,
            password=None,
            details=details,
            otp_channel=otp_channel,
            is_coordinator=is_coordinator,
            by=by.person_id,
        )
        now = self.clock()
        self.accounts.record_fact(person_id, at=now, kind="opened_by", detail=str(by.person_id))
        person = self.directory.get(person_id).details
        account = self._account(person_id)
        self.service.send_activation_link(person_id, account.username, person, otp_channel)
        log.info("account_opened", actor=str(by.person_id), account=str(person_id))
        return person_id

    def log_out(self, by: Principal, person_id: UUID) -> int:
        """End every session of another person (SEC-SES-07): a login left open on a shared
        computer, or one the person does not recognise. The account stays open; how many
        sessions ended is answered."""
        self._allowed(by)
        if person_id == by.person_id:  # `UserRow.may_log_out`
            raise NotPermittedError("administrators log themselves out on their profile")
        self._account(person_id)
        ended = self.service.sessions.end_all_of(person_id)
        self.accounts.record_fact(
            person_id, at=self.clock(), kind="sessions_ended_by", detail=str(by.person_id)
        )
        log.info(
            "session_ended_by_administrator",
            actor=str(by.person_id),
            account=str(person_id),
            sessions=ended,
        )
        return ended

    def log_out_everyone(self, by: Principal, own_token: str) -> int:
        """End every session but the administrator's own (`own_token`), of every user
        (SEC-SES-07): after a computer went astray or a break-in is feared. Everyone can
        log in again at once; how many sessions ended is answered."""
        self._allowed(by)
        if not own_token:
            raise NotPermittedError("the administrator's own session is needed")
        ended = self.service.sessions.end_everyone_else(own_token)
        self.accounts.record_fact(
            by.person_id, at=self.clock(), kind="sessions_ended_for_everyone", detail=str(ended)
        )
        log.info("session_ended_for_everyone", actor=str(by.person_id), sessions=ended)
        return ended

    def lock(self, by: Principal, person_id: UUID) -> None:
        """Lock an account until an administrator unlocks it; its sessions end now."""
        self._allowed(by)
        if person_id == by.person_id:  # `UserRow.may_lock`
            raise NotPermittedError("administrators do not lock their own account")
        self._account(person_id)
        self.accounts.set_flag(
            person_id,
            "hard_locked",
            True,
            at=self.clock(),
            fact="locked_by_administrator",
            detail=str(by.person_id),
        )
        self.service.sessions.end_all_of(person_id)
        log.info("account_locked", actor=str(by.person_id), account=str(person_id))

    def unlock(self, by: Principal, person_id: UUID) -> None:
        """Lift every lock, an administrator's and those of failed attempts."""
        self._allowed(by)
        self._account(person_id)
        now = self.clock()
        self.accounts.release(person_id, at=now)
        self.accounts.record_fact(person_id, at=now, kind="unlocked_by", detail=str(by.person_id))
        log.info("account_unlocked", actor=str(by.person_id), account=str(person_id))

    def start_reset(self, by: Principal, person_id: UUID) -> None:
        """Send the person a link to choose a new password (e-mail-code accounts only)."""
        self._allowed(by)
        account = self._account(person_id)
        if resets_itself(OtpChannel(account.otp_channel)):
            raise ResetRefusedError("codes for this account do not go by e-mail")
        email = self.directory.get(person_id).details.email  # codes by e-mail: there is one
        now = self.clock()
        wait = self.service.sessions.take(
            f"reset:{person_id}", limit=RESETS_PER_HOUR, window_seconds=3600, at=now
        )
        if wait is not None:
            raise TooManyAttemptsError("too many resets for this account", retry_after=wait)
        message = reset_message(
            Words(
                "En administrator har startet nytt passord for Stafett-kontoen din.",
                "An administrator has started a new password for your Stafett account.",
            ),
            Words(
                "Ba du ikke om dette, kontakt koordinatoren din.",
                "If you did not ask for this, contact your coordinator.",
            ),
        )
        self.service.send_password_link(person_id, (Channel.EMAIL, email), message)
        self.accounts.record_fact(
            person_id, at=now, kind="reset_started_by", detail=str(by.person_id)
        )
        log.info("authn_password_reset_by_administrator", actor=str(by.person_id))

    def end_authenticator(self, by: Principal, person_id: UUID) -> OtpChannel:
        """Switch off the account's authenticator app, for a person who lost the phone it
        was on (SEC-REC-04): its seeds go, the codes come by SMS (by e-mail to a person
        without a mobile number), the person's sessions end, and they are told on every
        channel they have. The channel the codes now take is answered."""
        self._allowed(by)
        account = self._account(person_id)
        if OtpChannel(account.otp_channel) is not OtpChannel.TOTP:
            raise ConflictingValueError("otp_channel", "this account uses no authenticator app")
        details = self.directory.get(person_id).details
        channel = OtpChannel.SMS if details.mobile else OtpChannel.EMAIL
        now = self.clock()
        self.accounts.set_otp_channel(person_id, channel.value, at=now)
        self.accounts.record_fact(
            person_id, at=now, kind="authenticator_ended_by", detail=str(by.person_id)
        )
        self.service.sessions.end_all_of(person_id)
        self.service._notify_everywhere(
            account,
            AUTHENTICATOR_ENDED_SUBJECT,
            AUTHENTICATOR_ENDED,
            channel=SMS if channel is OtpChannel.SMS else EMAIL,
        )
        log.info(
            "authn_authenticator_ended_by_administrator",
            actor=str(by.person_id),
            account=str(person_id),
            channel=channel.value,
        )
        return channel

    def set_coordinator(self, by: Principal, person_id: UUID, *, coordinator: bool) -> None:
        """Grant or take back the coordinator role (creating plans, and so coordinating).

        A rights change gives a new session (SEC-SES-02): the person's sessions end, and
        their next login carries the new role; an administrator's own go on."""
        self._allowed(by)
        account = self._account(person_id)
        if account.is_coordinator == coordinator:
            return
        self.accounts.set_flag(
            person_id,
            "is_coordinator",
            coordinator,
            at=self.clock(),
            fact="coordinator_granted" if coordinator else "coordinator_revoked",
            detail=str(by.person_id),
        )
        ended = 0 if person_id == by.person_id else self.service.sessions.end_all_of(person_id)
        log.info(
            "account_role_changed",
            actor=str(by.person_id),
            account=str(person_id),
            coordinator=coordinator,
            sessions=ended,
        )

    # -------------------------------------------------------------- helpers

    def _allowed(self, by: Principal) -> None:
        if not account_may(AccountAction.MANAGE_USERS, by.roles):
            log.info("authz_fail", actor=str(by.person_id), action="manage_users")
            raise NotPermittedError("only organisation administrators manage users")

    def _account(self, person_id: UUID) -> AccountRecord:
        account = self.accounts.by_person(person_id)
        if account is None:
            raise ValidationError("person_id", "no such account")
        return account


def resets_itself(channel: OtpChannel) -> bool:
    """Codes by SMS or an app: the person uses "forgotten password"; no administrator reset."""
    return channel is not OtpChannel.EMAIL
