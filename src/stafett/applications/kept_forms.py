"""A form sent after its writer's session ended, kept for their next login.

A logged-in session ends after `IDLE_TIMEOUT` without a request (SEC-SES-04), and a
goal, an evaluation or a comment can take longer than that to write. In the browser,
`drafts.js` keeps the text in the tab; without JavaScript, what the form sent is kept
here instead, so nothing typed is lost either way (issue 10, item 9):

- the forms that keep a draft in the tab too (`data-draft`: the plan's, creating a
  plan, one's own details, a participant's, managing a plan, a new user), and never a
  password, code or token field (`SECRET_FIELD`);
- only when the session that sent it has just ended by its timeouts, and the form
  carried that session's own CSRF token: a form another site made, or one sent with a
  logged-out or unknown session, is not kept; or when a logged-in person's form (its
  token checked as every form's) asks for an action that waits for a step-up's code
  (decision 0031), so that they come back to it as typed after the code;
- bound to the person and the place (the plan, or the page): it is shown back only to
  that person, on that page, after they have logged in again (and, for a plan, when the
  policy lets them read it);
- once (taken out when shown), one a person, place and form (the newest of each: two
  forms sent to one plan from two tabs are both kept), for at most an hour
  (`FORM_KEPT`), and dropped when the person logs out.

What is kept is only what the form showed and the person typed (`fields`), never a
token. Nothing here is written to the log but the fact, with whose it was.
"""

import json
import re
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
    login_key: str = ""  # its CSRF token is bound to it (Principal.login_key)


@dataclass(frozen=True, slots=True)
class KeptForm:
    """A form kept for its writer: its key on the plan page and the fields as typed."""

    key: str
    fields: Mapping[str, Any]


SECRET_FIELD = re.compile(r"password|^code$|_code$|csrf|^once$|token", re.IGNORECASE)
"""Fields never kept, whatever form they come in: passwords, one-time codes (`code`,
`…_code`; not a postcode), tokens."""


class KeptForms:
    """Mixin of `AccountService`: keeping and giving back forms of ended sessions."""

    def keep_form(
        self: AccountCore,
        whose: EndedSession | Principal,
        place: str,
        key: str,
        fields: Mapping[str, str | list[str]],
    ) -> None:
        """Keep what `whose` person sent to `place` (`plan:<id>`, or a page's name): an
        ended session's, or a logged-in person's whose action waits for a step-up's code
        (decision 0031: they come back to the form after the code)."""
        typed = {name: value for name, value in fields.items() if not SECRET_FIELD.search(name)}
        encoded = json.dumps(typed, ensure_ascii=False)
        self.sessions.keep_form(whose.person_id, place, key, encoded, at=self.clock())
        why = "step_up" if isinstance(whose, Principal) else "session_ended"
        log.info("form_kept", actor=str(whose.person_id), place=place, reason=why)

    def take_kept_forms(self: AccountCore, principal: Principal, place: str) -> list[KeptForm]:
        """The forms `principal` sent to `place` after their session ended (one a form:
        a comment and a message sent to one plan from two tabs are two), the oldest
        first, once."""
        taken = self.sessions.take_forms(principal.person_id, place, at=self.clock())
        if taken:
            log.info("form_given_back", actor=str(principal.person_id), place=place)
        return [KeptForm(key, _fields(encoded)) for key, encoded in taken]

    def take_kept_form(self: AccountCore, principal: Principal, place: str) -> KeptForm | None:
        """The form `principal` sent to `place` (a page of one form) after their session
        ended, once."""
        kept = KeptForms.take_kept_forms(self, principal, place)
        return kept[-1] if kept else None


def _fields(encoded: str) -> Mapping[str, Any]:
    fields = json.loads(encoded)
    return fields if isinstance(fields, dict) else {}
