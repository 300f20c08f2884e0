"""Structured logs: one configuration for structlog and stdlib, request ids, the access log.

Every line, our own and those of uvicorn and litestar, goes through the same
processors (SEC-LOG-02): context variables (so `request_id` is on each line of a
request), level, `ts` in UTC with `Z`, then secrets redacted and control characters
escaped (`redact_and_escape`), rendered as JSON
lines in production and wherever the output is no terminal, for people at a
console in development (`renderer_for`).

The access log is our own `RequestLogMiddleware`, not litestar's `StructlogPlugin`:

- the plugin's `LoggingMiddleware` writes a request line and a separate response
  line, and has no duration field;
- it is route middleware, so the 404s and 405s of unmatched requests, which
  probes produce in bulk, would never be logged;
- the plugin calls `structlog.configure` and `logging.config.dictConfig` each
  time an app is built, replacing this configuration and its redaction;
- its defaults log bodies, cookies and headers (tech notes §3); restricting the
  field tuples fixes that, but leaves the three points above.

The middleware logs exactly one `http_request` line per request with method,
the route's template as `path` (`/api/v1/plans/{plan_id:uuid}`; "(no route)"
when nothing matched), path parameters, status and duration, never the raw path
(a reset link's token is in it), the query string (it may hold names), headers,
cookies or bodies. Every value of every line has its control and
text-direction characters escaped (`redact_and_escape`). Like `SecurityHeadersMiddleware`, it wraps
litestar's whole ASGI handler so that unmatched requests are covered.
"""

import functools
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO, cast

import msgspec
import structlog
from litestar.types import HTTPScope, Message, Receive, Scope, Send
from structlog.types import EventDict, Processor, WrappedLogger

from stafett.web.log_chain import ChainedLines
from stafett.web.middleware import HTTPMiddleware

REDACTED = "[redacted]"
REQUEST_ID_HEADER = b"x-request-id"
USER_AGENT_HEADER = b"user-agent"
UA_LIMIT = 200  # characters of `User-Agent` a line carries
# Key names compared case-insensitively, with "-" read as "_". Beyond the names
# in SEC-LOG-05 this covers our CSRF header and cookie names.
SECRET_KEYS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "code",
        "token",
        "csrf",
        "cookie",
        "authorization",
        "session",
        "set_cookie",
        "csrf_token",
        "x_csrftoken",
        "__host_csrf",
        "__host_sid",
        "proxy_authorization",
    }
)
# Third-party loggers whose lines must be structured too. uvicorn's access log
# carries the query string and the client address: it is kept at WARNING, so
# that `http_request` is the only access line. httpx logs whole URLs at INFO.
_ROUTED_LOGGERS: dict[str, int] = {
    "uvicorn": logging.NOTSET,
    "uvicorn.error": logging.NOTSET,
    "uvicorn.access": logging.WARNING,
    "uvicorn.asgi": logging.NOTSET,
    "litestar": logging.NOTSET,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
}
ROUTED_LOGGERS = tuple(_ROUTED_LOGGERS)

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
UNMATCHED = "(no route)"


class _ConfiguredLogger:
    """A structlog logger bound once per configuration, for a line written on every
    request: a module-level `get_logger` proxy builds a new bound logger, and a new
    line writer, for each call (they are not cached, so that a later `configure_logging`
    takes effect; `configure_logging`). This one is built again only when structlog's
    configuration is another than the one it was built under, so `configure_logging`,
    `structlog.reset_defaults` and `structlog.testing.capture_logs` take effect at once."""

    def __init__(self, name: str) -> None:
        self._proxy = structlog.get_logger(name)
        self._built_under: tuple[object, ...] = ()
        self._bound: Any = None

    def info(self, event: str, **fields: Any) -> None:
        config = structlog.get_config()
        under = (
            config["processors"],
            config["logger_factory"],
            config["wrapper_class"],
            config["context_class"],
        )
        built_under = self._built_under
        if (
            not built_under
            or under[0] is not built_under[0]
            or under[1] is not built_under[1]
            or under[2] is not built_under[2]
            or under[3] is not built_under[3]
        ):
            self._bound, self._built_under = self._proxy.bind(), under
        self._bound.info(event, **fields)


