"""The notice sender: due outbox rows out over SMTP, the SMS gateway or the dev outbox.

`NoticeSender.send_due` leases due rows (`NoticeOutbox.lease`, for
`lease_seconds`), looks up each recipient's address (the directory's e-mail, or the
mobile number only once its person has confirmed it, as for login codes) and
language (their account's), writes the notice (`notice_text`: no child's name, no
content) and hands it to the delivery `Sender` with the row's id as its key (the
gateway's `Idempotency-Key`, the e-mail's Message-ID), so a notice sent again after
a crash between sending and recording is the same message. An SMS to a number not
confirmed is dead at once, for an organisation administrator to retry once it is.
A failure makes the row due again after a growing pause (`Backoff`); after
`max_attempts` it is dead until an organisation administrator retries it. A success
is recorded once.

Before leasing, it merges the e-mails held for those who chose the hourly digest
(`NoticeOutbox.merge_digests`, decision 0022): each hour's into one `digest` row per
plan and participant, sent like any other row and listing per kind how many.

`SenderRunner` runs it in a thread: in `stafett worker` on PostgreSQL, in the web
process on SQLite (decision 0020).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import structlog

from stafett.applications.codes import mobile_confirmed
from stafett.applications.notice_text import KINDS, Addressing, digest_text, notice_text
from stafett.delivery import Channel, DeliveryError, OutgoingMessage, Sender
from stafett.persistence.accounts import AccountStore
from stafett.persistence.background import BackgroundLoop, Backoff
from stafett.persistence.directory import PersonDirectory
from stafett.persistence.notice_outbox import DIGEST_KIND, NoticeOutbox, OutboxRow

log = structlog.get_logger(__name__)

LEASE_SECONDS = 60.0
MAX_ATTEMPTS = 8
BATCH = 50
POLL_SECONDS = 1.0


SEND_BACKOFF = Backoff(first=30.0, cap=3600.0)


@dataclass(frozen=True)
class SenderSettings:
    lease_seconds: float = LEASE_SECONDS
    max_attempts: int = MAX_ATTEMPTS
    backoff: Backoff = SEND_BACKOFF
    batch: int = BATCH


class NoticeSender:
    def __init__(
        self,
        outbox: NoticeOutbox,
        *,
        directory: PersonDirectory,
        accounts: AccountStore,
        sender: Sender,
        clock: Callable[[], datetime],
        login_url: str,
        settings: SenderSettings | None = None,
    ) -> None:
        self.outbox = outbox
        self.directory = directory
        self.accounts = accounts
        self.sender = sender
        self.clock = clock
        self.login_url = login_url
        self.settings = settings or SenderSettings()

    def send_due(self) -> int:
        """Lease and send the rows due now; how many were leased."""
        s = self.settings
        self.outbox.merge_digests(now=self.clock())
        rows = self.outbox.lease(now=self.clock(), seconds=s.lease_seconds, limit=s.batch)
        for row in rows:
            self._send(row)
        return len(rows)

    def _send(self, row: OutboxRow) -> None:
        try:
            message = self._message(row)
        except LookupError as missing:
            self._failed(row, missing, final=True)
            return
        try:
            self.sender.send(message)
        except DeliveryError as error:
            self._failed(row, error, final=False)
            return
        if self.outbox.mark_sent(row.notice_id, at=self.clock()):
            log.info("notice_sent", notice_id=str(row.notice_id), channel=row.channel)

    def _message(self, row: OutboxRow) -> OutgoingMessage:
        people = self.directory.get_many([row.person_id, row.owner_person_id])
        person = people.get(row.person_id)
        if person is None:
            raise LookupError("the recipient is no longer in the directory")
        channel = Channel(row.channel)
        to = person.details.email if channel is Channel.EMAIL else person.details.mobile
        if not to:
            raise LookupError(f"the recipient has no {row.channel} address")
        account = self.accounts.by_person(row.person_id)
        if channel is Channel.SMS and (
            account is None or not mobile_confirmed(account, person.details)
        ):
            # As a login code (SEC-OTP-06): a number typed in wrong must not learn of the plan.
            raise LookupError("the recipient has not confirmed the mobile number")
        owner = people.get(row.owner_person_id)
        owner_names = (owner.details.first_name, owner.details.last_name) if owner else ()
        language = account.language if account else None
        addressing = Addressing(row.short_name, owner_names, self.login_url, language)
        if row.kind == DIGEST_KIND:
            text = digest_text(self.outbox.digest_counts(row.notice_id), addressing)
        else:
            text = notice_text(KINDS[row.kind], addressing)
        return OutgoingMessage(channel, to, text.subject, text.body, key=str(row.notice_id))

    def _failed(self, row: OutboxRow, error: Exception, *, final: bool) -> None:
        """The attempt failed: its error's text kept on the notice, for the administrators'
        list of dead notices; the log line names only the error's class, since the text
        can quote an address or the mail server's answer (SEC-LOG-05)."""
        assert row.lease_token is not None
        attempt = row.attempts + 1
        dead = final or attempt >= self.settings.max_attempts
        retry_at = (
            None if dead else self.clock() + timedelta(seconds=self.settings.backoff.pause(attempt))
        )
        self.outbox.mark_failed(row.notice_id, row.lease_token, error=str(error), retry_at=retry_at)
        log.warning(
            "notice_dead" if dead else "notice_failed",
            notice_id=str(row.notice_id),
            channel=row.channel,
            attempt=attempt,
            error=type(error).__name__,
        )

    def retry(self, notice_id: UUID) -> bool:
        """A dead notice, due again now (organisation administrators)."""
        return self.outbox.retry(notice_id, now=self.clock())


class SenderRunner(BackgroundLoop):
    """Sends due notices in a thread until stopped, polling every `poll` seconds."""

    def __init__(self, sender: NoticeSender, *, poll: float = POLL_SECONDS) -> None:
        self.sender = sender
        self.poll = poll
        super().__init__("notice-sender", join_seconds=30)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                leased = self.sender.send_due()
            except Exception as error:  # the database: try again after the pause
                log.error("notice_sender_failed", error=type(error).__name__)
                leased = 0
            if not leased:
                self.stopping.wait(self.poll)
