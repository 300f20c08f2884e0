"""The in-memory store: the library's POPO recorders with the time index kept in memory.

For tests of the applications that need no database (`STAFETT_DATABASE_URL=memory://`):
events, snapshots and notifications live in the process, the time index beside
them. The person directory, accounts and access log are SQL tables; bootstrap
gives them an in-memory SQLite database in this configuration (see
`side_datastore`), so nothing touches a disk or a server.
"""

import bisect
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from stafett.persistence.recorders import EVENT_TIMES_KWARG, EventTime, to_micros


class TimeIndexedPOPORecorder(POPOApplicationRecorder):
    """The library's in-memory recorder, plus "the version of a plan at instant T"."""

    def __init__(self) -> None:
        super().__init__()
        self._times: dict[UUID, list[tuple[int, int]]] = defaultdict(list)
        self._times_lock = threading.Lock()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        times: list[EventTime] = kwargs.get(EVENT_TIMES_KWARG, [])
        ids = super().insert_events(stored_events, **kwargs)  # raises on a conflict first
        with self._times_lock:
            for originator_id, version, instant in times:
                bisect.insort(self._times[originator_id], (to_micros(instant), version))
        return ids

    def version_at(self, originator_id: UUID, instant: datetime) -> int | None:
        with self._times_lock:
            rows = self._times.get(originator_id, [])
            until = bisect.bisect_right(rows, (to_micros(instant), float("inf")))
            return max((version for _, version in rows[:until]), default=None)

    def indexed_versions(self, originator_id: UUID) -> list[int]:
        """The versions the time index holds for one aggregate (for tests and tools)."""
        with self._times_lock:
            return [version for _, version in self._times.get(originator_id, [])]


class StafettPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return TimeIndexedPOPORecorder()
