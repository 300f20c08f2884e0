"""Giving a participant a login (api.md: Plans, the plan group).

`POST /api/v1/plans/{id}/participants/{pid}/account` with `{"username", "otp_channel"}`:
the plan's coordinator makes an account for a participant who has none. It starts
with no usable password; a single-use link to choose one goes to the participant
(by e-mail or SMS, the channel the login codes do not use when they have both), and
the answer says which: `201 {"link_sent_by": "email"|"sms"}`. A participant who
already has an account: 409. Who may is the policy table's (`manage`), asked by the
application (`applications/logins.py`).

`POST …/participants/{pid}/account/activation` (no body) sends a new link to a
participant given a login who has not chosen a password yet, voiding the earlier link:
`202 {"link_sent_by"}`; no login: 404; a login in use: 409 (its owner resets a
forgotten password).
"""

from typing import Literal

import msgspec
from litestar import post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from stafett.applications.logins import NewLogin, ParticipantLogins
from stafett.web.controllers import LoggedInRoutes
from stafett.web.params import LoggedIn, Logins, PathId, PlanId
from stafett.web.state import ACCOUNTS, PLANS


class LoginGiven(msgspec.Struct):
    link_sent_by: Literal["email", "sms"]


def provide_logins(state: State) -> ParticipantLogins:
    return ParticipantLogins(state[PLANS], state[ACCOUNTS])


class LoginController(LoggedInRoutes):
    path = "/api/v1/plans"
    tags = ["plans"]  # noqa: RUF012

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

    @post(
        "/{plan_id:uuid}/participants/{participant_id:uuid}/account/activation",
        sync_to_thread=True,
        status_code=HTTP_202_ACCEPTED,
    )
    def resend_activation(
        self, *, logins: Logins, principal: LoggedIn, plan_id: PlanId, participant_id: PathId
    ) -> LoginGiven:
        """A new link to choose a password, for a login the participant has not used yet."""
        channel = logins.resend_activation(plan_id, participant_id, by=principal.person_id)
        return LoginGiven(link_sent_by=channel.value)
