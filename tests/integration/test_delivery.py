"""Delivery against real servers: an aiosmtpd SMTP server, a local SMS gateway, a folder.

TLS tests use a throwaway self-signed certificate made with the openssl command;
the sender is given a context that trusts exactly that certificate.
"""

import email
import json
import shutil
import socket
import ssl
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from stafett.delivery import (
    Channel,
    DeliveryError,
    OutboxSender,
    OutgoingMessage,
    RoutingSender,
    SmsGatewaySender,
    SmtpSender,
    read_outbox,
    sender_from_settings,
)
from tests.conftest import ManualClock

NORWEGIAN = "Din engangskode er 123456 – gyldig i 5 minutter. Hilsen Stafett, Østre Toten"
SENDER = "Stafett <ikke-svar@stafett.example>"


def code_email(to: str = "kari@example.no", body: str = NORWEGIAN) -> OutgoingMessage:
    return OutgoingMessage(Channel.EMAIL, to=to, subject="Engangskode for Stafett – økt", body=body)


def code_sms(to: str = "+4791234567", body: str = NORWEGIAN) -> OutgoingMessage:
    return OutgoingMessage(Channel.SMS, to=to, subject="Engangskode", body=body)


def free_port() -> int:
    """A port nobody listens on right now (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- SMTP ------------------------------------------------------------------------------


@dataclass
class CollectingHandler:
    envelopes: list[Envelope] = field(default_factory=list)
    answer: str = "250 Message accepted for delivery"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        return self.answer

    def received(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            assert isinstance(envelope.content, bytes)
            message = email.message_from_bytes(envelope.content, policy=default_policy)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


def text_of(message: EmailMessage) -> str:
    """The decoded body without the line ending SMTP adds to the last line."""
    text: str = message.get_content()
    return text.removesuffix("\r\n").removesuffix("\n")


@dataclass
class SmtpServer:
    handler: CollectingHandler
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def running_smtp(handler: CollectingHandler, **options: Any) -> Iterator[SmtpServer]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from running_smtp(CollectingHandler())


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


def test_an_email_arrives_with_recipient_subject_and_norwegian_body_intact(
    smtp_server: SmtpServer,
) -> None:
    SmtpSender(smtp_server.url, SENDER).send(code_email())

    [envelope] = smtp_server.handler.envelopes
    [received] = smtp_server.handler.received()
    assert envelope.mail_from == "ikke-svar@stafett.example"
    assert envelope.rcpt_tos == ["kari@example.no"]
    assert received["To"] == "kari@example.no"
    assert received["From"] == SENDER
    assert received["Subject"] == "Engangskode for Stafett – økt"
    assert received.get_content_charset() == "utf-8"
    assert text_of(received) == NORWEGIAN
    assert received["Message-ID"].endswith("@stafett.example>")


def test_starttls_is_used_when_the_server_offers_it(certificate: Certificate) -> None:
    # require_starttls makes the server refuse MAIL on a plaintext connection.
    for server in running_smtp(
        CollectingHandler(), tls_context=certificate.server_context(), require_starttls=True
    ):
        sender = SmtpSender(server.url, SENDER, tls_context=certificate.client_context())
        sender.send(code_email())

        [received] = server.handler.received()
        assert text_of(received) == NORWEGIAN


def test_percent_encoded_url_credentials_log_in_after_starttls(certificate: Certificate) -> None:
    logins: list[tuple[str, bytes, bytes]] = []

    def authenticator(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((mechanism, data.login, data.password))
        return AuthResult(success=data.password == b"p@ss:/word")

    for server in running_smtp(
        CollectingHandler(),
        tls_context=certificate.server_context(),
        authenticator=authenticator,
        auth_required=True,
    ):
        url = f"smtp://stafett%40example.no:p%40ss%3A%2Fword@127.0.0.1:{server.port}"
        SmtpSender(url, SENDER, tls_context=certificate.client_context()).send(code_email())

        assert [(login, password) for _, login, password in logins] == [
            (b"stafett@example.no", b"p@ss:/word")
        ]
        assert len(server.handler.envelopes) == 1


def test_a_server_without_starttls_is_refused_when_the_url_requires_it(
    smtp_server: SmtpServer,
) -> None:
    sender = SmtpSender(smtp_server.url + "?starttls=required", SENDER)

    with pytest.raises(DeliveryError, match="STARTTLS") as raised:
        sender.send(code_email())

    assert NORWEGIAN not in str(raised.value)
    assert smtp_server.handler.envelopes == []


def test_smtps_sends_over_tls_from_the_first_byte(certificate: Certificate) -> None:
    for server in running_smtp(CollectingHandler(), ssl_context=certificate.server_context()):
        url = f"smtps://127.0.0.1:{server.port}"
        SmtpSender(url, SENDER, tls_context=certificate.client_context()).send(code_email())

        [received] = server.handler.received()
        assert text_of(received) == NORWEGIAN


def test_smtps_to_a_plaintext_server_fails_instead_of_sending_in_the_clear(
    smtp_server: SmtpServer,
) -> None:
    sender = SmtpSender(f"smtps://127.0.0.1:{smtp_server.port}", SENDER)

    with pytest.raises(DeliveryError):
        sender.send(code_email())

    assert smtp_server.handler.envelopes == []


def test_a_certificate_the_sender_does_not_trust_is_refused(certificate: Certificate) -> None:
    for server in running_smtp(CollectingHandler(), ssl_context=certificate.server_context()):
        sender = SmtpSender(f"smtps://127.0.0.1:{server.port}", SENDER)

        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            sender.send(code_email())

        assert server.handler.envelopes == []


def test_an_unreachable_smtp_server_raises_a_delivery_error_without_the_body() -> None:
    sender = SmtpSender(f"smtp://127.0.0.1:{free_port()}", SENDER)

    with pytest.raises(DeliveryError) as raised:
        sender.send(code_email())

    assert "127.0.0.1" in str(raised.value)
    assert "123456" not in str(raised.value)


def test_a_rejected_email_raises_the_server_answer_but_not_the_body() -> None:
    for server in running_smtp(CollectingHandler(answer="554 5.7.1 Message rejected")):
        with pytest.raises(DeliveryError, match=r"554 5\.7\.1 Message rejected") as raised:
            SmtpSender(server.url, SENDER).send(code_email())

        assert "123456" not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:25",
        "smtp://",
        "smtp://mail.example.no/path",
        "smtp://mail.example.no?starttls=maybe",
        "smtps://mail.example.no?starttls=required",
        "smtp://mail.example.no?tls=yes",
    ],
)
def test_a_malformed_smtp_url_is_refused_before_anything_is_sent(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpSender(url, SENDER)


def test_the_smtp_sender_refuses_an_sms(smtp_server: SmtpServer) -> None:
    with pytest.raises(ValueError, match="sms"):
        SmtpSender(smtp_server.url, SENDER).send(code_sms())

    assert smtp_server.handler.envelopes == []


# --- SMS gateway -----------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayRequest:
    path: str
    authorization: str | None
    content_type: str | None
    body: Any


class FakeGateway(ThreadingHTTPServer):
    """Records each POST and answers with `status`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.requests: list[GatewayRequest] = []
        self.status = 202

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


