"""SMS through an HTTP gateway (STAFETT_SMS_GATEWAY_URL).

The gateway contract is deliberately small, a JSON POST of `{"to", "message"}`
with an optional bearer token, so that a thin adapter can front any provider. A
message with a key (notices) carries it as the `Idempotency-Key` header, the same on
every attempt, so the gateway can deliver a retried message once.
"""

from urllib.parse import urlsplit

import httpx

from stafett.delivery.messages import Channel, DeliveryError, OutgoingMessage

TIMEOUT_SECONDS = 10.0


class SmsGatewaySender:
    """A client per message: SMS are rare, and nothing then needs closing at shutdown."""

    def __init__(self, url: str, token: str | None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the SMS gateway URL must be an http:// or https:// URL")
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def send(self, message: OutgoingMessage) -> None:
        if message.channel is not Channel.SMS:
            raise ValueError(f"SmsGatewaySender sends SMS, not {message.channel.value}")
        try:
            with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
                key = {"Idempotency-Key": message.key} if message.key else {}
                response = client.post(
                    self._url,
                    json={"to": message.to, "message": message.body},
                    headers=self._headers | key,
                )
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"SMS gateway could not be reached: {type(error).__name__}: {error}"
            ) from error
        if not response.is_success:
            # The gateway's answer may echo the request, so only its status is kept.
            raise DeliveryError(f"SMS gateway answered HTTP {response.status_code}")
