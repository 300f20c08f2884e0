"""Where a projection records the event it is stuck on, for other processes to see.

A runner that fails on an event retries it (`projections/runner.py`) and records the
fault here in a transaction of its own, on every failed attempt; it clears it when
the event finally succeeds. `/health` and `stafett projections status` read it. The
table `projection_faults` holds at most one row per projection (a runner is stuck on
one event at a time) and no event data: only positions, counts, the error's class
and instants (decision 0013).
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from stafett.persistence.recorders import from_micros, to_micros
from stafett.persistence.sql import SqlTables

FAULTS_TABLE = "projection_faults"


@dataclass(frozen=True, slots=True)
class Fault:
    """A projection has failed `attempts` times on `notification_id` since `first_failed_at`."""

    notification_id: int
    attempts: int
    error: str
    first_failed_at: datetime
    last_failed_at: datetime


class FaultLog(ABC):
    """What a view offers a runner so that its faults can be seen from elsewhere."""

    @abstractmethod
    def record_fault(self, projection: str, notification_id: int, error: str, at: datetime) -> None:
        """One more failed attempt on `notification_id` (the count restarts for another id)."""

    @abstractmethod
    def clear_fault(self, projection: str) -> None:
        """The event the projection was stuck on has been processed."""

    @abstractmethod
    def fault(self, application_name: str) -> Fault | None:
        """The fault on an event the view has not processed yet, if any."""


class FaultTable:
    """The `projection_faults` table's SQL for a view on either engine."""

    def __init__(self, sql: SqlTables) -> None:
        self._sql = sql
        self.table = sql.table(FAULTS_TABLE)

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            "projection TEXT PRIMARY KEY, notification_id BIGINT NOT NULL, "
            "attempts BIGINT NOT NULL, error TEXT NOT NULL, "
            "first_failed_at BIGINT NOT NULL, last_failed_at BIGINT NOT NULL)"
        ]

    def record(self, projection: str, notification_id: int, error: str, at: datetime) -> None:
        t = self._sql
        same = f"{FAULTS_TABLE}.notification_id=excluded.notification_id"
        with t.cursor(commit=True) as c:
            c.execute(
                t.sql(
                    f"INSERT INTO {self.table} (projection, notification_id, attempts, error, "
                    "first_failed_at, last_failed_at) VALUES (%s, %s, 1, %s, %s, %s) "
                    "ON CONFLICT (projection) DO UPDATE SET "
                    f"attempts=CASE WHEN {same} THEN {FAULTS_TABLE}.attempts + 1 ELSE 1 END, "
                    f"first_failed_at=CASE WHEN {same} THEN {FAULTS_TABLE}.first_failed_at "
                    "ELSE excluded.first_failed_at END, "
                    "notification_id=excluded.notification_id, error=excluded.error, "
                    "last_failed_at=excluded.last_failed_at"
                ),
                [projection, notification_id, error, to_micros(at), to_micros(at)],
            )

    def clear(self, projection: str) -> None:
        t = self._sql
        with t.cursor(commit=True) as c:
            c.execute(t.sql(f"DELETE FROM {self.table} WHERE projection=%s"), [projection])

    def read(self, projection: str, tracking_table: str, application_name: str) -> Fault | None:
        """The projection's fault, unless the view has since processed that event.

        A fault is cleared after its event succeeds, in a transaction of its own; a
        process that stopped in between leaves a row this comparison hides.
        """
        t = self._sql
        with t.cursor(commit=False) as c:
            c.execute(
                t.sql(
                    "SELECT notification_id, attempts, error, first_failed_at, last_failed_at "
                    f"FROM {self.table} WHERE projection=%s AND notification_id > "
                    f"(SELECT COALESCE(MAX(notification_id), 0) FROM {tracking_table} "
                    "WHERE application_name=%s)"
                ),
                [projection, application_name],
            )
            row = c.fetchone()
        if row is None:
            return None
        return Fault(
            notification_id=int(row["notification_id"]),
            attempts=int(row["attempts"]),
            error=row["error"],
            first_failed_at=from_micros(int(row["first_failed_at"])),
            last_failed_at=from_micros(int(row["last_failed_at"])),
        )
