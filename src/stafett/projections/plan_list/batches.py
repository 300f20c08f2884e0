"""What the plan-list view keeps while a batch is open, and its commits counted (decision 0027)."""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from stafett.projections.plan_list.view import Stamp

Write = tuple[str, Sequence[Any]]


@dataclass(slots=True)
class Kept:
    """A plan's newest stamp, and the newest instant of each column its events dated
    (`schema.STAMP_COLUMNS`: when it last got content, when each part last changed)."""

    stamp: Stamp
    dated: dict[str, datetime]


@dataclass
class Batch:
    """What the events told inside one `batch()` write, kept until it ends.

    An event that changes only when its plan last changed (in which parts, and whether
    it gave content) is kept in that plan's `stamps` entry instead of a write: a burst
    of comments on one plan is one update. Any other write to the plan's row writes the
    kept stamp first, so each row sees the same changes in the same order as one event
    at a time would give it.
    """

    writes: list[Write] = field(default_factory=list)
    stamps: dict[UUID, Kept] = field(default_factory=dict)
    first: Tracking | None = None
    tracking: Tracking | None = None

    def told(self, tracking: Tracking) -> None:
        if self.first is None:
            self.first = tracking
        self.tracking = tracking

    def keep(self, stamp: Stamp, dates: Sequence[str]) -> None:
        """The plan's stamp is now `stamp`, and it dates `dates` at its instant."""
        kept = self.stamps.get(stamp.plan_id)
        if kept is None:
            self.stamps[stamp.plan_id] = Kept(stamp, dict.fromkeys(dates, stamp.at))
            return
        kept.stamp = stamp
        for column in dates:
            kept.dated[column] = stamp.at


class Advances:
    """The plan-list views' commits in this process, counted, for `PlanListSQL.wait`.

    A web request waiting to read its own write is woken by the commit that may have
    brought its event rather than at its next poll: on SQLite the runner projects in
    the web process, so this is the commit it waits for. A view in another process
    (`stafett worker` on PostgreSQL) wakes nobody here; its waiters poll as before.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.count = 0

    def advanced(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_past(self, seen: int, timeout: float) -> None:
        """Until a commit after the one `seen` counted, or `timeout` seconds."""
        with self._changed:
            if self.count == seen:
                self._changed.wait(timeout)


ADVANCES = Advances()
