"""Structured logging: JSON lines, redaction, request ids and the access log (SEC-LOG-02, -05)."""

import io
import json
import logging
import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import anyio
import msgspec
import pytest
import structlog
from litestar import Litestar, post
from litestar.params import FromPath, JSONBody
from litestar.testing import TestClient
from litestar.types import Message, ReceiveMessage, Scope
from structlog.testing import capture_logs

from stafett.applications.plans import PlanApplication
from stafett.bootstrap import build_access_log, build_accounts
from stafett.settings import Settings
from stafett.web.app import create_app
from stafett.web.headers import SecurityHeadersMiddleware
from stafett.web.logging import (
    REDACTED,
    ROUTED_LOGGERS,
    RequestLogMiddleware,
    configure_logging,
    redact_and_escape,
    request_fields,
    utc_timestamp,
)
from tests.e2e.conftest import SECRETS

SECRETS_SENT = ("SECRETPW", "SECRETSESSION", "SECRETCSRF", "Ola")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
log = structlog.get_logger(__name__)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@contextmanager
def captured_logs(
    *, json_lines: bool = True, stream: io.StringIO | None = None
) -> Iterator[io.StringIO]:
    """Configure logging into memory, then restore structlog and the stdlib loggers.

    Used inside the test body, not as a fixture: pytest swaps its own capture
    handlers on the root logger between setup, call and teardown.
    """
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in ROUTED_LOGGERS)]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    stream = io.StringIO() if stream is None else stream
    try:
        configure_logging(json_lines=json_lines, stream=stream)
        yield stream
    finally:
        structlog.reset_defaults()
        for logger, handlers, level, propagate in saved:
            logger.handlers = handlers
            logger.setLevel(level)
            logger.propagate = propagate


def captured_json_logs() -> AbstractContextManager[io.StringIO]:
    return captured_logs(json_lines=True)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def as_wired(app: Litestar) -> Litestar:
    """For small test apps, what create_app does: wrap the whole handler (404, 405 too)."""
    app.asgi_handler = RequestLogMiddleware(SecurityHeadersMiddleware(app.asgi_handler))
    return app


class NoteIn(msgspec.Struct):
    text: str
    password: str


@post("/api/v1/plans/{plan_id:uuid}/notes", sync_to_thread=True)
def add_note(plan_id: FromPath[UUID], data: JSONBody[NoteIn]) -> dict[str, str]:
    log.info("note_added", plan=str(plan_id), form={"text_length": len(data.text)})
    return {"saved": "yes"}


@pytest.fixture
def client() -> Iterator[TestClient[Litestar]]:
    app = Litestar([add_note], logging_config=None)
    with TestClient(as_wired(app), base_url="https://stafett.test") as client:
        yield client


def post_note_with_secrets(client: TestClient[Litestar], plan_id: UUID, **headers: str) -> Any:
    return client.post(
        f"/api/v1/plans/{plan_id}/notes?name=Ola",
        json={"text": "Ola leser", "password": "SECRETPW"},
        headers={"Cookie": "__Host-sid=SECRETSESSION", "X-CSRFToken": "SECRETCSRF", **headers},
    )


def test_a_request_is_logged_once_with_its_shape_and_none_of_its_secrets(
    client: TestClient[Litestar],
) -> None:
    plan_id = uuid4()
    with captured_json_logs() as stream:
        response = post_note_with_secrets(client, plan_id)
    assert response.status_code == 201
    output = stream.getvalue()
    for secret in SECRETS_SENT:
        assert secret not in output
    [access] = [line for line in lines(stream) if line["event"] == "http_request"]
    assert access["request_id"] == response.headers["x-request-id"]
    assert access["method"] == "POST"
    assert access["path"] == "/api/v1/plans/{plan_id}/notes"  # the route, never the raw path
    assert access["path_params"] == {"plan_id": str(plan_id)}
    assert access["status"] == 201
    assert access["duration_ms"] >= 0
    assert access["level"] == "info"
    assert TIMESTAMP.fullmatch(access["ts"])
    assert access["ip"] == "testclient"  # the test client's address
    assert access["ua"] == "testclient"  # and its User-Agent
    assert set(access) == {
        "event",
        "request_id",
        "ip",
        "ua",
        "method",
        "path",
        "path_params",
        "status",
        "duration_ms",
        "level",
        "logger",
        "ts",
        "chain_stream",  # the line's place in its process's hash chain (SEC-LOG-07)
        "chain_seq",
        "chain_hash",
    }


