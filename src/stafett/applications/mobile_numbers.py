"""Confirming a mobile number before SMS login codes go to it (SEC-OTP-06, decision 0025);
a mixin of `AccountService`.

`codes.sms_number` is the one place that lets an SMS login code out, and only to the
number the account has confirmed (`AccountRecord.confirmed_mobile`). A number becomes
confirmed when the person shows they hold it:

- on "my profile", by a code sent to it: changing one's own number sends one at once,
  and "send a code" serves a number someone else entered (the coordinator);
- by using a password link (activation or reset) that went to it by SMS;
- after using a password link that went by e-mail, by a code sent to the number in a
  short session of its own (`Stage.MOBILE`) that logs nobody in.

Codes by e-mail are for people without a mobile number (SEC-OTP-07, decision 0045): a
person whose codes go by e-mail and who confirms a mobile number gets them by SMS from
then on, told at every address they have.

A confirmation code is bound to the session and to the number (`OneTimeCodes.confirms`),
so it neither logs in nor confirms a number typed in afterwards.
"""

from typing import Protocol
from uuid import UUID

import structlog

from stafett.aggregates.errors import ValidationError
from stafett.applications.account_core import AccountCore
from stafett.applications.codes import (
    CodeRejectedError,
    OtpChannel,
    TooManyAttemptsError,
    mobile_confirmed,
)
from stafett.applications.lockout import Client
from stafett.applications.own_account import tell_codes_moved
from stafett.applications.principal import Principal, Stage
from stafett.persistence.accounts import AccountRecord
from stafett.persistence.sessions import SessionRecord, UsedLink, digest

log = structlog.get_logger(__name__)


class MobileCore(AccountCore, Protocol):
    """`AccountCore` and the confirmation methods' own, which call each other."""

    def _check_confirmation(
        self, session: SessionRecord, account: AccountRecord, code: str, client: Client
    ) -> bool: ...

    def _confirmed(self, account: AccountRecord, number: str, how: str) -> bool: ...

    def needs_mobile_confirmation(self, person_id: UUID) -> bool: ...


class MobileNumbers:
    def mobile_confirmed(self: MobileCore, person_id: UUID) -> bool:
        """Whether the person's mobile number in the directory is the one they confirmed."""
        account = self._account(person_id)
        return mobile_confirmed(account, self.directory.get(person_id).details)

    def needs_mobile_confirmation(self: MobileCore, person_id: UUID) -> bool:
        """Codes by SMS, and a number not confirmed: no login code goes out until it is."""
        account = self._account(person_id)
        details = self.directory.get(person_id).details
        return account.otp_channel == OtpChannel.SMS.value and not mobile_confirmed(
            account, details
        )

    # ------------------------------------------------------------ logged in

    def send_mobile_code(self: MobileCore, principal: Principal, token: str) -> bool:
        """A code to confirm my mobile number, sent to it; False when it is confirmed already."""
        now = self.clock()
        account = self._account(principal.person_id)
        number = self.directory.get(account.person_id).details.mobile
        if not number:
            raise ValidationError("mobile", "there is no mobile number to confirm")
        if number == account.confirmed_mobile:
            return False
        self.codes.send_confirmation(token, account.person_id, number, now)
        log.info("authn_mobile_code_sent", actor=str(account.person_id))
        return True

    def confirm_mobile(
        self: MobileCore, principal: Principal, token: str, code: str, client: Client
    ) -> bool:
        """My mobile number is confirmed by the code that was sent to it. True when my
        codes went by e-mail and now go by SMS."""
        session = self.sessions.get(token)
        if session is None or session.person_id != principal.person_id:
            raise CodeRejectedError("the code is not valid")
        return self._check_confirmation(session, self._account(principal.person_id), code, client)

    # ------------------------------------------------ after a password link

    def confirm_by_link(self: MobileCore, person_id: UUID, link: UsedLink) -> None:
        """A password link that went by SMS to the directory's number, now used: whoever
        used it holds that number."""
        number = self.directory.get(person_id).details.mobile
        if link.sms_to is None or not number or digest(number) != link.sms_to:
            return
        self._confirmed(self._account(person_id), number, "sms_link")

    def start_mobile_confirmation(self: MobileCore, person_id: UUID) -> str | None:
        """After a password link by e-mail, for an account whose codes go by SMS to a number
        not confirmed: a session that only confirms the number, with a code sent to it.
        Answers its token, or None when no code could go (nothing to confirm, or too many
        codes sent lately: the person asks again later, or uses a new link)."""
        if not self.needs_mobile_confirmation(person_id):
            return None
        now = self.clock()
        number = self.directory.get(person_id).details.mobile
        token = self.sessions.start(person_id, Stage.MOBILE.value, at=now)
        try:
            self.codes.send_confirmation(token, person_id, number, now)
        except TooManyAttemptsError:
            self.sessions.end(token)
            return None
        log.info("authn_mobile_code_sent", actor=str(person_id), after="password_link")
        return token

    def resend_mobile_code(self: MobileCore, token: str) -> None:
        """A new confirmation code in the session `start_mobile_confirmation` opened."""
        now = self.clock()
        _session, account = self._pre_auth(token, Stage.MOBILE, now)
        number = self.directory.get(account.person_id).details.mobile
        self.codes.send_confirmation(token, account.person_id, number, now)

    def confirm_mobile_after_link(self: MobileCore, token: str, code: str, client: Client) -> None:
        """The number is confirmed by the code; the session ends (it logs nobody in)."""
        session, account = self._pre_auth(token, Stage.MOBILE, self.clock())
        self._check_confirmation(session, account, code, client)
        self.sessions.end(token)

    def _check_confirmation(
        self: MobileCore, session: SessionRecord, account: AccountRecord, code: str, client: Client
    ) -> bool:
        """Confirm the directory's number if `code` is the live code sent to it for this
        session; a wrong code counts as a failed login does (decision 0010). True when
        the codes moved from e-mail to SMS."""
        now = self.clock()
        number = self.directory.get(account.person_id).details.mobile
        locked = self.locks.is_locked(account, client, now)
        confirmed = (
            not locked
            and bool(number)
            and self.codes.confirms(session.token_hash, number, code.strip(), now)
        )
        if not confirmed:
            self.locks.count_failure(account, client, now)
            log.info("authn_mobile_confirm_fail", actor=str(account.person_id))
            raise CodeRejectedError("the code is not valid")
        return self._confirmed(account, number, "code")

    def _confirmed(self: MobileCore, account: AccountRecord, number: str, how: str) -> bool:
        """`number` is the account's confirmed one; codes that went by e-mail go by SMS from
        now on (the same transaction), and the person is told everywhere. True when they
        moved. An authenticator app stays: it is the stronger factor."""
        to_sms = account.otp_channel == OtpChannel.EMAIL.value
        self.accounts.confirm_mobile(
            account.person_id, number, at=self.clock(), how=how, codes_by_sms=to_sms
        )
        log.info("authn_mobile_confirmed", actor=str(account.person_id), how=how)
        if to_sms:
            tell_codes_moved(self, account, OtpChannel.SMS)
        return to_sms
