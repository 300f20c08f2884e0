"""`Idempotency-Key` on the API's POSTs that a logged-in person sends (decision 0028).

One mechanism for every such route, in three parts:

- `replay_or_claim` (the app's `before_request`, after the policy guard has found the
  person): a key this person already used for the same request (method, path, query,
  `If-Match`, body) answers the first answer again, byte for byte, with
  `Idempotent-Replayed: true`, and runs nothing; the same key for another request is
  refused (409, `KeyReusedError`). Otherwise the request carries a `Claim`.
- The plan commands (`web/writes.py`) give the claim to the plan application as a
  receipt: the answer is kept in the same transaction as the command's events, so a
  crash cannot leave an event without its answer, nor an answer without its event.
- `KeptAnswerMiddleware` keeps the answer of any other claimed request that succeeded
  (a 204 route's: no body; no cookie set) before it is sent, in a transaction of its
  own; a plan command's answer is not held (`Claim.with_events`: its row is written
  with its events) and is kept after it is sent only for a command that saved none.

Which routes honour a key is `honours_key`'s: deny by default, so that no answer with
a secret in it is ever stored.

The key's form is checked at the input edge (`web/edge.py`, `KEY_PATTERN`). Keys on
the steps before login (no person yet) are not honoured.

A plan page's form carries a key of its own instead, a token drawn when the page is
rendered (`ONCE_FIELD`): `FormReceipt` keeps, with the form's events, where the page
went after saving it, so the same form sent twice (a double click without htmx, a
reload of the answer, a retry after a lost one) is saved once and goes there again
(decision 0038).
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio
import structlog
from litestar import Request, Response
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.serialization import encode_json
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import HTTPResponseStartEvent, HTTPScope, Message, Receive, Send

from stafett.aggregates.errors import ConflictingValueError
from stafett.applications.accounts import Principal
from stafett.applications.results import CommandResult
from stafett.persistence.idempotency import (
    Answer,
    IdempotencyKeys,
    Kept,
    SameTransaction,
    fingerprint,
)
from stafett.web.auth import PRINCIPAL
from stafett.web.middleware import HTTPMiddleware
from stafett.web.state import PLANS

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
CLAIM = "idempotency_claim"
KEEPS_ANSWER = "keeps_answer"  # a route's `opt`: its answer is kept under a key
API_PREFIX = "/api/"
JSON = "application/json"
log = structlog.get_logger(__name__)


def honours_key(handler: BaseRouteHandler) -> bool:
    """Whether a POST route keeps answers under an `Idempotency-Key`: the plan commands
    (`KEEPS_ANSWER` in their `opt`, kept in their events' transaction) and any route
    whose success has no body (204: nothing to keep but the status). The others answer
    what must not be stored (a TOTP secret) or more than a command's ids; their key
    is checked at the edge and otherwise not used."""
    if isinstance(handler, HTTPRouteHandler) and handler.status_code == HTTP_204_NO_CONTENT:
        return True
    return bool(handler.opt.get(KEEPS_ANSWER, False))


class KeyReusedError(ConflictingValueError):
    """The key was used for another request (another route, query or body): 409."""

    def __init__(self) -> None:
        super().__init__(HEADER, "was used for another request; use a new key for this one")


@dataclass(frozen=True)
class Claim:
    """A request's key, not yet kept: the person's, for this request's fingerprint."""

    keys: IdempotencyKeys
    scope: Any  # the person id
    key: str
    fingerprint: str
    with_events: bool = False  # a plan command: kept in its events' transaction

    def kept(self, answer: Answer) -> Kept:
        return Kept(self.fingerprint, answer)

    def taken(self) -> bool:
        return self.keys.find(self.scope, self.key) is not None

    def receipt(self, status: int, answer: Any) -> "CommandReceipt":
        """The receipt of a plan command answered `answer(result)` with `status`."""
        return CommandReceipt(self, status, answer)


@dataclass(frozen=True)
class CommandReceipt:
    """A claim as the plan application's `Receipt`: the JSON answer a command gets."""

    claim: Claim
    status: int
    answer: Any  # CommandResult -> the answer's struct

    def writer(self, result: CommandResult) -> SameTransaction:
        body = encode_json(self.answer(result))
        kept = self.claim.kept(Answer(self.status, JSON, body))
        return self.claim.keys.writer(self.claim.scope, self.claim.key, kept)

    def taken(self) -> bool:
        return self.claim.taken()


ONCE_FIELD = "once"  # a plan form's hidden field: its one-time token
FORM_KEY_PREFIX = "form:"
_ONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,43}")
_FORM_FINGERPRINT = "page form"  # a token is drawn for one form on one page: no other use