def test_every_line_of_a_request_carries_its_request_id(client: TestClient[Litestar]) -> None:
    with captured_json_logs() as stream:
        response = post_note_with_secrets(client, uuid4())
    request_id = response.headers["x-request-id"]
    events = {line["event"]: line for line in lines(stream)}
    assert events["note_added"]["request_id"] == request_id
    assert events["http_request"]["request_id"] == request_id


def test_a_well_formed_request_id_from_the_caller_is_echoed_and_bound(
    client: TestClient[Litestar],
) -> None:
    given = "Edge-Proxy-0042-abcdef"
    with captured_json_logs() as stream:
        response = post_note_with_secrets(client, uuid4(), **{"X-Request-ID": given})
    assert response.headers.get_list("x-request-id") == [given]
    assert {line["request_id"] for line in lines(stream)} == {given}


@pytest.mark.parametrize(
    "given",
    [
        "short",
        "x" * 65,
        "has spaces in it",
        'evil\\r\\n{"event":"fake"}',
        "semi;colon-12345",
    ],
)
def test_a_malformed_request_id_from_the_caller_is_replaced(
    client: TestClient[Litestar], given: str
) -> None:
    with captured_json_logs() as stream:
        response = post_note_with_secrets(client, uuid4(), **{"X-Request-ID": given})
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert given not in stream.getvalue()
    assert {line["request_id"] for line in lines(stream)} == {request_id}


def test_each_request_gets_its_own_id(client: TestClient[Litestar]) -> None:
    first = client.get("/nowhere").headers["x-request-id"]
    second = client.get("/nowhere").headers["x-request-id"]
    assert first != second


def test_unmatched_requests_are_logged_too(client: TestClient[Litestar]) -> None:
    with captured_json_logs() as stream:
        client.get("/no/such/page?name=Ola")
        client.delete(f"/api/v1/plans/{uuid4()}/notes")
    access = [line for line in lines(stream) if line["event"] == "http_request"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "(no route)", 404),
        ("DELETE", "(no route)", 405),
    ]
    assert "Ola" not in stream.getvalue()


def test_the_request_id_is_unbound_when_the_request_is_over() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        seen.append(structlog.contextvars.get_contextvars())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def send(message: Message) -> None:
        pass

    async def receive() -> ReceiveMessage:
        return cast(ReceiveMessage, {"type": "http.request", "body": b"", "more_body": False})

    after: list[dict[str, Any]] = []

    async def main() -> None:
        structlog.contextvars.bind_contextvars(worker="w1")
        scope = cast(
            Scope, {"type": "http", "method": "GET", "path": "/x", "headers": [], "state": {}}
        )
        await RequestLogMiddleware(app)(scope, receive, send)
        after.append(structlog.contextvars.get_contextvars())

    with captured_json_logs():
        anyio.run(main)
    assert set(seen[0]) == {"worker", "request_id", "ip", "ua"}
    assert after == [{"worker": "w1"}]


def test_secret_keys_are_redacted_at_any_depth_whatever_their_case() -> None:
    event: dict[str, Any] = {
        "event": "debug_dump",
        "Password": "a",
        "new_password": "b",
        "current-password": "c",
        "request": {
            "headers": {"Authorization": "Bearer d", "Cookie": "e", "X-CSRFToken": "f"},
            "raw_headers": [(b"set-cookie", b"g"), (b"accept", b"json")],
            "forms": [{"code": "123456"}, {"TOKEN": "h"}],
            "session": {"id": "i"},
        },
        "csrf": "j",
        "name": "kept",
    }
    redacted = redact_and_escape(None, "info", event)
    assert redacted == {
        "event": "debug_dump",
        "Password": REDACTED,
        "new_password": REDACTED,
        "current-password": REDACTED,
        "request": {
            "headers": {"Authorization": REDACTED, "Cookie": REDACTED, "X-CSRFToken": REDACTED},
            "raw_headers": [(b"set-cookie", REDACTED), (b"accept", b"json")],
            "forms": [{"code": REDACTED}, {"TOKEN": REDACTED}],
            "session": REDACTED,
        },
        "csrf": REDACTED,
        "name": "kept",
    }
    assert event["request"]["session"] == {"id": "i"}  # the caller's dict is untouched


