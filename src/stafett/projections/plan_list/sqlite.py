"""The plan list on SQLite: its tables beside the library's shared `tracking` table."""

from eventsourcing.sqlite import SQLiteTrackingRecorder

from stafett.projections.plan_list.sql import PlanListSQL


class SQLitePlanListView(PlanListSQL, SQLiteTrackingRecorder):
    latest = "max"

    def construct_create_table_statements(self) -> list[str]:
        statements: list[str] = super().construct_create_table_statements()
        return [*statements, *self._table_statements()]

    def _tracking_table(self) -> str:
        return "tracking"
