"""Giving a participant a login: the plan's coordinator makes an account for a
participant who has none.

Until then only an operator at the command line made accounts, so a child or an
adviser added to a plan could never log in. Who may do it is the policy table's
(`Action.MANAGE`: the coordinator of an open plan), asked through the plan
application as every plan command asks it; the account is made by the account
service with no usable password, and a single-use link to choose one goes to the
person (`AccountService.open_account`).
"""

from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import UUID

import msgspec
import structlog

from stafett.aggregates.errors import ConflictingValueError
from stafett.aggregates.policy import Action
from stafett.applications.accounts import AccountService, OtpChannel
from stafett.applications.input import LINE, TEXT, Body
from stafett.applications.plans import PlanApplication
from stafett.applications.usernames import MAX_USERNAME_LENGTH, USERNAME_PATTERN
from stafett.delivery import Channel

log = structlog.get_logger(__name__)
# A participant's login as the coordinator sees it: none, given but not used yet, in use
# but held because its codes go by SMS to a number not confirmed (decision 0025), in use.
LoginState = Literal["none", "awaiting", "unconfirmed", "active"]
# The account service's rule, stated in the schema too (a client can tell a username it
# would refuse): 1 to 64 characters of one word (`aggregates/text.word_pattern`).
Username = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_USERNAME_LENGTH,
        pattern=USERNAME_PATTERN,
        extra={TEXT: LINE},
    ),
]


class NewLogin(Body):
    """What the coordinator chooses: the username, and where the login codes go."""

    username: Username
    otp_channel: Literal["sms", "email"] = "sms"


@dataclass(frozen=True, slots=True)
class ParticipantLogins:
    plans: PlanApplication
    accounts: AccountService

    def give_login(
        self, plan_id: UUID, participant_id: UUID, login: NewLogin, *, by: UUID
    ) -> Channel:
        """The account, made now; answers the channel the link to choose a password went by."""
        person_id = self._managed_person(plan_id, participant_id, by)
        channel = self.accounts.open_account(
            person_id, username=login.username, otp_channel=OtpChannel(login.otp_channel)
        )
        _logged("participant_login_given", plan_id, participant_id, by)
        return channel

    def resend_activation(self, plan_id: UUID, participant_id: UUID, *, by: UUID) -> Channel:
        """A new link to choose a password, for a participant given a login who has not
        used it yet (the first link expired or never arrived), or whose SMS codes wait for
        a number to be confirmed; answers its channel."""
        person_id = self._managed_person(plan_id, participant_id, by)
        if not self.accounts.has_account(person_id):  # the participant exists: 409, not 404
            raise ConflictingValueError("participant_id", "the participant has no login yet")
        channel = self.accounts.resend_activation(person_id)
        _logged("participant_activation_resent", plan_id, participant_id, by)
        return channel

    def login_state(self, plan_id: UUID, participant_id: UUID, *, by: UUID) -> LoginState:
        """Whether the participant has an account, and whether they have used it yet
        (for the plan's coordinator to see)."""
        person_id = self._managed_person(plan_id, participant_id, by)
        if not self.accounts.has_account(person_id):
            return "none"
        if self.accounts.awaits_activation(person_id):
            return "awaiting"
        return "unconfirmed" if self.accounts.needs_mobile_confirmation(person_id) else "active"

    def _managed_person(self, plan_id: UUID, participant_id: UUID, by: UUID) -> UUID:
        """The participant's person, once `by` may manage the plan (policy: `manage`)."""
        self.plans.authorize(plan_id, by=by, action=Action.MANAGE)
        return self.plans.member_person(plan_id, participant_id)


def _logged(event: str, plan_id: UUID, participant_id: UUID, by: UUID) -> None:
    log.info(event, actor=str(by), plan=str(plan_id), participant=str(participant_id))