def test_application_log_lines_are_redacted_json_with_a_utc_timestamp() -> None:
    with captured_json_logs() as stream:
        log.info("authn_login_fail", actor="p-1", details={"password": "SECRETPW", "n": 1})
    [line] = lines(stream)
    assert line["details"] == {"password": REDACTED, "n": 1}
    assert line["level"] == "info"
    assert TIMESTAMP.fullmatch(line["ts"])
    assert "SECRETPW" not in stream.getvalue()


def test_stdlib_logs_from_uvicorn_and_litestar_are_structured_too() -> None:
    with captured_json_logs() as stream:
        structlog.contextvars.bind_contextvars(request_id="req-12345678")
        try:
            logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
            logging.getLogger("litestar").warning("something odd", extra={"x": 1})
            logging.getLogger("uvicorn.access").info('1.2.3.4 - "GET /?name=Ola HTTP/1.1" 200')
        finally:
            structlog.contextvars.clear_contextvars()
    started, odd = lines(stream)
    assert started["event"] == "Started server process [42]"
    assert started["logger"] == "uvicorn.error"
    assert started["level"] == "info"
    assert started["request_id"] == "req-12345678"
    assert TIMESTAMP.fullmatch(started["ts"])
    assert odd["logger"] == "litestar"
    assert odd["level"] == "warning"
    assert "Ola" not in stream.getvalue()


def test_a_value_with_line_breaks_stays_one_json_line() -> None:
    with captured_json_logs() as stream:
        log.info("authn_login_fail", username='kari\r\n{"event":"authn_login_success"}')
    [line] = lines(stream)
    assert line["event"] == "authn_login_fail"


def test_unexpected_errors_are_logged_with_their_trace_as_one_line() -> None:
    with captured_json_logs() as stream:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            log.exception("unhandled_error", path="/x")
    [line] = lines(stream)
    assert "RuntimeError: boom" in line["exception"]


def test_the_console_format_for_development_redacts_too() -> None:
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in ROUTED_LOGGERS)]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    stream = io.StringIO()
    try:
        configure_logging(json_lines=False, stream=stream)
        log.info("authn_login_fail", password="SECRETPW")
    finally:
        structlog.reset_defaults()
        for logger, handlers, level, propagate in saved:
            logger.handlers = handlers
            logger.setLevel(level)
            logger.propagate = propagate
    assert "authn_login_fail" in stream.getvalue()
    assert REDACTED in stream.getvalue()
    assert "SECRETPW" not in stream.getvalue()
    assert "\x1b[" not in stream.getvalue()  # no colour codes when not at a terminal