def new_form_token() -> str:
    """128 random bits for one form on one rendered page."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class FormReceipt:
    """A page form's token as the plan application's `Receipt`: the address the page
    went to after the form was saved, kept with the form's events."""

    keys: IdempotencyKeys
    person_id: UUID
    token: str
    location: Callable[[CommandResult], str]  # where the page goes after the write

    @property
    def key(self) -> str:
        return FORM_KEY_PREFIX + self.token

    def writer(self, result: CommandResult) -> SameTransaction:
        answer = Answer(303, "text/plain", self.location(result).encode("utf-8"))
        return self.keys.writer(self.person_id, self.key, Kept(_FORM_FINGERPRINT, answer))

    def taken(self) -> bool:
        return self.went() is not None

    def went(self) -> str | None:
        """Where the page went when this form was saved; None if it was not."""
        kept = self.keys.find(self.person_id, self.key)
        if kept is None or kept.fingerprint != _FORM_FINGERPRINT:
            return None
        return kept.answer.body.decode("utf-8")


def form_receipt(
    keys: IdempotencyKeys | None,
    person_id: UUID,
    fields: dict[str, Any],
    location: Callable[[CommandResult], str],
) -> FormReceipt | None:
    """The receipt of a posted plan form that carries a well-formed token (else None: the
    form is saved as it comes, on a store without a database too)."""
    token = fields.get(ONCE_FIELD)
    if keys is None or not isinstance(token, str) or not _ONCE_PATTERN.fullmatch(token):
        return None
    return FormReceipt(keys, person_id, token, location)


def claim_of(request: Request[Any, Any, Any]) -> Claim | None:
    claim: Claim | None = request.state.get(CLAIM)
    return claim


async def replay_or_claim(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """The first answer again for a key already kept; else the request's claim."""
    if request.method != "POST" or not request.url.path.startswith(API_PREFIX):
        return None  # before the headers: most requests are reads, and they need none
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not honours_key(request.route_handler):
        return None
    principal: Principal | None = request.state.get(PRINCIPAL)
    keys: IdempotencyKeys | None = getattr(request.app.state[PLANS], "idempotency", None)
    if principal is None or keys is None:
        return None  # before login, or on a store without a database
    body = await request.body()
    this = fingerprint(
        request.method,
        request.url.path,
        request.url.query,
        request.headers.get("if-match", ""),
        body,
    )
    kept = await anyio.to_thread.run_sync(keys.find, principal.person_id, key)
    if kept is None:
        with_events = bool(request.route_handler.opt.get(KEEPS_ANSWER, False))
        request.state[CLAIM] = Claim(keys, principal.person_id, key, this, with_events)
        return None
    if kept.fingerprint != this:
        raise KeyReusedError
    answer = kept.answer
    return Response(
        answer.body,
        status_code=answer.status,
        media_type=answer.media_type,
        headers={REPLAYED_HEADER: "true"},
    )


class KeptAnswerMiddleware(HTTPMiddleware):
    """Keeps a claimed request's successful answer before it is sent.

    The answer is held until it is kept, so that a client which has seen it and retries
    (or whose connection broke as it arrived) always finds it under its key. Should the
    keeping fail, the answer still goes out: the change is made, and a client told of a
    failure would retry it. A plan command's answer is kept with its events, so it is
    not held; it is kept here, after sending, only if the command saved no events.
    """

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        if (
            scope["method"] != "POST"
            or not scope["path"].startswith(API_PREFIX)
            or not any(name.lower() == b"idempotency-key" for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        claims: list[Claim] = []
        start: list[HTTPResponseStartEvent] = []
        body: list[bytes] = []

        async def keep_then_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                claim: Claim | None = scope.get("state", {}).get(CLAIM)
                if claim is not None:
                    claims.append(claim)
                    start.append(message)
                    if not claim.with_events:
                        return  # held until kept
            elif message["type"] == "http.response.body" and claims:
                body.append(message.get("body", b""))
                if not claims[0].with_events:
                    if message.get("more_body", False):
                        return
                    whole = b"".join(body)
                    await _keep(claims[0], start[0], whole)
                    await send(start[0])
                    message = {"type": "http.response.body", "body": whole, "more_body": False}
            await send(message)

        await self.app(scope, receive, keep_then_send)
        if claims and claims[0].with_events:
            # Kept with the command's events; one that changed nothing saved none, so its
            # answer is kept here (a row already there stays as it is).
            await _keep(claims[0], start[0], b"".join(body))


async def _keep(claim: Claim, start: HTTPResponseStartEvent, body: bytes) -> None:
    """Keep the answer (`start`, `body`) under `claim`, if it succeeded without setting
    a cookie."""
    status, media_type, cookie = start["status"], JSON, False
    for name, value in start.get("headers", ()):
        if name.lower() == b"content-type":
            media_type = value.decode("latin-1").split(";")[0].strip()
        cookie = cookie or name.lower() == b"set-cookie"
    if not 200 <= status < 300 or cookie:
        return
    kept = claim.kept(Answer(status, media_type, body))
    try:
        await anyio.to_thread.run_sync(claim.keys.keep, claim.scope, claim.key, kept)
    except Exception as error:  # the change is made: its answer goes out regardless
        log.warning("idempotency_answer_not_kept", error=type(error).__name__)
