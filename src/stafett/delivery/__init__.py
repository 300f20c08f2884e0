"""Outgoing SMS and e-mail: one-time codes, reset links and notifications.

Infrastructure: nothing here imports other Stafett packages, so the
applications can depend on `Sender` while bootstrap decides what sends.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from stafett.delivery.messages import Channel, DeliveryError, OutgoingMessage, Sender
from stafett.delivery.outbox import OutboxSender, read_outbox
from stafett.delivery.routing import RoutingSender
from stafett.delivery.sms_gateway import SmsGatewaySender
from stafett.delivery.smtp import SmtpSender

__all__ = [
    "Channel",
    "DeliveryError",
    "OutboxSender",
    "OutgoingMessage",
    "RoutingSender",
    "Sender",
    "SmsGatewaySender",
    "SmtpSender",
    "read_outbox",
    "sender_from_settings",
]


def sender_from_settings(
    *,
    environment: str,
    outbox_dir: Path,
    smtp_url: str | None,
    sms_gateway_url: str | None,
    sms_token: str | None,
    sender_address: str,
    clock: Callable[[], datetime],
) -> Sender:
    """Production must never fall back to the outbox: codes would silently go nowhere."""
    if environment == "development":
        return OutboxSender(outbox_dir, clock)
    if environment != "production":
        raise ValueError(f"unknown environment {environment!r}: development or production")
    if not smtp_url or not sms_gateway_url:
        missing = [
            name
            for name, value in (
                ("STAFETT_SMTP_URL", smtp_url),
                ("STAFETT_SMS_GATEWAY_URL", sms_gateway_url),
            )
            if not value
        ]
        raise ValueError(f"production needs {' and '.join(missing)} to send codes")
    return RoutingSender(
        email=SmtpSender(smtp_url, sender_address),
        sms=SmsGatewaySender(sms_gateway_url, sms_token),
    )