@pytest.mark.parametrize("at_terminal", [True, False])
def test_development_writes_for_people_at_a_terminal_and_json_elsewhere(
    at_terminal: bool,
) -> None:
    """The console renderer costs about twice as much a line: only a person at a terminal
    gets it (web/logging.py `renderer_for`); both redact."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in ROUTED_LOGGERS)]
    saved = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    stream = Terminal() if at_terminal else io.StringIO()
    try:
        configure_logging(json_lines=False, stream=stream)
        log.info("authn_login_fail", password="SECRETPW", user="ola")
    finally:
        structlog.reset_defaults()
        for logger, handlers, level, propagate in saved:
            logger.handlers = handlers
            logger.setLevel(level)
            logger.propagate = propagate
    text = stream.getvalue()
    assert "SECRETPW" not in text
    if at_terminal:
        assert "\x1b[" in text  # coloured, aligned, for people
        assert "authn_login_fail" in text
        assert REDACTED in text
    else:
        [line] = lines(stream)
        assert (line["event"], line["password"], line["user"]) == (
            "authn_login_fail",
            REDACTED,
            "ola",
        )


def test_a_failed_login_through_the_real_app_logs_no_secret(
    plans: PlanApplication, tmp_path: Path
) -> None:
    settings = Settings(
        database_url="unused",
        outbox_dir=tmp_path / "outbox",
        secrets=SECRETS,
        fast_password_hashing=True,
    )
    app = create_app(
        plans,
        build_accounts(settings, plans),
        access_log=build_access_log(plans),
        secret_key=SECRETS.secret_key,
    )
    with (
        TestClient(app, base_url="https://stafett.test") as client,
        captured_json_logs() as stream,
    ):
        response = client.post(
            "/api/v1/session?name=Ola",
            json={"username": "kari", "password": "SECRETPW"},
            headers={"Cookie": "__Host-sid=SECRETSESSION", "X-CSRFToken": "SECRETCSRF"},
        )
    assert response.status_code == 401
    output = stream.getvalue()
    for secret in SECRETS_SENT:
        assert secret not in output
    request_id = response.headers["x-request-id"]
    events = [line["event"] for line in lines(stream)]
    assert "authn_login_fail" in events
    assert events[-1] == "http_request"
    assert {line["request_id"] for line in lines(stream)} == {request_id}
    # SEC-LOG-02: the security event says where it came from and with what
    [failed] = [line for line in lines(stream) if line["event"] == "authn_login_fail"]
    assert (failed["ip"], failed["ua"]) == ("testclient", "testclient")


def test_the_user_agent_is_cut_and_escaped_and_its_absence_is_empty() -> None:
    scope = cast(
        Scope,
        {
            "type": "http",
            "client": ("192.0.2.7", 50000),
            "headers": [(b"User-Agent", b"x" * 500 + b"\n{}")],
        },
    )
    fields = request_fields(scope)
    assert fields["ip"] == "192.0.2.7"
    assert fields["ua"] == "x" * 200
    assert request_fields(cast(Scope, {"type": "http", "headers": []}))["ua"] == ""
    assert request_fields(cast(Scope, {"type": "http", "headers": []}))["ip"] == ""
    forged = cast(Scope, {"type": "http", "headers": [(b"user-agent", b'a\r\n{"event":1}')]})
    with captured_json_logs() as stream:
        structlog.contextvars.bind_contextvars(**request_fields(forged))
        try:
            structlog.get_logger("t").info("probe")
        finally:
            structlog.contextvars.clear_contextvars()
    [line] = lines(stream)  # one line: the header could not start another
    assert line["ua"] == 'a\\u000d\\u000a{"event":1}'  # the breaks as text


def test_a_line_that_cannot_be_written_is_dropped_not_raised() -> None:
    """A closed stream (a test's captured output gone, a pipe closed) costs the line,
    never the request that logged it; the next stream gets lines again."""
    with captured_json_logs() as stream:
        stream.close()
        log.info("authn_login_fail", actor="p-1")  # must not raise
    with captured_json_logs() as stream:
        log.info("authn_login_fail", actor="p-2")
    [line] = lines(stream)
    assert line["actor"] == "p-2"


def test_the_request_line_follows_each_new_configuration_of_logging(
    client: TestClient[Litestar],
) -> None:
    """The access log keeps its bound logger between requests, but never past a change
    of configuration: a new stream, structlog's defaults again, a test's capture."""
    first, second = io.StringIO(), io.StringIO()
    with captured_logs(stream=first):
        client.get("/nowhere")
    with captured_logs(stream=second):
        client.get("/nowhere")
        with capture_logs() as captured:
            client.get("/nowhere/else")
        client.get("/nowhere")
    assert [line["event"] for line in lines(first)] == ["http_request"]
    assert [line["event"] for line in lines(second)] == ["http_request", "http_request"]
    assert [entry["event"] for entry in captured] == ["http_request"]


def test_every_character_that_could_forge_or_hide_text_is_escaped_in_a_line() -> None:
    """The quick look for printable ASCII and the full rule agree on every character of
    the Basic Multilingual Plane: each one the rule names is escaped, no other."""
    for point in range(0x10000):
        if 0xD800 <= point <= 0xDFFF:
            continue  # surrogates: no text holds them alone
        character = chr(point)
        value = f"a{character}b"
        cleaned = redact_and_escape(None, "info", {"value": value})["value"]
        dangerous = (
            character in "\u2028\u2029"
            or unicodedata.category(character) == "Cc"
            or (0x202A <= point <= 0x202E or 0x2066 <= point <= 0x2069)
        )
        assert (cleaned != value) is dangerous, hex(point)
        if dangerous:
            assert cleaned == f"a\\u{point:04x}b"


def test_the_timestamp_is_utc_to_the_microsecond_across_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instants = iter([1_765_000_000.000123, 1_765_000_000.999999, 1_765_000_001.5])
    monkeypatch.setattr(time, "time", lambda: next(instants))
    stamps = [utc_timestamp(None, "info", {})["ts"] for _ in range(3)]
    assert stamps == [
        "2025-12-06T05:46:40.000123Z",
        "2025-12-06T05:46:40.999999Z",
        "2025-12-06T05:46:41.500000Z",
    ]
    for stamp, instant in zip(stamps, (1_765_000_000, 1_765_000_000, 1_765_000_001), strict=True):
        expected = datetime.fromtimestamp(instant, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
        assert stamp.startswith(expected)