access_log = _ConfiguredLogger("stafett.web.access")


_PLAIN = (str, int, float, bool, type(None))  # values with nothing inside to redact


@functools.lru_cache(maxsize=1024)
def _is_secret_name(key: str) -> bool:
    return key.lower().replace("-", "_") in SECRET_KEYS


def _is_secret(key: object) -> bool:
    if isinstance(key, str):  # nearly every key
        return _is_secret_name(key)
    return isinstance(key, bytes) and _is_secret_name(key.decode("latin-1"))


def _redact(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, Mapping):
        return {k: REDACTED if _is_secret(k) else _redact(v) for k, v in value.items()}
    if isinstance(value, tuple) and len(value) == 2 and _is_secret(value[0]):
        return (value[0], REDACTED)  # a (name, value) pair, as in raw headers
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_redact(v) for v in value)
    return value


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        if _CONTROLS.search(value) is None:
            return value
        return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, Mapping):
        return {_escape(k): _escape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_escape(v) for v in value)
    return value


_LEAVES = frozenset({int, float, bool, type(None)})  # exact types: nothing to look at


def redact_and_escape(_logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    """Replace the value of every secret-named key, at any depth, with "[redacted]", and
    write control and text-direction characters as `\\uXXXX`, so no value can forge a
    line, hide text or reorder what a reader sees, whichever renderer prints it.

    One pass over the line: a request's line is mostly texts and numbers, which need one
    regular-expression search or nothing; only the rest is walked. Each line costs a
    request microseconds, so the common cases are tested first and by exact type."""
    clean: EventDict = {}
    for key, value in event_dict.items():
        if _is_secret_name(key) if type(key) is str else _is_secret(key):
            clean[key] = REDACTED
            continue
        kind = type(value)
        if kind is str:
            # Printable ASCII has no control or direction character: two quick looks in C.
            safe = (value.isascii() and value.isprintable()) or _CONTROLS.search(value) is None
            clean[key] = value if safe else _escape(value)
        elif kind in _LEAVES or (kind is dict and not value):
            clean[key] = value
        else:
            clean[key] = _escape(_redact(value))
    return clean


def utc_timestamp(_logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    """`ts`: the time in UTC, ISO 8601 to the microsecond with `Z`, as structlog's
    `TimeStamper(fmt="iso", utc=True)` writes it, without a datetime a line: the text up
    to the second is kept while the second lasts."""
    now = time.time()
    second = int(now)
    stamped_second, prefix = _stamp[0]  # one read: threads log at once
    if second != stamped_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _stamp[0] = (second, prefix)
    event_dict["ts"] = f"{prefix}.{int((now - second) * 1_000_000):06d}Z"
    return event_dict


_stamp: list[tuple[int, str]] = [(-1, "")]  # the second last stamped, and its text


def _json_line(event_dict: EventDict, *, default: Callable[[Any], Any]) -> str:
    """One JSON line by msgspec, some ten times faster than `json.dumps`. Values JSON
    has no type for get msgspec's forms (a UUID or a date as its text, bytes as
    base64), anything else what structlog's `default` makes of it (its repr)."""
    return msgspec.json.encode(event_dict, enc_hook=default).decode()


def renderer_for(*, json_lines: bool, target: TextIO) -> list[Processor]:
    """JSON lines in production, and in development whenever the output is no terminal
    (a file, a pipe, a test's stream): there nobody reads colours and alignment, but
    every request would pay for them (the console renderer costs about twice as much a
    line). The console renderer only for a person at a terminal."""
    if json_lines or not target.isatty():
        return [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_json_line),
        ]
    # The library's default traceback formatter (rich) prints every frame's local
    # variables: request headers and session cookies among them.
    return [
        structlog.dev.ConsoleRenderer(
            colors=True, exception_formatter=structlog.dev.plain_traceback
        )
    ]


class _NamedWriteLogger(structlog.WriteLogger):
    """structlog's own line writer, with the name `add_logger_name` puts on each line.

    Like a stdlib handler, it drops a line it cannot write (a closed or full stream)
    rather than failing the request that logged it.
    """

    def __init__(self, file: TextIO, name: str) -> None:
        super().__init__(file)
        self.name = name

    def msg(self, message: str) -> None:
        try:  # noqa: SIM105 (contextlib.suppress: a Python context manager for every line)
            super().msg(message)
        except (OSError, ValueError):
            pass

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def configure_logging(
    *, json_lines: bool, stream: TextIO | None = None, level: int = logging.INFO
) -> None:
    """Send structlog and stdlib logging through the same processors to one stream.

    Our own lines (structlog) are filtered, processed and written by structlog
    itself: the stdlib bridge (a `LogRecord`, a handler, a formatter) would cost
    every request's `http_request` line several times over. The lines of other
    libraries (stdlib) pass one handler on the root logger with the same
    processors. Replaces the root logger's handlers, so call it once at start-up,
    and run uvicorn with `log_config=None` so it does not install its own
    afterwards. Loggers are not cached on first use, so a later call (tests) takes
    effect for module-level loggers too; the access log's own logger, used on every
    request, is kept and built again when the configuration changes (`_ConfiguredLogger`).
    """
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        utc_timestamp,
        redact_and_escape,
    ]
    target: TextIO = stream if stream is not None else sys.stderr
    renderer = renderer_for(json_lines=json_lines, target=target)
    if json_lines or not target.isatty():
        # JSON lines are hash-chained (SEC-LOG-07); both writers only write and flush.
        target = cast(TextIO, ChainedLines(target))
    structlog.configure(
        processors=[*shared, *renderer],
        logger_factory=functools.partial(_NamedWriteLogger, target),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    handler = logging.StreamHandler(target)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name, logger_level in _ROUTED_LOGGERS.items():
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
        logger.setLevel(logger_level)


def request_fields(scope: Scope) -> dict[str, str]:
    """What every line of a request carries (SEC-LOG-02): `request_id`, the caller's
    `X-Request-ID` if it is well formed, else a new one (128 random bits as 32 hex
    digits, a uuid4's form without building a UUID); `ip`, the client's address as the
    server saw it (a trusted proxy's `X-Forwarded-For` included, `stafett serve`); and
    `ua`, the `User-Agent` header, at most `UA_LIMIT` characters ("" without one)."""
    request_id: str | None = None  # the first X-Request-ID only ("" if malformed)
    ua: str | None = None  # the first User-Agent only
    for name, value in scope["headers"]:
        lowered = name.lower()
        if lowered == REQUEST_ID_HEADER and request_id is None:
            candidate = value.decode("latin-1")
            request_id = candidate if _VALID_REQUEST_ID.fullmatch(candidate) else ""
        elif lowered == USER_AGENT_HEADER and ua is None:
            ua = value[:UA_LIMIT].decode("latin-1")
    client = scope.get("client")
    return {
        "request_id": request_id or secrets.token_hex(16),
        "ip": client[0] if client else "",
        "ua": ua or "",
    }


class RequestLogMiddleware(HTTPMiddleware):
    """Gives each HTTP request an id, binds it (and the caller's address and browser)
    for its log lines and logs the request.

    The fields are bound with structlog's context variables for the length of the
    request, the id returned as `X-Request-ID`, and the bindings are undone afterwards.
    """

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        fields = request_fields(scope)
        request_id = fields["request_id"]
        method = scope["method"]
        status = 500  # unless the app gets as far as starting a response
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != REQUEST_ID_HEADER
                ]
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        # bind and reset rather than `bound_contextvars`: the same, without a
        # generator-based context manager on every request.
        bound = structlog.contextvars.bind_contextvars(**fields)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            try:
                access_log.info(
                    "http_request",
                    method=method,
                    path=scope.get("path_template", UNMATCHED),
                    # Redacted here as well as by the processor: a logger configured
                    # elsewhere (a test's, a host's) must not print a reset token either.
                    path_params={
                        k: REDACTED if _is_secret(k) else str(v)
                        for k, v in scope.get("path_params", {}).items()
                    },
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
            finally:
                structlog.contextvars.reset_contextvars(**bound)
