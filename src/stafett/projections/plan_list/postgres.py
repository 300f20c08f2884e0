"""The plan list on PostgreSQL: its tables and `planlist_tracking` in the store's schema."""

from contextlib import AbstractContextManager
from typing import Any

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL

from stafett.persistence.locks import making_recorder_tables
from stafett.projections.plan_list.sql import PlanListSQL


class PostgresPlanListView(PlanListSQL, PostgresTrackingRecorder):
    latest = "GREATEST"
    lock_row = " FOR UPDATE"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(SQL(s).format() for s in self._table_statements())

    def _tracking_table(self) -> str:
        return self._sql.table(self.tracking_table_name)

    def _begin(self, c: Any) -> None:
        """Commit without waiting for the WAL flush (visibility is unchanged).

        A crash may lose the last few projected transactions, each with its
        tracking row, so they are projected again on restart: still exactly once.
        """
        c.execute("SET LOCAL synchronous_commit = off")

    def _has_plans_table(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT to_regclass(%s) IS NOT NULL AS present", [self._plans])
            row = c.fetchone()
            return row is not None and bool(row["present"])

    def _making_tables(self) -> AbstractContextManager[Any]:
        """The deployment's lock for making the library's tables, under which this view's
        tables are first made (`StafettPostgresFactory`), so no twin makes them at once."""
        return making_recorder_tables(self.datastore)

    def _pipeline(self, c: Any) -> AbstractContextManager[Any]:
        """A batch's writes go to the server without a round trip each."""
        pipeline: AbstractContextManager[Any] = c.connection.pipeline()
        return pipeline
