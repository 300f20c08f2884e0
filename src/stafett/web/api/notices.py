"""Notices given up on (dead letters), for organisation administrators (decision 0020).

A notice is dead after its last attempt failed (an SMTP server or SMS gateway that
kept refusing, a recipient without an address). Administrators see which notices are
dead and why, by ids only (no names, no addresses, no content), and make one due
again. The gate is the policy table's `manage_notices` row.
"""

from datetime import datetime
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_204_NO_CONTENT

from stafett.applications.notice_sender import NoticeSender
from stafett.web.auth import Policy, policy
from stafett.web.params import Notices
from stafett.web.state import NOTICES, configured

log = structlog.get_logger(__name__)


class DeadLetter(msgspec.Struct):
    id: UUID
    plan_id: UUID
    participant_id: UUID
    kind: str
    channel: str
    attempts: int
    created_at: datetime
    last_error: str | None


def provide_notices(state: State) -> NoticeSender:
    notices: NoticeSender = configured(state, NOTICES, "Varslene er ikke tilgjengelige")
    return notices


def dead_letters(notices: NoticeSender) -> list[DeadLetter]:
    return [
        DeadLetter(
            id=row.notice_id,
            plan_id=row.plan_id,
            participant_id=row.participant_id,
            kind=row.kind,
            channel=row.channel,
            attempts=row.attempts,
            created_at=row.created_at,
            last_error=row.last_error,
        )
        for row in notices.outbox.dead_letters()
    ]


class NoticeAdminController(Controller):
    path = "/api/v1/admin/notifications"
    tags = ["operations"]  # noqa: RUF012
    opt = policy(Policy.MANAGE_NOTICES)

    @get("/dead-letters", sync_to_thread=True)
    def list_dead_letters(self, notices: Notices) -> list[DeadLetter]:
        """Notices given up on after their last attempt, newest first."""
        return dead_letters(notices)

    @post("/{notice_id:uuid}/retry", sync_to_thread=True, status_code=HTTP_204_NO_CONTENT)
    def retry(self, notices: Notices, notice_id: FromPath[UUID]) -> None:
        """Make a dead notice due again, with its attempts counted afresh."""
        if not notices.retry(notice_id):
            raise NotFoundException("Ingen slik død melding")
        log.info("notice_retried", notice_id=str(notice_id))
