"""Who is logged in, and where a login stands: plain values the web layer reads."""

from dataclasses import dataclass
from enum import Enum
from uuid import UUID

from stafett.applications.codes import OtpChannel
from stafett.persistence.accounts import AccountRecord


class Stage(Enum):
    OTP = "otp"
    TERMS = "terms"
    DONE = "done"
    # After a password link, before a new mobile number is confirmed: a code was sent to
    # it; this session logs nobody in (decision 0025).
    MOBILE = "mobile"
    # A logged-in session found past its timeouts: it logs nobody in, but its row says
    # whose it was until the sweep deletes it (decisions 0039, 0040).
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is logged in; rights in plans are always read from current plan state."""

    person_id: UUID
    username: str
    name: str
    is_coordinator: bool
    is_org_admin: bool
    is_auditor: bool
    language: str | None = None  # the pages' language the person chose
    # A one-time code was accepted in this session within the step-up window (SEC-SES-08).
    recent_code: bool = False
    # The session's login key: random, kept by the server only, the same for the session's
    # whole life. Its token changes at every authentication step (SEC-SES-02); its CSRF
    # token is bound to this instead, so a form open in another tab still goes through
    # after a step-up (web/auth.py).
    login_key: str = ""

    @classmethod
    def of(cls, account: AccountRecord, *, name: str = "") -> "Principal":
        """Whom `account` logs in as, named `name` (the directory's, which the caller reads)."""
        return cls(
            person_id=account.person_id,
            username=account.username,
            name=name,
            is_coordinator=account.is_coordinator,
            is_org_admin=account.is_org_admin,
            is_auditor=account.is_auditor,
            language=account.language,
        )

    @property
    def roles(self) -> tuple[str, ...]:
        flags = {
            "coordinator": self.is_coordinator,
            "org_admin": self.is_org_admin,
            "auditor": self.is_auditor,
        }
        return tuple(role for role, held in flags.items() if held)


@dataclass(frozen=True, slots=True)
class LoginStep:
    token: str
    next: Stage
    channel: OtpChannel | None = None
    device: str | None = None  # a device token for the browser to keep (after the code)
    # No SMS code went out: the mobile number is not confirmed (SEC-OTP-06).
    mobile_unconfirmed: bool = False
