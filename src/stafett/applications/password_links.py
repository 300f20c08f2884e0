"""Links that set a password: a reset the person asks for, the activation of a new
account, and changing the password while logged in; a mixin of `AccountService`.

A link is single use, stored as a digest, and sets the password only: the next
login still needs a one-time code (SEC-REC-02). It never goes to the mailbox the
login codes go to when the person has another channel.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from uuid import UUID

import structlog

from stafett.aggregates.errors import DuplicateError, NotPermittedError, Refusal, ValidationError
from stafett.aggregates.person import PersonDetails
from stafett.applications.account_core import AccountCore
from stafett.applications.account_words import (
    CHANGED,
    CHANGED_SUBJECT,
    RESET_DONE,
    RESET_DONE_SUBJECT,
    WELCOME,
    WELCOME_SUBJECT,
    Words,
    link_body,
    subject,
)
from stafett.applications.codes import OtpChannel
from stafett.applications.lockout import Client
from stafett.applications.own_account import check_email_codes, check_reachable
from stafett.applications.principal import Principal
from stafett.delivery import Channel, OutgoingMessage
from stafett.persistence.accounts import AccountRecord
from stafett.persistence.sessions import UsedLink

RESET_LIFETIME = timedelta(minutes=30)
# A new account's link to choose a password: started by the coordinator, who has met
# the person (SEC-REC-04), so it may wait a few days to be opened (SEC-INV-01: 72 h).
ACTIVATION_LIFETIME = timedelta(hours=72)
RESETS_PER_HOUR = 3
# The account facts that tell an activation link went out, and that a password was
# chosen since (with that link, a later reset, or a change while logged in).
ACTIVATION_SENT = "activation_sent"
PASSWORD_CHOSEN = frozenset({"password_reset", "password_changed"})
log = structlog.get_logger(__name__)


NOTHING_MORE = Words("", "")


@dataclass(frozen=True, slots=True)
class LinkMessage:
    """What a message with a link to choose a password says, in bokmål and English (the
    account's language picks, `account_words.py`), and how long the link works."""

    subject: Words
    lead: Words
    tail: Words = NOTHING_MORE
    lifetime: timedelta = RESET_LIFETIME


# The coordinator's link for an account in use whose SMS number is not confirmed.
CONFIRM_NUMBER_LINK = LinkMessage(
    subject=Words("Bekreft mobilnummeret ditt i Stafett", "Confirm your mobile number in Stafett"),
    lead=Words(
        "Mobilnummeret ditt i Stafett er nytt eller ikke bekreftet, så engangskoder sendes "
        "ikke dit ennå. Velg et nytt passord med lenken under; da bekrefter du nummeret også.",
        "Your mobile number in Stafett is new or not confirmed, so one-time codes do not go "
        "to it yet. Choose a new password with the link below; that confirms the number too.",
    ),
    tail=Words(
        "Ventet du ikke dette, kontakt koordinatoren din.",
        "If you did not expect this, contact your coordinator.",
    ),
    lifetime=ACTIVATION_LIFETIME,
)


def reset_message(lead: Words, tail: Words) -> LinkMessage:
    """A link to choose a new password for an account that has one (30 minutes)."""
    return LinkMessage(Words("Nytt passord i Stafett", "New password for Stafett"), lead, tail)


@dataclass(frozen=True, slots=True)
class LiveLink:
    """A link that would still set a password: the username it is for, and whether it is
    the account's first password (an activation: nobody has used the account yet)."""

    username: str
    first: bool


class PasswordCore(AccountCore, Protocol):
    """`AccountCore` and the methods of the service's other parts that the links call."""

    def send_password_link(
        self, person_id: UUID, to: tuple[Channel, str], message: LinkMessage
    ) -> None: ...

    def send_activation_link(
        self, person_id: UUID, username: str, details: PersonDetails, otp_channel: OtpChannel
    ) -> Channel: ...

    def awaits_activation(self, person_id: UUID) -> bool: ...

    def needs_mobile_confirmation(self, person_id: UUID) -> bool: ...

    def confirm_by_link(self, person_id: UUID, link: UsedLink) -> None: ...

    def start_mobile_confirmation(self, person_id: UUID) -> str | None: ...


class PasswordLinks:
    def open_account(
        self: PasswordCore, person_id: UUID, *, username: str, otp_channel: OtpChannel
    ) -> Channel:
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
            raise ValidationError("person_id", "no such person", Refusal.NOT_IN_DIRECTORY) from None
        check_reachable(otp_channel, details)
        check_email_codes(otp_channel, details)
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

    def awaits_activation(self: PasswordCore, person_id: UUID) -> bool:
        """Whether the account was opened with an activation link and no password has been
        chosen since: nobody has used it yet."""
        kinds = {kind for kind, _ in self.accounts.facts_of(person_id)}
        return ACTIVATION_SENT in kinds and not kinds & PASSWORD_CHOSEN

    def resend_activation(self: PasswordCore, person_id: UUID) -> Channel:
        """A new link to choose the password of an account nobody has used yet (the first
        expired, or never arrived); it voids the earlier link. Answers the channel it went
        by. An account in use is refused (its owner resets a forgotten password), unless
        its codes go by SMS to a number not confirmed: then the link is the way back in,
        and using it confirms the number (decision 0025)."""
        account = self._account(person_id)
        details = self.directory.get(person_id).details
        otp_channel = OtpChannel(account.otp_channel)
        if self.awaits_activation(person_id):
            channel = self.send_activation_link(person_id, account.username, details, otp_channel)
        elif self.needs_mobile_confirmation(person_id):
            channel = link_channel(details, otp_channel)
            to = details.email if channel is Channel.EMAIL else details.mobile
            self.send_password_link(person_id, (channel, to), CONFIRM_NUMBER_LINK)
        else:
            raise DuplicateError("the account is in use already")
        log.info("account_activation_resent", actor=str(person_id), link_by=channel.value)
        return channel

    # ------------------------------------------------------------ passwords

    def change_password(
        self: PasswordCore,
        principal: Principal,
        token: str,
        client: Client,
        *,
        current: str,
        new: str,
    ) -> str | None:
        """Set a new password (the current one proves who asks); the person's other
        sessions end, and this one goes on under a new token (SEC-SES-02), which is
        answered (None: this session ended meanwhile, and the browser logs in again)."""
        now = self.clock()
        account = self._account(principal.person_id)
        self._current_password(account, client, current, now)
        clean = self._acceptable_password(account, new)
        self.accounts.set_password(
            account.person_id, self.hashing.hash(clean), at=now, fact="password_changed"
        )
        ended = self.sessions.end_all_of(account.person_id, except_token=token)
        session = self.sessions.get(token)
        renewed = None if session is None else self.sessions.rotate(token, session)
        log.info("authn_password_change", actor=str(account.person_id), sessions_ended=ended)
        self._notify_everywhere(account, CHANGED_SUBJECT, CHANGED)
        return renewed

    def request_reset(self: PasswordCore, username: str) -> None:
        """Send a reset link when the account exists; the caller learns nothing either way.

        The web layer runs this after the 202 has gone out (a background task), so
        the answer costs the same for known and unknown names.
        """
        now = self.clock()
        account = self.accounts.by_username(username.strip())
        if account is None:
            return
        key = f"reset:{account.person_id}"
        if self.sessions.take(key, limit=RESETS_PER_HOUR, window_seconds=3600, at=now) is not None:
            log.warning("excess_rate_limit_exceeded", actor=str(account.person_id), what="reset")
            return
        person = self.directory.get(account.person_id)
        if not person.details.email or account.otp_channel == OtpChannel.EMAIL.value:
            # One mailbox must never hold both the reset link and the login code
            # (SEC-REC-02): such accounts are reset through their coordinator.
            log.info("authn_password_reset_refused", actor=str(account.person_id))
            return
        message = reset_message(
            Words(
                "Du (eller noen andre) ba om å sette nytt passord i Stafett.",
                "You (or someone else) asked to set a new password in Stafett.",
            ),
            Words(
                "Ba du ikke om dette, kan du se bort fra e-posten.",
                "If you did not ask for this, you can ignore this e-mail.",
            ),
        )
        self.send_password_link(account.person_id, (Channel.EMAIL, person.details.email), message)
        log.info("authn_password_reset_requested", actor=str(account.person_id))

    def send_activation_link(
        self: PasswordCore,
        person_id: UUID,
        username: str,
        details: PersonDetails,
        otp_channel: OtpChannel,
    ) -> Channel:
        """The new account's link to choose its password, by the channel the login codes do
        not use when the person has both (SEC-REC-02); answers the channel it went by."""
        channel = link_channel(details, otp_channel)
        self.send_password_link(
            person_id,
            (channel, details.email if channel is Channel.EMAIL else details.mobile),
            LinkMessage(
                subject=Words("Velg passordet ditt i Stafett", "Choose your password for Stafett"),
                lead=Words(
                    f"Du har fått en brukerkonto i Stafett. Brukernavnet ditt er {username}. "
                    "Velg passordet ditt med lenken under; når du logger inn, får du i tillegg "
                    "en engangskode.",
                    f"You have been given an account in Stafett. Your username is {username}. "
                    "Choose your password with the link below; when you log in, you also get "
                    "a one-time code.",
                ),
                tail=Words(
                    "Ventet du ikke dette, kan du se bort fra meldingen.",
                    "If you did not expect this, you can ignore the message.",
                ),
                lifetime=ACTIVATION_LIFETIME,
            ),
        )
        self.accounts.record_fact(person_id, at=self.clock(), kind=ACTIVATION_SENT)
        return channel

    def send_password_link(
        self: PasswordCore, person_id: UUID, to: tuple[Channel, str], message: LinkMessage
    ) -> None:
        """A single-use link that sets the account's password and nothing else: the next
        login still needs a one-time code. A new link voids any earlier one."""
        expires_at = self.clock() + message.lifetime
        sms_to = to[1] if to[0] is Channel.SMS else None
        token = self.sessions.issue_reset(person_id, expires_at=expires_at, sms_to=sms_to)
        link = f"{self.public_url}/reset/{token}"
        language = self._account(person_id).language
        body = link_body(message.lead, message.tail, message.lifetime, link, language)
        title = subject(message.subject, language)
        self.sender.send(OutgoingMessage(channel=to[0], to=to[1], subject=title, body=body))

    def live_link(self: PasswordCore, token: str) -> LiveLink | None:
        """What the link `token` would set a password for, None when it would not (used or
        expired): read only, the link stays as it is. Whoever holds a live link may choose
        the password, so the username it is for may be shown to them."""
        person_id = self.sessions.reset_holder(token, at=self.clock())
        account = None if person_id is None else self.accounts.by_person(person_id)
        if person_id is None or account is None:
            return None
        return LiveLink(account.username, first=self.awaits_activation(person_id))

    def complete_reset(
        self: PasswordCore, token: str, new_password: str, *, then_confirm: bool = False
    ) -> str | None:
        """Set a new password; does not log in (the next login still needs a code).

        The password is checked before the link is used up, so a refused password
        leaves the link working; the link is then used up in one statement, so of
        two completions at once only one sets its password.

        A link that went by SMS to the directory's mobile number confirms it. With
        `then_confirm`, an account whose codes go by SMS to a number still not confirmed
        gets a code sent to it, and the token of a session that only confirms it
        (`confirm_mobile_after_link`) is answered; else None (decision 0025).
        """
        now = self.clock()
        person_id = self.sessions.reset_holder(token, at=now)
        if person_id is None:
            raise NotPermittedError("the link is not valid any more")
        account = self._account(person_id)
        first = self.awaits_activation(person_id)  # before the password is chosen
        password_hash = self.hashing.hash(self._acceptable_password(account, new_password))
        link = self.sessions.consume_reset(token, at=self.clock())
        if link is None or link.person_id != person_id:
            raise NotPermittedError("the link is not valid any more")
        self.accounts.set_password(person_id, password_hash, at=now, fact="password_reset")
        self.confirm_by_link(person_id, link)
        self.sessions.end_all_of(person_id)
        log.info("authn_password_change", actor=str(person_id), via="reset")
        # The notice goes to every channel, so also to the one that did not carry the
        # link: for a new account's first password a welcome that names the username,
        # for a reset a warning (SEC-OTP-09 either way).
        if first:
            self._notify_everywhere(account, WELCOME_SUBJECT, WELCOME, username=account.username)
        else:
            self._notify_everywhere(account, RESET_DONE_SUBJECT, RESET_DONE)
        return self.start_mobile_confirmation(person_id) if then_confirm else None


def link_channel(details: PersonDetails, otp_channel: OtpChannel) -> Channel:
    """Where a link to choose a password goes: not where the codes go, when there is a choice."""
    if otp_channel is OtpChannel.SMS:
        return Channel.EMAIL if details.email else Channel.SMS
    return Channel.SMS if details.mobile else Channel.EMAIL
