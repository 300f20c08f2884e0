"""Giving a participant a login (api.md: Plans, the plan group).

`POST /api/v1/plans/{id}/participants/{pid}/account` with `{"username", "otp_channel"}`:
the plan's coordinator makes an account for a participant who has none. It starts
with no usable password; a single-use link to choose one goes to the participant
(by e-mail or SMS, the channel the login codes do not use when they have both), and
the answer says which: `201 {"link_sent_by": "email"|"sms"}`. A participant who
already has an account: 409. Who may is the policy table's (`manage`), asked by the
application (`applications/logins.py`).
"""

from typing import Literal

import msgspec
from litestar import Controller, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from stafett.applications.logins import NewLogin, ParticipantLogins
from stafett.web.auth import Policy, policy, provide_principal
from stafett.web.params import LoggedIn, Logins, PathId, PlanId
from stafett.web.state import ACCOUNTS, PLANS, provided


class LoginGiven(msgspec.Struct):
    link_sent_by: Literal["email", "sms"]


def provide_logins(state: State) -> ParticipantLogins:
    return ParticipantLogins(state[PLANS], state[ACCOUNTS])


class LoginController(Controller):
    path = "/api/v1/plans"
    dependencies = provided(provide_logins, provide_principal)
    tags = ["plans"]  # noqa: RUF012
    opt = policy(Policy.AUTHENTICATED)

    @post(
        "/{plan_id:uuid}/participants/{participant_id:uuid}/account",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
    )
    def give_login(
        self,
        *,
        logins: Logins,
        principal: LoggedIn,
        plan_id: PlanId,
        participant_id: PathId,
        data: JSONBody[NewLogin],
    ) -> LoginGiven:
        """An account for a participant who has none; a link to choose a password goes to them."""
        channel = logins.give_login(plan_id, participant_id, data, by=principal.person_id)
        return LoginGiven(link_sent_by=channel.value)
