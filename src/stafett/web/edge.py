"""The input edge: one rule for every body, query and path (decision 0011).

Two parts, so that no handler, and no route, carries its own checks:

- `InputEdgeMiddleware` wraps the whole ASGI app and reads what arrives as bytes:
  a path or query with control characters or bytes that are not UTF-8 is refused
  (400, 422 for a query); a query's texts pass the one-line text rule and reach litestar in NFC;
  a body on an `/api/` route must be `application/json` (else 415), at most
  `MAX_BODY_BYTES` (else 413), UTF-8, JSON without duplicate keys, nested at
  most `MAX_DEPTH` deep, with integers of at most 15 digits and no NaN or
  Infinity (else 422); a body on a page route is a form, URL-encoded in strict
  UTF-8 within the same size. Photos are the one exception: `PUT` of an API photo
  route takes the image itself (`image/jpeg`, `image/png` or `image/webp`, at most
  `MAX_PHOTO_BYTES`), and a page's photo form posts multipart within
  `MAX_UPLOAD_BYTES`; multipart anywhere else is refused (415). An
  `Idempotency-Key` header on an API write must be one of `KEY_PATTERN`'s form (else 422).
  What the bytes
  are is decided by Pillow when the photo is re-encoded, never by the content type.
  Nothing reaches a handler that breaks these.
- `Body`, the base of every request struct, in `stafett.applications.input`
  (the plan commands are such structs): once msgspec has decoded one, its
  `__post_init__` applies the same text rule to each text field and keeps dates
  between 1900 and 2199.
"""

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

import structlog
from litestar.types import HTTPScope, Receive, ReceiveMessage, Scope, Send
from litestar.types.asgi_types import HTTPRequestEvent, HTTPResponseStartEvent

from stafett.aggregates.errors import ValidationError
from stafett.aggregates.text import clean_line
from stafett.applications.input import has_controls
from stafett.applications.photo_encoding import MAX_PHOTO_BYTES
from stafett.web.middleware import HTTPMiddleware

MAX_BODY_BYTES = 1_048_576
MAX_DEPTH = 16
MAX_INTEGER_DIGITS = 15
MAX_QUERY_VALUE_LENGTH = 1_000
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = frozenset({"application/json"})
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MAX_UPLOAD_BYTES = 6 * 1_048_576  # a page's photo form (the image itself is capped lower)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# The routes that take a photo: the API's (raw image body) and the pages' (multipart).
API_PHOTO = re.compile(r"/api/v1/(?:me|plans/[^/]+/participants/[^/]+)/photo")
PAGE_PHOTO = re.compile(r"/(?:profile|plans/[^/]+/participants/[^/]+)/photo")
API_PREFIX = "/api/"
# An Idempotency-Key's form (web/idempotency.py): a UUID fits, so does a ULID.
KEY_PATTERN = re.compile(rb"[A-Za-z0-9_.:-]{8,64}")
log = structlog.get_logger(__name__)

# ------------------------------------------------------------- the bytes


