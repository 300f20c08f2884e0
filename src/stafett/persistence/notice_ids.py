"""The ids of outbox rows: UUID 5s of what a row is a notice of, the same however often made.

A rebuild after an upgrade must find the rows an older version wrote (decision 0020),
so the ids stay `uuid.uuid5` of the same names (`tests/unit/test_notice_ids.py`).
"""

import hashlib
from datetime import UTC, datetime
from uuid import UUID

from stafett.persistence.recorders import to_micros

NOTICE_NAMESPACE = UUID("5b0e6f3c-2b8e-4a57-9d0e-6c1d3f1f2a20")


# `uuid.uuid5`'s steps on the integer (the version and variant bits set as UUID does),
# so the process's rows need no UUID object made and taken apart again. The digest
# starts from a copy of the namespace's (a new SHA-1 costs OpenSSL 3 a lookup each time).
_NAMESPACE_SHA1 = hashlib.sha1(NOTICE_NAMESPACE.bytes, usedforsecurity=False)
_VERSION_5_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_VERSION_5_SET = (0x8000 << 48) | (5 << 76)


def _uuid5_int(name: str) -> int:
    """`uuid.uuid5(NOTICE_NAMESPACE, name).int`, made as fast as the digest allows."""
    sha1 = _NAMESPACE_SHA1.copy()
    sha1.update(name.encode())
    return (int.from_bytes(sha1.digest()[:16]) & _VERSION_5_CLEAR) | _VERSION_5_SET


def notice_id(plan_id: UUID, version: int, participant_id: UUID, channel: str) -> UUID:
    """The one id of an event's notice to a participant by a channel, however often made."""
    return UUID(int=notice_int(plan_id, version, participant_id, channel))


def notice_int(plan_id: UUID, version: int, participant_id: UUID, channel: str) -> int:
    return _uuid5_int(f"{plan_id}:{version}:{participant_id}:{channel}")


def reminder_notice_id(reminder_id: UUID, participant_id: UUID, channel: str) -> UUID:
    """The one id of a reminder's notice to a participant by a channel."""
    return UUID(int=_uuid5_int(f"reminder:{reminder_id}:{participant_id}:{channel}"))


def digest_id(plan_id: UUID, participant_id: UUID, hour: datetime) -> UUID:
    """The one digest of a participant's e-mails of a plan, merged in the hour `hour`."""
    return UUID(int=_uuid5_int(f"digest:{plan_id}:{participant_id}:{to_micros(hour)}"))


def hour_of(instant: datetime) -> datetime:
    """The start of the (UTC) clock hour of `instant`."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
