"""The plan list on SQLite: its tables beside the library's shared `tracking` table."""

from eventsourcing.sqlite import SQLiteTrackingRecorder

from stafett.projections.plan_list.sql import PlanListSQL
from stafett.projections.plan_list.view import PLANS_TABLE


class SQLitePlanListView(PlanListSQL, SQLiteTrackingRecorder):
    latest = "max"

    def construct_create_table_statements(self) -> list[str]:
        statements: list[str] = super().construct_create_table_statements()
        return [*statements, *self._table_statements()]

    def _tracking_table(self) -> str:
        return "tracking"

    def _has_plans_table(self) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [PLANS_TABLE])
            return c.fetchone() is not None
