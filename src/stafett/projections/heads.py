"""A stored event's head: its class, aggregate, version and instant, without the rest.

A projection that needs only when an event happened to which aggregate (the plan
list's "last changed" for most plan events) need not decode the whole event: the
library's JSON transcoder (`json` with an object hook for every typed value) costs
tens of microseconds an event, as much as reading it. `head_of` reads only the
`timestamp` from the stored JSON with msgspec (other fields are skipped unparsed)
and takes the rest from the notification's columns. It answers None when the
mapper's stored state is not plain JSON (a cipher or compressor is configured) or
the timestamp is not where the library writes it: the caller then decodes the whole
event, as before, so a head is never a guess.

A message's head also carries its sender and recipients (`told`, an `Addressed`),
read the same way from the message inside it (its subject and body skipped unparsed):
the plan list needs no more of a message, and messages are many. A comment's head
carries the section of the item it is on (its text skipped), whose right governs who
reads the comment.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import resolve_topic

from stafett.aggregates.plan import COMMENT_SECTION
from stafett.aggregates.plan_events import CommentPosted, MessageSent
from stafett.aggregates.values import CommentTarget


class Addressed(NamedTuple):
    """Who a message is from and to (participant ids)."""

    sender: UUID
    recipients: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class EventHead:
    """What every event of an aggregate carries, read from a stored event."""

    cls: type
    originator_id: UUID
    originator_version: int
    timestamp: datetime
    told: Any = None  # a message's `Addressed`; a comment's section


class _Instant(msgspec.Struct):
    _type_: Literal["datetime_iso"]
    _data_: str


class _Head(msgspec.Struct):
    timestamp: _Instant


class _Recipients(msgspec.Struct):
    sender_participant_id: UUID
    recipient_ids: tuple[UUID, ...]  # as `Message` has them (converted the same way)


class _Message(msgspec.Struct):
    _type_: Literal["stafett.Message"]  # the transcoding `DataclassAsDict(Message)`
    _data_: _Recipients


class _MessageHead(_Head):
    message: _Message


class _Target(msgspec.Struct):
    on_kind: CommentTarget


class _Comment(msgspec.Struct):
    _type_: Literal["stafett.Comment"]  # the transcoding `DataclassAsDict(Comment)`
    _data_: _Target


class _CommentHead(_Head):
    comment: _Comment


_decoder = msgspec.json.Decoder(_Head)
_DECODERS: dict[type, msgspec.json.Decoder[Any]] = {
    MessageSent: msgspec.json.Decoder(_MessageHead),
    CommentPosted: msgspec.json.Decoder(_CommentHead),
}
TOLD_IN_HEAD = frozenset(_DECODERS)
"""The event classes whose head carries the one value they tell (`EventHead.told`)."""


def plain_json(mapper: Mapper[Any]) -> bool:
    """Whether the mapper stores events as the transcoder's JSON, neither encrypted nor
    compressed (only then can a head be read without the mapper)."""
    return mapper.cipher is None and mapper.compressor is None


def event_class(notification: Notification) -> type:
    """The class of the stored event (topics resolved as the mapper resolves them)."""
    cls: type = resolve_topic(notification.topic)
    return cls


def head_of(notification: Notification, cls: type) -> EventHead | None:
    """The head of a stored event whose state is the transcoder's plain JSON; None when
    its timestamp (or what a message's or comment's head carries) cannot be read that way."""
    try:
        shape = _DECODERS.get(cls, _decoder).decode(notification.state)
        instant = datetime.fromisoformat(shape.timestamp._data_)
    except (msgspec.DecodeError, ValueError):  # a ValidationError is a DecodeError
        return None
    told: Any = None
    if isinstance(shape, _MessageHead):
        message = shape.message._data_
        told = Addressed(message.sender_participant_id, message.recipient_ids)
    elif isinstance(shape, _CommentHead):
        told = COMMENT_SECTION[shape.comment._data_.on_kind]
    originator_id = notification.originator_id
    if not isinstance(originator_id, UUID):
        originator_id = UUID(str(originator_id))
    return EventHead(cls, originator_id, notification.originator_version, instant, told)