class InputRejectedError(Exception):
    def __init__(self, status: int, title: str, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.reason = reason


def _bad(detail: str, reason: str) -> InputRejectedError:
    return InputRejectedError(422, "Ugyldig forespørsel", detail, reason)


def check_path(path: str) -> None:
    if has_controls(path):
        raise InputRejectedError(
            400, "Ugyldig adresse", "The address contains characters that are not allowed", "path"
        )


def _query_pairs(raw: bytes) -> list[tuple[str, str]]:
    """The query's (key, value) pairs, decoded as strict UTF-8 (parse_qsl would replace)."""
    pairs = []
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        try:
            pairs.append(
                (
                    unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8"),
                    unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8"),
                )
            )
        except UnicodeDecodeError:
            raise _bad("The query is not valid UTF-8", "query") from None
    return pairs


def clean_query(raw: bytes) -> bytes:
    """The query string with every value under the one-line text rule, re-encoded."""
    if not raw:
        return raw
    cleaned = []
    for key, value in _query_pairs(raw):
        if len(value) > MAX_QUERY_VALUE_LENGTH or has_controls(key):
            raise _bad(f"The query parameter {key[:40]!r} is not allowed", "query")
        try:
            clean = clean_line(key, value, required=False, max_length=MAX_QUERY_VALUE_LENGTH)
        except ValidationError as error:
            raise _bad(f"{key[:40]}: {error.message}", "query") from None
        cleaned.append((key, clean))
    return urlencode(cleaned).encode("ascii")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _bad(f"The key {key[:40]!r} appears twice", "duplicate_key")
        result[key] = value
    return result


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _bad("A number is too large", "number")
    return int(digits)


def _decimal(text: str) -> float:
    if len(text) > 40:
        raise _bad("A number is too long", "number")
    return float(text)


def _constant(name: str) -> Any:
    raise _bad(f"{name} is not a number JSON allows", "number")


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def _nesting(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest, read off its brackets outside
    its strings, before it is parsed: the parser recurses, and a thousand levels take
    the stack to its limit, where anything else that runs (a finalizer the garbage
    collector calls) has no room left. A text that is not JSON may count wrong; the
    parser refuses it then."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for bracket in brackets:
        depth += 1 if bracket in "[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
    return deepest


def check_json(body: bytes) -> None:
    """Refuse a body that is not strict UTF-8 JSON within our limits."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("The body is not valid UTF-8", "utf8") from None
    if _nesting(text) > MAX_DEPTH:
        raise _bad(f"The body is nested more than {MAX_DEPTH} deep", "depth")
    try:
        json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_integer,
            parse_float=_decimal,
            parse_constant=_constant,
        )
    except RecursionError:
        raise _bad(f"The body is nested more than {MAX_DEPTH} deep", "depth") from None
    except ValueError as error:  # json.JSONDecodeError included
        if isinstance(error, UnicodeError):
            raise _bad("The body is not valid UTF-8", "utf8") from None
        raise _bad("The body is not valid JSON", "json") from None


def _content_type(scope: Scope) -> tuple[str, str]:
    """(media type, charset) from the request's Content-Type header."""
    for name, value in scope["headers"]:
        if name.lower() == b"content-type":
            parts = value.decode("latin-1").split(";")
            media = parts[0].strip().lower()
            charset = ""
            for param in parts[1:]:
                key, _, val = param.partition("=")
                if key.strip().lower() == "charset":
                    charset = val.strip().strip('"').lower()
            return media, charset
    return "", ""


def check_idempotency_key(scope: Scope) -> None:
    """At most one `Idempotency-Key`, of `KEY_PATTERN`'s form (decision 0028)."""
    keys = [value for name, value in scope["headers"] if name.lower() == b"idempotency-key"]
    if len(keys) > 1 or (keys and KEY_PATTERN.fullmatch(keys[0]) is None):
        raise _bad("Idempotency-Key must be 8 to 64 of A-Z a-z 0-9 _ . : -", "idempotency_key")


def _declares_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        lowered = name.lower()
        if lowered == b"content-length" and value.strip() not in (b"0", b""):
            return True
        if lowered == b"transfer-encoding":
            return True
    return False


def _problem(error: InputRejectedError) -> tuple[HTTPResponseStartEvent, bytes]:
    body = {
        "type": f"/problems/{error.status}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": error.status,
        "headers": [(b"content-type", b"application/problem+json")],
    }
    return start, json.dumps(body, ensure_ascii=False).encode()


class InputEdgeMiddleware(HTTPMiddleware):
    """Refuses malformed paths, queries and JSON bodies before litestar sees them."""

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        try:
            check_path(scope["path"])
            scope["query_string"] = clean_query(scope.get("query_string", b""))
            if scope["method"] in BODY_METHODS:
                if scope["path"].startswith(API_PREFIX):
                    check_idempotency_key(scope)
                    receive = await self._checked_body(scope, receive)
                else:
                    receive = await self._checked_form(scope, receive)
        except InputRejectedError as error:
            log.info("input_validation_fail", reason=error.reason, status=error.status)
            start, body = _problem(error)
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await self.app(scope, receive, send)

    async def _checked_body(self, scope: HTTPScope, receive: Receive) -> Receive:
        if API_PHOTO.fullmatch(scope["path"]) and (
            scope["method"] == "PUT" or _content_type(scope)[0] in IMAGE_TYPES
        ):  # an image to a photo route: a method without a handler is the router's 405
            return await self._checked_image(scope, receive)
        body = await _read(receive, MAX_BODY_BYTES)
        if body or _declares_body(scope):
            media, charset = _content_type(scope)
            if media not in JSON_TYPES or charset not in ("", "utf-8"):
                raise InputRejectedError(
                    415,
                    "Feil innholdstype",
                    "Send the body as application/json",
                    "content_type",
                )
            check_json(body)
        return _replay(body, receive)

    async def _checked_image(self, scope: Scope, receive: Receive) -> Receive:
        """A photo for the API: an image type (not trusted, only required) within its cap."""
        media, _charset = _content_type(scope)
        if media not in IMAGE_TYPES:
            raise InputRejectedError(
                415,
                "Feil innholdstype",
                "Send the photo as image/jpeg, image/png or image/webp",
                "content_type",
            )
        try:
            body = await _read(receive, MAX_PHOTO_BYTES)
        except InputRejectedError:
            megabytes = MAX_PHOTO_BYTES // 1_048_576
            raise InputRejectedError(
                413, "Bildet er for stort", f"The photo is larger than {megabytes} MB", "size"
            ) from None
        return _replay(body, receive)

    async def _checked_form(self, scope: Scope, receive: Receive) -> Receive:
        """A page's form: URL-encoded in strict UTF-8, or multipart for a photo up to its cap."""
        media, charset = _content_type(scope)
        if media == MULTIPART and PAGE_PHOTO.fullmatch(scope["path"]):
            return _replay(await _read(receive, MAX_UPLOAD_BYTES), receive)
        body = await _read(receive, MAX_BODY_BYTES)
        if body or _declares_body(scope):
            if media != FORM or charset not in ("", "utf-8"):
                raise InputRejectedError(
                    415, "Feil innholdstype", "Send the form as the page does", "content_type"
                )
            _query_pairs(body)  # strict UTF-8, like a query; the fields' structs apply the rule
        return _replay(body, receive)


async def _read(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; litestar will see the same
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise InputRejectedError(413, "For stor forespørsel", "The body is too large", "size")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> ReceiveMessage:
        nonlocal replayed
        if not replayed:
            replayed = True
            event: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
            return event
        return await receive()

    return replay
