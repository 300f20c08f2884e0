"""Step-up (SEC-SES-08, decision 0026): a fresh one-time code before the actions that
hand a plan or an account to someone else; a mixin of `AccountService`, and the one rule.

The actions are: changing one's own phone number or e-mail address, exporting or
printing a whole plan, closing or sealing a plan, and granting rights in a plan (adding
a participant, changing a participant's rights, handing over the coordinator's role).
Each asks `require_step_up(principal)`, which passes only when a one-time code was
accepted in this session within the last `STEP_UP_WINDOW`: at login, or by a step-up
(`step_up`), which takes a code the same way as the login's second step (SMS or e-mail
code sent on request, or the authenticator app), with the same tries and locks. A
stolen session cookie alone can then read what its owner may read, but cannot take
the plan out, give someone rights, end it, or move the account's codes elsewhere.
"""

from datetime import timedelta

import structlog

from stafett.aggregates.errors import ConflictingValueError, DomainError
from stafett.applications.account_core import AccountCore
from stafett.applications.codes import (
    CodeRejectedError,
    MobileUnconfirmedError,
    OtpChannel,
)
from stafett.applications.lockout import Client
from stafett.applications.principal import Principal, Stage
from stafett.persistence.sessions import SessionRecord

log = structlog.get_logger(__name__)

STEP_UP_WINDOW = timedelta(minutes=5)


class StepUpRequiredError(DomainError):
    """The action needs a one-time code accepted within the last five minutes (401).

    `action` names what was asked (a command's class name, or `ChangeContact`): the
    step-up page says what waits for the code. Never user text."""

    def __init__(self, message: str, action: str = "") -> None:
        super().__init__(message)
        self.action = action


def code_is_recent(session: SessionRecord, micros: int) -> bool:
    """Whether a one-time code was accepted in `session` within the step-up window."""
    if session.code_at is None:
        return False
    return micros - session.code_at <= STEP_UP_WINDOW.total_seconds() * 1e6


def require_step_up(principal: Principal, action: str = "") -> None:
    """The one rule of SEC-SES-08: refuse unless this session's last code is recent.
    `action` names what is asked, for the refusal (`StepUpRequiredError.action`)."""
    if not principal.recent_code:
        log.info("step_up_required", actor=str(principal.person_id))
        raise StepUpRequiredError("step_up_required: confirm with a new one-time code", action)


class StepUp:
    def send_step_up_code(self: AccountCore, principal: Principal, token: str) -> OtpChannel:
        """A code for the step-up, by SMS or e-mail as the login's; none for the app."""
        account = self._account(principal.person_id)
        channel = OtpChannel(account.otp_channel)
        if channel is OtpChannel.TOTP:
            return channel
        _live_session(self, principal, token)
        try:
            self.codes.send(token, account, channel, self.clock())
        except MobileUnconfirmedError as error:
            raise ConflictingValueError("code", "the mobile number is not confirmed") from error
        log.info("step_up_code_sent", actor=str(principal.person_id), channel=channel.value)
        return channel

    def step_up(
        self: AccountCore, principal: Principal, token: str, code: str, client: Client
    ) -> str:
        """Accept a fresh one-time code in this session; a wrong one counts as a failed login
        (decision 0010) and the session's tries run out as the login's do. A right one
        gives the session a new token (SEC-SES-02), which the caller hands to the browser:
        the old one stops working."""
        now = self.clock()
        session = _live_session(self, principal, token)
        account = self._account(principal.person_id)
        locked = self.locks.is_locked(account, client, now)
        if locked or not self.codes.accept(session.token_hash, account, code.strip(), now):
            self.locks.count_failure(account, client, now)
            log.info("step_up_fail", actor=str(principal.person_id))
            raise CodeRejectedError("the code is not valid")
        new_token = renew_session(self, token)
        log.info("step_up_ok", actor=str(principal.person_id))
        return new_token


def renew_session(core: AccountCore, token: str) -> str:
    """The session under a new token after an authentication step (SEC-SES-02), as it is
    now (the code just used, its clocks); the old token stops working. A session ended
    meanwhile (a logout elsewhere) cannot be renewed: the step is refused."""
    session = core.sessions.get(token)
    new_token = None if session is None else core.sessions.rotate(token, session)
    if new_token is None:
        raise CodeRejectedError("the session has ended")
    return new_token


def _live_session(core: AccountCore, principal: Principal, token: str) -> SessionRecord:
    session = core.sessions.get(token)
    if session is None or session.person_id != principal.person_id:
        raise CodeRejectedError("the code is not valid")
    if session.stage != Stage.DONE.value:
        raise CodeRejectedError("the code is not valid")
    return session
