"""A plan form sent after its writer's session ended, kept for their next login.

A logged-in session ends after `IDLE_TIMEOUT` without a request (SEC-SES-04), and a
goal, an evaluation or a comment can take longer than that to write. In the browser,
`drafts.js` keeps the text in the tab; without JavaScript, what the form sent is kept
here instead, so nothing typed is lost either way (issue 10, item 9):

- only when the session that sent it has just ended by its timeouts, and the form
  carried that session's own CSRF token: a form another site made, or one sent with a
  logged-out or unknown session, is not kept;
- bound to the person and the plan: it is shown back only to that person, in that
  plan's page, after they have logged in again and the policy lets them read the plan;
- once (taken out when shown), one a person and plan (the newest), for at most an hour
  (`FORM_KEPT`), and dropped when the person logs out.

What is kept is only what the form showed and the person typed (`fields`), never a
token. Nothing here is written to the log but the fact, with whose it was.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog

from stafett.applications.account_core import AccountCore
from stafett.applications.principal import Principal

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EndedSession:
    """A logged-in session found ended by its idle or absolute timeout, and whose it was."""

    person_id: UUID


@dataclass(frozen=True, slots=True)
class KeptForm:
    """A form kept for its writer: its key on the plan page and the fields as typed."""

    key: str
    fields: Mapping[str, Any]


class KeptForms:
    """Mixin of `AccountService`: keeping and giving back forms of ended sessions."""

    def keep_form(
        self: AccountCore,
        ended: EndedSession,
        plan_id: UUID,
        key: str,
        fields: Mapping[str, str | list[str]],
    ) -> None:
        encoded = json.dumps(dict(fields), ensure_ascii=False)
        self.sessions.keep_form(ended.person_id, plan_id, key, encoded, at=self.clock())
        log.info("form_kept", actor=str(ended.person_id), plan=str(plan_id))

    def take_kept_form(self: AccountCore, principal: Principal, plan_id: UUID) -> KeptForm | None:
        """The form `principal` sent to `plan_id` after their session ended, once."""
        kept = self.sessions.take_form(principal.person_id, plan_id, at=self.clock())
        if kept is None:
            return None
        key, encoded = kept
        fields = json.loads(encoded)
        log.info("form_given_back", actor=str(principal.person_id), plan=str(plan_id))
        return KeptForm(key, fields if isinstance(fields, dict) else {})
