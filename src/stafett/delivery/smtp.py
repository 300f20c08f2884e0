"""E-mail through an SMTP server named by one URL (STAFETT_SMTP_URL).

URL forms:

- `smtp://[user:password@]host[:port]` (port 25 by default): STARTTLS whenever
  the server offers it, so that a relay with TLS is used encrypted without
  extra settings; add `?starttls=required` to refuse a server that does not
  offer it (use that whenever the URL carries a password: an attacker on the
  path can strip the STARTTLS offer).
- `smtps://[user:password@]host[:port]` (port 465 by default): TLS from the
  first byte.

User and password are percent-decoded, so `@`, `:` and `/` can be written as
`%40`, `%3A` and `%2F`.
"""

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from stafett.delivery.messages import Channel, DeliveryError, OutgoingMessage

TIMEOUT_SECONDS = 10.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    """The parts of STAFETT_SMTP_URL, checked once at start-up."""

    host: str
    port: int
    implicit_tls: bool
    starttls_required: bool
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        """A wrong URL must stop the service at start, not fail the first login."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError("the SMTP URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("the SMTP URL names no host")
        if parts.path not in ("", "/") or parts.fragment:
            raise ValueError("the SMTP URL must not have a path or fragment")
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
        starttls = query.pop("starttls", None)
        if query:
            raise ValueError(f"unknown SMTP URL parameter: {', '.join(sorted(query))}")
        if starttls is not None and (parts.scheme != "smtp" or starttls != ["required"]):
            raise ValueError(
                "the only STARTTLS setting of an SMTP URL is ?starttls=required on smtp://"
            )
        return cls(
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            implicit_tls=parts.scheme == "smtps",
            starttls_required=starttls is not None,
            user=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


class SmtpSender:
    """Sends e-mail messages; one connection per message keeps failures independent.

    `tls_context` is for servers whose certificate a private CA signed; by
    default the system's trusted CAs and hostname checks apply.
    """

    def __init__(
        self, url: str, sender_address: str, *, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self._server = SmtpServer.from_url(url)
        address = parseaddr(sender_address)[1]
        if "@" not in address:
            raise ValueError("the sender address must be an e-mail address")
        self._sender_address = sender_address
        self._message_id_domain = address.rpartition("@")[2]
        self._tls_context = tls_context or ssl.create_default_context()

    def send(self, message: OutgoingMessage) -> None:
        if message.channel is not Channel.EMAIL:
            raise ValueError(f"SmtpSender sends e-mail, not {message.channel.value}")
        server = self._server
        try:
            email = self._compose(message)
            with self._connect() as smtp:
                if not server.implicit_tls:
                    self._secure(smtp)
                if server.user is not None:
                    smtp.login(server.user, server.password or "")
                smtp.send_message(email)
        except (OSError, ValueError) as error:
            # smtplib.SMTPException is an OSError too.
            raise DeliveryError(
                f"SMTP server {server.host}:{server.port} did not accept the message: "
                + _reason(error)
            ) from error

    def _compose(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender_address
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = format_datetime(datetime.now(UTC))
        email["Message-ID"] = (
            f"<{message.key}@{self._message_id_domain}>"
            if message.key
            else make_msgid(domain=self._message_id_domain)
        )
        # Quoted-printable keeps æ, ø and å intact through relays without 8BITMIME.
        email.set_content(message.body, charset="utf-8", cte="quoted-printable")
        return email

    def _connect(self) -> smtplib.SMTP:
        server = self._server
        if server.implicit_tls:
            return smtplib.SMTP_SSL(
                server.host, server.port, timeout=TIMEOUT_SECONDS, context=self._tls_context
            )
        return smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)

    def _secure(self, smtp: smtplib.SMTP) -> None:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=self._tls_context)
            smtp.ehlo()
        elif self._server.starttls_required:
            raise DeliveryError(
                f"SMTP server {self._server.host}:{self._server.port} does not offer "
                "STARTTLS, which the SMTP URL requires"
            )


def _reason(error: Exception) -> str:
    """The server's answer or the network error; never anything of the message."""
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        return f"{error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        return "recipient refused (" + ", ".join(str(code) for code in codes) + ")"
    if isinstance(error, OSError):
        return f"{type(error).__name__}: {error}"
    # A ValueError (for instance a line break in a header) may quote the value.
    return type(error).__name__
