"""Messages written to a folder instead of being sent.

Development and tests need the one-time codes a person would have received
without an SMTP server or SMS gateway; a developer reads them in the folder, a
test with `read_outbox`. The file format is part of the documented interface
(docs/api.md, "Outside HTTP").
"""

import itertools
import json
import os
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stafett.delivery.messages import DeliveryError, OutgoingMessage

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Breaks ties between messages stamped with the same instant (a test clock that
# stands still) so that they still sort in the order they were sent.
_SEQUENCE = itertools.count()


class OutboxSender:
    """Writes one JSON file per message; both channels go to the same folder."""

    def __init__(self, directory: Path, clock: Callable[[], datetime]) -> None:
        self._directory = directory
        self._clock = clock

    def send(self, message: OutgoingMessage) -> None:
        now = self._clock()
        if now.utcoffset() is None:
            raise ValueError("the outbox clock must return timezone-aware datetimes")
        record = {
            "channel": message.channel.value,
            "to": message.to,
            "subject": message.subject,
            "body": message.body,
            "created_at": now.isoformat(),
        }
        if message.key:  # notices: the idempotency key a gateway would get
            record["key"] = message.key
        try:
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._write_atomically(_file_name(now), json.dumps(record, ensure_ascii=False))
        except OSError as error:
            raise DeliveryError(
                f"could not write to the outbox {self._directory}: {error.strerror or error}"
            ) from error

    def _write_atomically(self, name: str, text: str) -> None:
        """Readers polling the folder must never see a half-written file."""
        descriptor, temporary = tempfile.mkstemp(dir=self._directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), 0o600)
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _file_name(now: datetime) -> str:
    """Fixed-width numbers first, so that sorting names sorts by time."""
    micros = (now - _EPOCH) // timedelta(microseconds=1)
    return f"{micros:020d}-{next(_SEQUENCE):012d}-{uuid.uuid4().hex}.json"


def read_outbox(directory: Path) -> list[dict[str, Any]]:
    """All messages in the folder, oldest first; an absent folder holds none."""
    if not directory.is_dir():
        return []
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"), key=lambda path: path.name)
    ]
