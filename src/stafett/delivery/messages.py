"""What every sender accepts and how it fails.

Callers (worker threads sending one-time codes, reset links and notices) depend
only on this module, so development, tests and production can swap senders
without touching a use case.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class Channel(Enum):
    """The value is what the outbox files and settings spell (`"sms"`, `"email"`)."""

    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one person.

    SMS ignores `subject`; it is kept on every message so that the outbox shows
    what the e-mail would have said and a notice can switch channel unchanged.
    """

    channel: Channel
    to: str
    subject: str
    body: str
    # The same for every attempt to send one message: the SMS gateway's
    # `Idempotency-Key` header and the e-mail's Message-ID, so a retry after a send
    # whose acceptance was never recorded is recognised as the same message.
    key: str | None = None


class DeliveryError(Exception):
    """A message could not be handed over to the mail server, gateway or outbox.

    The text names where and why, never the body: bodies carry one-time codes
    and reset links, and this text ends up in logs.
    """


class Sender(Protocol):
    """Synchronous on purpose: senders run in worker threads, not the event loop."""

    def send(self, message: OutgoingMessage) -> None: ...
