"""A claimed request's answer is kept before the client can see it (`KeptAnswerMiddleware`)."""

import asyncio
from typing import Any, cast
from uuid import uuid4

from structlog.testing import capture_logs

from stafett.persistence.idempotency import Kept
from stafett.web.idempotency import CLAIM, Claim, KeptAnswerMiddleware

Events = list[tuple[str, Any]]


class Keys:
    """An `IdempotencyKeys` stand-in that notes each keep among the sent messages."""

    def __init__(self, events: Events, *, fails: bool = False) -> None:
        self.events = events
        self.fails = fails

    def keep(self, scope: object, key: str, kept: Kept) -> None:
        if self.fails:
            raise OSError("disk full")
        self.events.append(("kept", (kept.answer.status, kept.answer.body)))


def answering(status: int, body: bytes, *, claim: Claim | None, headers: Any = ()) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if claim is not None:
            scope["state"][CLAIM] = claim  # as `replay_or_claim` does before the handler
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body[:2], "more_body": True})
        await send({"type": "http.response.body", "body": body[2:], "more_body": False})

    return app


def serve(app: Any, events: Events | None = None) -> Events:
    """What `app` sent through the middleware, in order; into `events` when given, where
    the stand-in keys note their keeps, so the two are ordered against each other."""
    events = [] if events is None else events

    async def send(message: Any) -> None:
        events.append((message["type"], message.get("status", message.get("body"))))

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/me/mobile/code",
        "headers": [(b"idempotency-key", b"key-0001")],
        "state": {},
    }
    asyncio.run(KeptAnswerMiddleware(app)(cast(Any, scope), receive, send))
    return events


def claim(events: Events, *, fails: bool = False, with_events: bool = False) -> Claim:
    keys = cast(Any, Keys(events, fails=fails))
    return Claim(keys, uuid4(), "key-0001", "fingerprint", with_events)


def test_the_answer_is_kept_before_any_of_it_is_sent() -> None:
    events: Events = []
    serve(answering(201, b'{"id": 1}', claim=claim(events)), events)
    assert events == [
        ("kept", (201, b'{"id": 1}')),
        ("http.response.start", 201),
        ("http.response.body", b'{"id": 1}'),
    ]


def test_an_answer_not_kept_is_sent_unchanged() -> None:
    events: Events = []
    refused = serve(answering(409, b"conflict", claim=claim(events)))
    assert events == []
    assert [e[0] for e in refused] == ["http.response.start", "http.response.body"]
    assert b"".join(e[1] for e in refused[1:]) == b"conflict"
    unclaimed = serve(answering(204, b"", claim=None))
    assert unclaimed == [
        ("http.response.start", 204),
        ("http.response.body", b""),
        ("http.response.body", b""),
    ]
    cookie = serve(answering(200, b"{}", claim=claim(events), headers=[(b"set-cookie", b"x=1")]))
    assert events == []
    assert cookie[0] == ("http.response.start", 200)


def test_an_answer_that_could_not_be_kept_still_goes_out() -> None:
    events: Events = []
    with capture_logs() as logs:
        sent = serve(answering(204, b"", claim=claim(events, fails=True)))
    assert sent == [("http.response.start", 204), ("http.response.body", b"")]
    assert [e["event"] for e in logs] == ["idempotency_answer_not_kept"]


def test_a_plan_commands_answer_goes_out_at_once_and_is_kept_after() -> None:
    """Kept with the command's events, it is not held; kept again after sending (a row
    already there stays), for a command that saved no events."""
    events: Events = []
    serve(answering(200, b'{"version": 3}', claim=claim(events, with_events=True)), events)
    assert events == [
        ("http.response.start", 200),
        ("http.response.body", b'{"'),
        ("http.response.body", b'version": 3}'),
        ("kept", (200, b'{"version": 3}')),
    ]