class GatewayHandler(BaseHTTPRequestHandler):
    server: FakeGateway

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(
            GatewayRequest(
                path=self.path,
                authorization=self.headers.get("Authorization"),
                content_type=self.headers.get("Content-Type"),
                body=json.loads(raw),
            )
        )
        answer = json.dumps({"error": "failed", "echo": raw.decode()}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    server = FakeGateway()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_sms_is_posted_as_json_with_the_bearer_token(gateway: FakeGateway) -> None:
    SmsGatewaySender(gateway.url, token="hemmelig-token").send(code_sms())

    assert gateway.requests == [
        GatewayRequest(
            path="/sms",
            authorization="Bearer hemmelig-token",
            content_type="application/json",
            body={"to": "+4791234567", "message": NORWEGIAN},
        )
    ]


def test_an_sms_without_a_token_carries_no_authorization(gateway: FakeGateway) -> None:
    SmsGatewaySender(gateway.url, token=None).send(code_sms())

    [request] = gateway.requests
    assert request.authorization is None
    assert request.body["message"] == NORWEGIAN


@pytest.mark.parametrize("status", [500, 400, 302])
def test_a_gateway_answering_other_than_2xx_raises_its_status_but_not_the_body(
    gateway: FakeGateway, status: int
) -> None:
    gateway.status = status

    with pytest.raises(DeliveryError, match=f"HTTP {status}") as raised:
        SmsGatewaySender(gateway.url, token="t").send(code_sms())

    assert "123456" not in str(raised.value)
    assert len(gateway.requests) == 1


def test_an_unreachable_gateway_raises_a_delivery_error_without_the_body() -> None:
    sender = SmsGatewaySender(f"http://127.0.0.1:{free_port()}/sms", token="t")

    with pytest.raises(DeliveryError, match="could not be reached") as raised:
        sender.send(code_sms())

    assert "123456" not in str(raised.value)


def test_a_gateway_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        SmsGatewaySender("ftp://gateway.example.no/sms", token=None)


# --- Outbox ----------------------------------------------------------------------------


def test_the_outbox_holds_one_file_per_message_in_the_documented_format(
    tmp_path: Path, clock: ManualClock
) -> None:
    outbox = tmp_path / "var" / "outbox"
    sender = OutboxSender(outbox, clock)

    sender.send(code_sms())
    clock.advance(timedelta(seconds=30))
    sender.send(code_email())

    files = sorted(outbox.iterdir())
    assert [json.loads(path.read_text(encoding="utf-8")) for path in files] == [
        {
            "channel": "sms",
            "to": "+4791234567",
            "subject": "Engangskode",
            "body": NORWEGIAN,
            "created_at": "2026-03-02T09:00:00+00:00",
        },
        {
            "channel": "email",
            "to": "kari@example.no",
            "subject": "Engangskode for Stafett – økt",
            "body": NORWEGIAN,
            "created_at": "2026-03-02T09:00:30+00:00",
        },
    ]
    assert read_outbox(outbox) == [json.loads(path.read_text()) for path in files]


def test_outbox_files_are_private_and_no_temporary_file_is_left(
    tmp_path: Path, clock: ManualClock
) -> None:
    sender = OutboxSender(tmp_path / "outbox", clock)

    for _ in range(3):
        sender.send(code_sms())

    names = [path.name for path in (tmp_path / "outbox").iterdir()]
    assert len(names) == 3
    assert all(name.endswith(".json") and not name.startswith(".") for name in names)
    for path in (tmp_path / "outbox").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_outbox_sorts_by_the_clock_and_keeps_send_order_within_one_instant(
    tmp_path: Path, clock: ManualClock
) -> None:
    sender = OutboxSender(tmp_path, clock)

    clock.advance(timedelta(hours=1))
    sender.send(code_sms(body="written first, an hour later"))
    clock.advance(timedelta(hours=-1))
    for number in range(12):
        sender.send(code_sms(body=f"same instant {number}"))

    assert [message["body"] for message in read_outbox(tmp_path)] == [
        *(f"same instant {number}" for number in range(12)),
        "written first, an hour later",
    ]


def test_the_outbox_keeps_the_clock_offset_in_created_at(tmp_path: Path) -> None:
    oslo_summer = timezone(timedelta(hours=2))
    sender = OutboxSender(tmp_path, lambda: datetime(2026, 6, 1, 12, 0, tzinfo=oslo_summer))

    sender.send(code_sms())

    [message] = read_outbox(tmp_path)
    assert message["created_at"] == "2026-06-01T12:00:00+02:00"
    assert datetime.fromisoformat(message["created_at"]) == datetime(2026, 6, 1, 10, tzinfo=UTC)


def test_senders_in_many_threads_each_get_their_own_outbox_file(
    tmp_path: Path, clock: ManualClock
) -> None:
    sender = OutboxSender(tmp_path, clock)

    def send_ten() -> None:
        for _ in range(10):
            sender.send(code_sms())

    threads = [threading.Thread(target=send_ten) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(read_outbox(tmp_path)) == 40
    assert len(list(tmp_path.iterdir())) == 40


def test_the_outbox_refuses_a_clock_without_offset(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path, lambda: datetime(2026, 3, 2, 9, 0))

    with pytest.raises(ValueError, match="timezone-aware"):
        sender.send(code_sms())

    assert list(tmp_path.iterdir()) == []


def test_an_outbox_that_cannot_be_written_raises_a_delivery_error(
    tmp_path: Path, clock: ManualClock
) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(DeliveryError, match="outbox") as raised:
        OutboxSender(blocker, clock).send(code_sms())

    assert "123456" not in str(raised.value)


def test_a_missing_outbox_reads_as_empty(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "never-written") == []


# --- Routing and settings --------------------------------------------------------------


def test_the_routing_sender_sends_each_channel_to_its_own_sender(
    tmp_path: Path, clock: ManualClock
) -> None:
    routing = RoutingSender(
        email=OutboxSender(tmp_path / "email", clock), sms=OutboxSender(tmp_path / "sms", clock)
    )

    routing.send(code_sms())
    routing.send(code_email())
    routing.send(code_sms(to="+4799887766"))

    assert [m["to"] for m in read_outbox(tmp_path / "sms")] == ["+4791234567", "+4799887766"]
    assert [m["to"] for m in read_outbox(tmp_path / "email")] == ["kari@example.no"]


def settings_sender(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "environment": "production",
        "outbox_dir": Path("unused"),
        "smtp_url": None,
        "sms_gateway_url": None,
        "sms_token": None,
        "sender_address": SENDER,
        "clock": ManualClock(),
    }
    return sender_from_settings(**(values | overrides))


@pytest.mark.parametrize(
    ("overrides", "named", "not_named"),
    [
        ({}, ["STAFETT_SMTP_URL", "STAFETT_SMS_GATEWAY_URL"], []),
        ({"smtp_url": "smtp://mail.example.no"}, ["STAFETT_SMS_GATEWAY_URL"], ["SMTP"]),
        ({"sms_gateway_url": "https://sms.example.no"}, ["STAFETT_SMTP_URL"], ["GATEWAY"]),
    ],
)
def test_production_without_smtp_or_sms_settings_names_what_is_missing(
    overrides: dict[str, str], named: list[str], not_named: list[str]
) -> None:
    with pytest.raises(ValueError, match="production") as raised:
        settings_sender(**overrides)

    for name in named:
        assert name in str(raised.value)
    for name in not_named:
        assert name not in str(raised.value)


def test_production_sends_email_over_smtp_and_sms_through_the_gateway(
    smtp_server: SmtpServer, gateway: FakeGateway, tmp_path: Path
) -> None:
    sender = settings_sender(
        outbox_dir=tmp_path,
        smtp_url=smtp_server.url,
        sms_gateway_url=gateway.url,
        sms_token="hemmelig-token",
    )

    sender.send(code_email())
    sender.send(code_sms())

    assert [m["To"] for m in smtp_server.handler.received()] == ["kari@example.no"]
    assert [(r.authorization, r.body["to"]) for r in gateway.requests] == [
        ("Bearer hemmelig-token", "+4791234567")
    ]
    assert list(tmp_path.iterdir()) == []


def test_development_writes_both_channels_to_the_outbox(tmp_path: Path, clock: ManualClock) -> None:
    sender = settings_sender(
        environment="development",
        outbox_dir=tmp_path / "outbox",
        smtp_url="smtp://mail.example.no",
        clock=clock,
    )

    sender.send(code_email())
    sender.send(code_sms())

    assert [m["channel"] for m in read_outbox(tmp_path / "outbox")] == ["email", "sms"]


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="staging"):
        settings_sender(environment="staging")
